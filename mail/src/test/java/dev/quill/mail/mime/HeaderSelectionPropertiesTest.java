package dev.quill.mail.mime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
 * The one-pass BODY[HEADER.FIELDS] copy picks exactly the fields that a full scan into field records
 * picks (the way it was done before, kept here as the reference), for headers full of the things
 * real mail has: folded lines, bare LF, WSP before the colon, lines that are no field, 8-bit bytes,
 * names in any case, no empty line at all.
 */
class HeaderSelectionPropertiesTest {
  private static final List<String> NAMES = List.of("Subject", "SUBJECT", "subject", "From", "from", "To", "Date",
      "Message-ID", "message-id", "Received", "Content-Type", "X-A", "x-a", "X-Ab");

  @Property(tries = 2000)
  void sameFieldsAsAFullScan(@ForAll("headers") byte[] message, @ForAll("wanted") List<String> wanted,
      @ForAll boolean not) {
    int bodyStart = HeaderField.scan(message, 0, message.length, new ArrayList<>(), false);
    byte[] fast = HeaderSelection.copy(message, 0, message.length, HeaderSelection.wanted(wanted), not);
    assertThat(fast).isEqualTo(reference(message, wanted, not));
    assertThat(HeaderField.sectionEnd(message, 0, message.length)).isEqualTo(bodyStart);
  }

  @Property(tries = 1000)
  void anyBytes_sameFieldsAsAFullScan(@ForAll @Size(max = 600) byte[] message, @ForAll("wanted") List<String> wanted,
      @ForAll boolean not) {
    assertThat(HeaderSelection.copy(message, 0, message.length, HeaderSelection.wanted(wanted), not))
        .isEqualTo(reference(message, wanted, not));
    assertThat(HeaderField.sectionEnd(message, 0, message.length))
        .isEqualTo(HeaderField.scan(message, 0, message.length, new ArrayList<>(), false));
  }

  @Property(tries = 2000)
  void indexOf_findsTheFirstOccurrenceInTheRange(@ForAll @Size(max = 80) byte[] m, @ForAll byte b,
      @ForAll @net.jqwik.api.constraints.IntRange(max = 80) int from, @ForAll @net.jqwik.api.constraints.IntRange(max = 80) int to) {
    int a = Math.min(from, m.length);
    int limit = Math.max(a, Math.min(to, m.length));
    int expected = -1;
    for (int i = a; i < limit; i++) {
      if (m[i] == b) {
        expected = i;
        break;
      }
    }
    assertThat(HeaderField.indexOf(m, b, a, limit)).isEqualTo(expected);
  }

  @Example
  void foldedFieldsAreCopiedWhole_andALastLineGetsItsLineEnd() {
    byte[] m = "Subject: a\r\n b\r\nX-Other: c\r\nfrom : d".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(new String(HeaderSelection.copy(m, 0, m.length, HeaderSelection.wanted(List.of("FROM", "subject")), false),
        StandardCharsets.ISO_8859_1)).isEqualTo("Subject: a\r\n b\r\nfrom : d\r\n\r\n");
    assertThat(new String(HeaderSelection.copy(m, 0, m.length, HeaderSelection.wanted(List.of("from", "subject")), true),
        StandardCharsets.ISO_8859_1)).isEqualTo("X-Other: c\r\n\r\n");
  }

  @Example
  void aWantedNameWithNonAsciiMatchesNothing() {
    byte[] m = "K: 1\r\nk: 2\r\n\r\nbody".getBytes(StandardCharsets.ISO_8859_1);
    // U+212A (Kelvin sign) lower-cases to 'k' in Java's equalsIgnoreCase; field names are ASCII only.
    assertThat(new String(HeaderSelection.copy(m, 0, m.length, HeaderSelection.wanted(List.of("\u212A")), false),
        StandardCharsets.ISO_8859_1)).isEqualTo("\r\n");
  }

  /** The earlier way: every field scanned into a record with its name, then names compared (ASCII only here). */
  private static byte[] reference(byte[] m, List<String> wanted, boolean not) {
    List<HeaderField> fields = new ArrayList<>();
    HeaderField.scan(m, 0, m.length, fields, false);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (HeaderField f : fields) {
      if (f.name() == null || named(wanted, f.name()) == not) {
        continue;
      }
      out.write(m, f.start(), f.end() - f.start());
      if (m[f.end() - 1] != '\n') {
        out.write('\r');
        out.write('\n');
      }
    }
    out.write('\r');
    out.write('\n');
    return out.toByteArray();
  }

  private static boolean named(List<String> wanted, String name) {
    for (String w : wanted) {
      if (w.chars().allMatch(c -> c < 0x80) && w.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  @Provide
  Arbitrary<List<String>> wanted() {
    return Arbitraries.oneOf(Arbitraries.of(NAMES), Arbitraries.strings().ofMaxLength(6),
        Arbitraries.of("Subj\u00e9ct", "\u212A", "", " ")).list().ofMaxSize(5);
  }

  @Provide
  Arbitrary<byte[]> headers() {
    Arbitrary<String> name = Arbitraries.oneOf(Arbitraries.of(NAMES), Arbitraries.of("Bad Name", "", "N\u00e9", "A\tB"));
    Arbitrary<String> value = Arbitraries.of("", " x", " hello world", "\u00e9\u00ff", " a:b", " =?utf-8?q?x?=");
    Arbitrary<String> end = Arbitraries.of("\r\n", "\n", "\r", "");
    Arbitrary<String> field = Arbitraries.oneOf(
        name.flatMap(n -> value.flatMap(v -> end.map(e -> n + ":" + v + e))),
        name.flatMap(n -> value.map(v -> n + " \t: " + v + "\r\n")),
        name.flatMap(n -> value.map(v -> n + ":" + v + "\r\n \tfolded" + v + "\r\n\tagain\n")),
        Arbitraries.of("no colon here\r\n", ": empty name\r\n", " starts with space: x\r\n", "\r\n", "\n"));
    return field.list().ofMaxSize(12).flatMap(fields -> Arbitraries.of("", "\r\n", "\n", "\r\nbody: x\r\n")
        .map(tail -> (String.join("", fields) + tail).getBytes(StandardCharsets.ISO_8859_1)));
  }
}
