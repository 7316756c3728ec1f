package dev.quill.security.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of tampering, done to real files, is found at the right record. */
class AuditVerifierTest {
  @TempDir
  Path dir;
  Path file;

  @BeforeEach
  void tenRecords() throws Exception {
    AuditLogTest.write(dir, AuditOptions.defaults(), 1, 10);
    file = dir.resolve("audit-00000001.log");
  }

  private List<String> lines() throws Exception {
    return new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  private void rewrite(List<String> lines) throws Exception {
    Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
  }

  private AuditVerifier.Break brokenAt(long line) throws Exception {
    AuditVerifier.Report r = AuditVerifier.verify(dir);
    assertThat(r.intact()).isFalse();
    AuditVerifier.Break b = r.broken().orElseThrow();
    assertThat(b.file()).isEqualTo(file);
    assertThat(b.line()).isEqualTo(line);
    assertThat(r.records()).isEqualTo(line - 1);
    return b;
  }

  @Test
  void untouched_isIntact() throws Exception {
    assertThat(AuditVerifier.verify(dir).intact()).isTrue();
  }

  @Test
  void editedRecord_isFound() throws Exception {
    List<String> l = lines();
    l.set(4, l.get(4).replace("deny", "allow"));
    rewrite(l);
    assertThat(brokenAt(5).what()).isEqualTo("record #5 was altered: its hash does not match its content");
  }

  @Test
  void editedRecordWithItsOwnHashRecomputed_breaksTheNextLink() throws Exception {
    List<String> l = lines();
    String edited = l.get(4).replace("deny", "allow");
    int cut = nthTabFromEnd(edited, 2);
    byte[] canonical = edited.substring(0, cut).getBytes(StandardCharsets.UTF_8);
    String prev = edited.substring(cut + 1, edited.lastIndexOf('\t'));
    l.set(4, edited.substring(0, cut) + "\t" + prev + "\t" + AuditRecord.hash(prev, canonical, canonical.length));
    rewrite(l);
    assertThat(brokenAt(6).what()).startsWith("record #6 does not chain from the record before it");
  }

  @Test
  void deletedRecord_isFound() throws Exception {
    List<String> l = lines();
    l.remove(3);
    rewrite(l);
    assertThat(brokenAt(4).what()).startsWith("record #5 does not chain from the record before it")
        .endsWith("a record was deleted, inserted or reordered here");
  }

  @Test
  void insertedRecord_isFound() throws Exception {
    List<String> l = lines();
    l.add(6, l.get(2));
    rewrite(l);
    assertThat(brokenAt(7).what()).startsWith("record #3 does not chain");
  }

  @Test
  void reorderedRecords_areFound() throws Exception {
    List<String> l = lines();
    String fourth = l.get(3);
    l.set(3, l.get(4));
    l.set(4, fourth);
    rewrite(l);
    assertThat(brokenAt(4).what()).startsWith("record #5 does not chain");
  }

  @Test
  void bytesCutFromTheMiddle_areFound() throws Exception {
    byte[] all = Files.readAllBytes(file);
    int from = all.length / 3;
    byte[] cut = new byte[all.length - 100];
    System.arraycopy(all, 0, cut, 0, from);
    System.arraycopy(all, from + 100, cut, from, all.length - from - 100);
    Files.write(file, cut);
    AuditVerifier.Report r = AuditVerifier.verify(dir);
    assertThat(r.intact()).isFalse();
    long lineOfCut = new String(all, 0, from, StandardCharsets.UTF_8).chars().filter(c -> c == '\n').count() + 1;
    assertThat(r.broken().orElseThrow().line()).isEqualTo(lineOfCut);
  }

  @Test
  void garbageLine_isReportedAsMalformed() throws Exception {
    List<String> l = lines();
    l.add(2, "hello");
    rewrite(l);
    assertThat(brokenAt(3).what()).startsWith("malformed record");
  }

  @Test
  void fileMissingFromTheMiddle_andFileCutShort_areFound() throws Exception {
    Path rotated = dir.resolve("rotated");
    AuditLogTest.write(rotated, AuditOptions.defaults().withMaxFileBytes(1024), 1, 40);
    List<Path> files = AuditFiles.list(rotated);
    assertThat(files.size()).isGreaterThan(3);

    byte[] second = Files.readAllBytes(files.get(1));
    Files.write(files.get(1), java.util.Arrays.copyOf(second, second.length - 7));
    AuditVerifier.Report cut = AuditVerifier.verify(rotated);
    assertThat(cut.broken().orElseThrow().file()).isEqualTo(files.get(1));
    assertThat(cut.broken().orElseThrow().what()).contains("ends in the middle of a record, but later files follow");

    Files.write(files.get(1), second);
    assertThat(AuditVerifier.verify(rotated).intact()).isTrue();
    Files.delete(files.get(1));
    AuditVerifier.Report missing = AuditVerifier.verify(rotated);
    assertThat(missing.broken().orElseThrow().what()).isEqualTo("file audit-00000002.log is missing before it");
    assertThat(missing.broken().orElseThrow().file()).isEqualTo(files.get(2));
  }

  @Test
  void emptyOrAbsentDirectory_isAnIntactEmptyLog() throws Exception {
    AuditVerifier.Report r = AuditVerifier.verify(dir.resolve("none"));
    assertThat(r.intact()).isTrue();
    assertThat(r.records()).isZero();
    assertThat(r.headHash()).isEqualTo(AuditRecord.GENESIS);
  }

  private static int nthTabFromEnd(String s, int n) {
    int i = s.length();
    for (int k = 0; k < n; k++) {
      i = s.lastIndexOf('\t', i - 1);
    }
    return i;
  }
}
