package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ImapReaderTest {
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  private static ImapReader reader(String wire, int buffer) {
    return new ImapReader(new ByteArrayInputStream(ascii(wire)), buffer, 1 << 16, 1 << 20);
  }

  /** Hands out at most {@code chunk} bytes per read, so every response is split across reads. */
  private static InputStream trickle(String wire, int chunk) {
    byte[] data = ascii(wire);
    return new InputStream() {
      private int i;

      @Override
      public int read() {
        return i < data.length ? data[i++] & 0xff : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (i >= data.length) {
          return -1;
        }
        int n = Math.min(Math.min(len, chunk), data.length - i);
        System.arraycopy(data, i, b, off, n);
        i += n;
        return n;
      }
    };
  }

  private static final String HEADER = "From: a@b.test\r\nSubject: {5}\r\n\r\n";
  private static final String BODY = "Subject: x\r\n\r\nline one\r\n)\r\nq9 OK not a status\r\n";
  private static final String WIRE = "* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] ready\r\n"
      + "* 2 FETCH (UID 7 RFC822.SIZE 4096 BODY[HEADER.FIELDS (FROM SUBJECT)] {" + HEADER.length() + "}\r\n"
      + HEADER + " FLAGS (\\Seen))\r\n"
      + "* 3 FETCH (UID 8 BODY[] {" + BODY.length() + "}\r\n" + BODY + " BODY[1] {0}\r\n)\r\n"
      + "+ idling\r\n"
      + "+\r\n"
      + "q1 OK [APPENDUID 1700 42] Append completed.\r\n";

  @Test
  void fetchFlags_emptyAndSeveral_beforeALiteral() throws IOException {
    var r = reader("* 1 FETCH (UID 3 FLAGS () BODY[HEADER.FIELDS (SUBJECT)] {4}\r\nx: y)\r\n"
        + "* 2 FETCH (UID 4 FLAGS (\\Seen \\Flagged $Junk))\r\n", 4096);
    assertThat(r.read().fetchFlags()).isEmpty();
    assertThat(r.read().fetchFlags()).containsExactlyInAnyOrder("\\Seen", "\\Flagged", "$Junk");
  }

  @Test
  void read_untaggedTaggedContinuationAndLiterals() throws IOException {
    assertAll(reader(WIRE, 4096));
  }

  @Test
  void read_everyResponseSplitAcrossReads_sameResult() throws IOException {
    for (int chunk : new int[] {1, 2, 3, 7, 13, 64}) {
      // a small initial buffer also forces the line buffer to grow and compact
      assertAll(new ImapReader(trickle(WIRE, chunk), 8, 1 << 16, 1 << 20));
    }
  }

  private static void assertAll(ImapReader r) throws IOException {
    var greeting = r.read();
    assertThat(greeting.kind()).isEqualTo(ImapResponse.Kind.UNTAGGED);
    assertThat(greeting.status()).isEqualTo("OK");
    assertThat(greeting.code()).isEqualTo("CAPABILITY IMAP4rev1 LITERAL+ IDLE");

    var headers = r.read();
    assertThat(headers.kind()).isEqualTo(ImapResponse.Kind.UNTAGGED);
    assertThat(headers.number()).isEqualTo(2);
    assertThat(headers.keyword()).isEqualTo("FETCH");
    assertThat(headers.literals()).hasSize(1);
    assertThat(text(headers.literals().getFirst())).isEqualTo(HEADER);
    assertThat(headers.lines()).hasSize(2);
    assertThat(headers.lines().getLast()).isEqualTo(" FLAGS (\\Seen))");
    assertThat(headers.fetchItem("UID")).isEqualTo(7);
    assertThat(headers.fetchItem("RFC822.SIZE")).isEqualTo(4096);
    assertThat(headers.fetchFlags()).containsExactly("\\Seen"); // after a literal; "FIELDS (" is not FLAGS

    var body = r.read();
    assertThat(body.number()).isEqualTo(3);
    assertThat(body.literals()).hasSize(2);
    assertThat(text(body.literals().get(0))).isEqualTo(BODY); // a literal holding CRLFs, ")" and a fake status
    assertThat(body.literals().get(1)).isEmpty();
    assertThat(body.literalBytes()).isEqualTo(BODY.length());
    assertThat(body.fetchItem("UID")).isEqualTo(8);
    assertThat(body.fetchItem("RFC822.SIZE")).isEqualTo(-1);
    assertThat(body.fetchFlags()).as("no FLAGS item; the literal's text is never searched").isNull();

    var idling = r.read();
    assertThat(idling.kind()).isEqualTo(ImapResponse.Kind.CONTINUATION);
    assertThat(idling.status()).isEmpty();
    var bare = r.read();
    assertThat(bare.kind()).isEqualTo(ImapResponse.Kind.CONTINUATION);

    var tagged = r.read();
    assertThat(tagged.kind()).isEqualTo(ImapResponse.Kind.TAGGED);
    assertThat(tagged.tag()).isEqualTo("q1");
    assertThat(tagged.isOk()).isTrue();
    assertThat(tagged.code()).isEqualTo("APPENDUID 1700 42");
    assertThatThrownBy(r::read).isInstanceOf(EOFException.class);
  }

  @Test
  void read_taggedNoAndBad() throws IOException {
    var r = reader("a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\na2 bad Error in IMAP command\r\n", 64);
    var no = r.read();
    assertThat(no.tag()).isEqualTo("a1");
    assertThat(no.status()).isEqualTo("NO");
    assertThat(no.isOk()).isFalse();
    assertThat(no.code()).isEqualTo("AUTHENTICATIONFAILED");
    var bad = r.read();
    assertThat(bad.status()).isEqualTo("BAD");
    assertThat(bad.code()).isEmpty();
  }

  @Test
  void read_existsSearchAndCapability() throws IOException {
    var r = reader("* 100 EXISTS\r\n* SEARCH 3 17 42\r\n* SEARCH\r\n* CAPABILITY IMAP4rev1 UIDPLUS\r\n", 64);
    var exists = r.read();
    assertThat(exists.number()).isEqualTo(100);
    assertThat(exists.keyword()).isEqualTo("EXISTS");
    assertThat(r.read().searchResults()).containsExactly(3, 17, 42);
    assertThat(r.read().searchResults()).isEmpty();
    var capability = r.read();
    assertThat(capability.status()).isEqualTo("CAPABILITY");
    assertThat(capability.number()).isEqualTo(-1);
    assertThat(capability.keyword()).isEmpty();
  }

  @Test
  void literalLength_markers() throws IOException {
    assertThat(ImapReader.literalLength("* 1 FETCH (BODY[] {4096}")).isEqualTo(4096);
    assertThat(ImapReader.literalLength("* 1 FETCH (BINARY[] ~{12}")).isEqualTo(12);
    assertThat(ImapReader.literalLength("a APPEND INBOX {7+}")).isEqualTo(7);
    assertThat(ImapReader.literalLength("* 1 FETCH (BODY[] {0}")).isZero();
    assertThat(ImapReader.literalLength("* OK done")).isEqualTo(-1);
    assertThat(ImapReader.literalLength("* OK {}")).isEqualTo(-1);
    assertThat(ImapReader.literalLength("* OK {x1}")).isEqualTo(-1);
    assertThat(ImapReader.literalLength("* OK \"quoted {5}\"")).isEqualTo(-1);
    assertThatThrownBy(() -> ImapReader.literalLength("* 1 FETCH (BODY[] {123456789012}"))
        .isInstanceOf(ProtocolException.class);
  }

  @Test
  void read_literalOverLimit_rejected() {
    var r = new ImapReader(new ByteArrayInputStream(ascii("* 1 FETCH (BODY[] {2000}\r\n")), 64, 1024, 1000);
    assertThatThrownBy(r::read).isInstanceOf(ProtocolException.class).hasMessageContaining("2000");
  }

  @Test
  void read_endOfStreamInsideLiteral_fails() {
    var r = reader("* 1 FETCH (BODY[] {10}\r\nabc", 64);
    assertThatThrownBy(r::read).isInstanceOf(EOFException.class).hasMessageContaining("3 of 10");
  }

  @Test
  void read_endOfStreamAfterLiteral_fails() {
    var r = reader("* 1 FETCH (BODY[] {3}\r\nabc", 64);
    assertThatThrownBy(r::read).isInstanceOf(EOFException.class);
  }

  @Test
  void read_bareLf_rejected() {
    assertThatThrownBy(reader("* OK hi\n", 64)::read).isInstanceOf(ProtocolException.class)
        .hasMessageContaining("bare LF");
  }

  @Test
  void read_lineOverMax_rejected() {
    var r = new ImapReader(new ByteArrayInputStream(ascii("* " + "x".repeat(300) + "\r\n")), 16, 256, 1000);
    assertThatThrownBy(r::read).isInstanceOf(ProtocolException.class).hasMessageContaining("256");
  }

  @Test
  void read_longLine_growsBuffer() throws IOException {
    String search = "* SEARCH" + " 12345".repeat(1000);
    var r = new ImapReader(trickle(search + "\r\nq1 OK done\r\n", 100), 16, 1 << 16, 1000);
    assertThat(r.read().searchResults()).hasSize(1000);
    assertThat(r.read().tag()).isEqualTo("q1");
  }

  @Test
  void read_malformedTagged_rejected() {
    assertThatThrownBy(reader("garbage\r\n", 64)::read).isInstanceOf(ProtocolException.class);
  }
}
