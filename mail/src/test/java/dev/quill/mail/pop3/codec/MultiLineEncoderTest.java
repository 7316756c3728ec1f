package dev.quill.mail.pop3.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class MultiLineEncoderTest {

  private static String encode(String message, int bodyLines) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MultiLineEncoder.writeMessage(message.getBytes(StandardCharsets.ISO_8859_1), bodyLines, out::write);
    return out.toString(StandardCharsets.ISO_8859_1);
  }

  /** What a client does: drop the terminator line, then remove one leading dot from each line. */
  private static String decode(String wire) {
    assertThat(wire).endsWith("\r\n.\r\n");
    String body = wire.substring(0, wire.length() - 5); // without the last CRLF and ".CRLF"
    StringBuilder b = new StringBuilder();
    for (String line : body.split("\r\n", -1)) {
      b.append(line.startsWith(".") ? line.substring(1) : line).append("\r\n");
    }
    return b.toString();
  }

  @Test
  void retr_plainMessage_endsWithTerminator() throws IOException {
    assertThat(encode("Subject: x\r\n\r\nhello\r\n", -1)).isEqualTo("Subject: x\r\n\r\nhello\r\n.\r\n");
  }

  @Test
  void retr_linesStartingWithDot_areStuffed() throws IOException {
    assertThat(encode(".first\r\nmid.dle\r\n.\r\n..two\r\n", -1))
        .isEqualTo("..first\r\nmid.dle\r\n..\r\n...two\r\n.\r\n");
  }

  @Test
  void retr_messageWithoutFinalCrlf_getsOneBeforeTerminator() throws IOException {
    assertThat(encode("a\r\nlast", -1)).isEqualTo("a\r\nlast\r\n.\r\n");
    assertThat(encode("a\r\n.", -1)).isEqualTo("a\r\n..\r\n.\r\n");
  }

  @Test
  void retr_emptyMessage_isOnlyTerminator() throws IOException {
    assertThat(encode("", -1)).isEqualTo(".\r\n");
  }

  @Test
  void retr_dotAfterBareLf_isStuffedToo() throws IOException {
    assertThat(encode("a\n.\r\nb\r\n", -1)).isEqualTo("a\n..\r\nb\r\n.\r\n");
  }

  @Test
  void retr_noDots_singleSinkCallPlusTerminator() throws IOException {
    AtomicInteger calls = new AtomicInteger();
    MultiLineEncoder.writeMessage("Subject: x\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII), -1,
        (b, off, len) -> calls.incrementAndGet());
    assertThat(calls).hasValue(2);
  }

  @Test
  void top_zeroLines_sendsHeadersAndBlankLine() throws IOException {
    assertThat(encode("A: 1\r\nB: 2\r\n\r\nline1\r\nline2\r\n", 0)).isEqualTo("A: 1\r\nB: 2\r\n\r\n.\r\n");
  }

  @Test
  void top_someLines_cutsBody() throws IOException {
    assertThat(encode("A: 1\r\n\r\nl1\r\n.l2\r\nl3\r\n", 2)).isEqualTo("A: 1\r\n\r\nl1\r\n..l2\r\n.\r\n");
  }

  @Test
  void top_moreLinesThanBody_sendsWholeMessage() throws IOException {
    assertThat(encode("A: 1\r\n\r\nl1\r\n", 50)).isEqualTo("A: 1\r\n\r\nl1\r\n.\r\n");
  }

  @Test
  void top_messageWithoutBody_sendsAllHeaders() throws IOException {
    assertThat(encode("A: 1\r\nB: 2\r\n", 0)).isEqualTo("A: 1\r\nB: 2\r\n.\r\n");
  }

  @Test
  void listingLine_leadingDot_stuffed() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    MultiLineEncoder.writeLine(".hidden", out::write);
    MultiLineEncoder.writeLine("1 20", out::write);
    MultiLineEncoder.writeEnd(out::write);
    assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo("..hidden\r\n1 20\r\n.\r\n");
  }

  @Property(tries = 1000)
  void retr_anyCrlfMessage_clientDecodesItBack(
      @ForAll @StringLength(max = 200) @CharRange(from = ' ', to = '~') String text,
      @ForAll @IntRange(min = 1, max = 7) int every) throws IOException {
    // build CRLF lines from the text, with dots in interesting places
    StringBuilder m = new StringBuilder();
    for (int i = 0; i < text.length(); i++) {
      m.append(text.charAt(i));
      if (i % every == 0) {
        m.append("\r\n");
      }
    }
    String message = m.length() == 0 ? "" : m.append("\r\n").toString();
    String wire = encode(message, -1);
    if (!message.isEmpty()) {
      assertThat(decode(wire)).isEqualTo(message);
      // the only line that is exactly "." is the terminator
      assertThat(wire.indexOf("\r\n.\r\n")).isEqualTo(wire.length() - 5);
    }
  }
}
