package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The file that keeps pending fragment renames across restarts: what is written reads back the same, and a bad file is set aside. */
class PendingRenamesFileProperties {

  @Provide
  Arbitrary<Map<PendingRenames.Rename, Long>> renameSets() {
    // any characters mailbox names may hold, tabs, '=', '%', '+' and non-ASCII included (not CR or LF, and
    // no lone surrogate halves: names come from UTF-8 or modified UTF-7, which cannot carry them)
    Arbitrary<String> names = Arbitraries.strings().withCharRange('\u0000', '\ud7ff').withCharRange('\ue000', '\uffff')
        .excludeChars('\r', '\n').ofMinLength(1).ofMaxLength(20);
    Arbitrary<PendingRenames.Rename> renames = Combinators.combine(names, names, names, names,
        Arbitraries.maps(names, Arbitraries.longs().between(1, 0xffff_ffffL)).ofMaxSize(4))
        .as(PendingRenames.Rename::new);
    return Arbitraries.maps(renames, Arbitraries.longs().between(0, Long.MAX_VALUE)).ofMaxSize(5);
  }

  @Property
  void whatIsWrittenReadsBackTheSame(@ForAll("renameSets") Map<PendingRenames.Rename, Long> renames) {
    assertThat(PendingRenamesFile.parse(PendingRenamesFile.format(renames))).isEqualTo(renames);
  }

  @Property
  void aDamagedFileIsRefusedNamingTheLine_orReadAsRenamesThatWriteBackTheSame(
      @ForAll("renameSets") Map<PendingRenames.Rename, Long> renames, @ForAll("cuts") int cut,
      @ForAll("damage") String damage) {
    String text = PendingRenamesFile.format(renames);
    String damaged = text.substring(0, Math.min(text.length(), cut)) + damage;
    Map<PendingRenames.Rename, Long> read;
    try {
      read = PendingRenamesFile.parse(damaged);
    } catch (IllegalArgumentException e) {
      assertThat(e.getMessage()).matches("(?s)line \\d+: .*|line 1 is not .*");
      return;
    }
    assertThat(PendingRenamesFile.parse(PendingRenamesFile.format(read))).isEqualTo(read);
  }

  @Provide
  Arbitrary<String> damage() {
    // what a file decoded as UTF-8 can hold: no lone surrogate halves (bytes that are not UTF-8 are
    // refused before parsing; see anUnreadableFileIsSetAside)
    return Arbitraries.oneOf(
        Arbitraries.strings().withCharRange('\u0000', '\ud7ff').withCharRange('\ue000', '\uffff').ofMaxLength(30),
        Arbitraries.strings().withChars('\t', '\n', '=', '%', '+', '1', 'x', '-').ofMaxLength(30));
  }

  @Provide
  Arbitrary<Integer> cuts() {
    return Arbitraries.integers().between(0, 400);
  }

  @Example
  void anUnreadableFileIsSetAside_andTheNodeStartsWithNone() throws Exception {
    Path dir = Files.createTempDirectory("pending-renames");
    Path file = dir.resolve("pending");
    Files.writeString(file, "something else\n", StandardCharsets.UTF_8);
    assertThat(new PendingRenamesFile(file).read()).isEmpty();
    assertThat(file).doesNotExist();
    assertThat(dir.resolve("pending.bad")).hasContent("something else");
    Files.write(file, new byte[] {'#', ' ', (byte) 0xff, (byte) 0xfe, '\n'}); // not UTF-8
    assertThat(new PendingRenamesFile(file).read()).isEmpty();
    assertThat(file).doesNotExist();

    Map<PendingRenames.Rename, Long> one = new LinkedHashMap<>();
    one.put(new PendingRenames.Rename("n2", "ann@example.org", "Old\tx", "New=1", Map.of("Old\tx", 7L)), 42L);
    new PendingRenamesFile(file).write(one);
    assertThat(new PendingRenamesFile(file).read()).isEqualTo(one);
    assertThat(new PendingRenamesFile(dir.resolve("none")).read()).isEmpty();
    assertThatThrownBy(() -> PendingRenamesFile.parse("# quill pending fragment renames, v1\n1\tn2\tu\n"))
        .hasMessageStartingWith("line 2");
    List.of(file, dir.resolve("pending.bad")).forEach(p -> p.toFile().delete());
  }
}
