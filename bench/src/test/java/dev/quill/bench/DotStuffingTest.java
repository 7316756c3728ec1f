package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DotStuffingTest {
  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }

  @Test
  void stuff_leadingPeriods_doubled() {
    assertThat(text(DotStuffing.stuff(ascii(".\r\n..x\r\na.b\r\n.\r\n"))))
        .isEqualTo("..\r\n...x\r\na.b\r\n..\r\n");
  }

  @Test
  void stuff_missingFinalCrlf_added() {
    assertThat(text(DotStuffing.stuff(ascii("abc\r\n.d")))).isEqualTo("abc\r\n..d\r\n");
  }

  @Test
  void stuff_thenUnstuff_roundTrips() {
    byte[] message = new MessageBuilder(5).build(MessageBuilder.envelope("a@b.test", "c@d.test", 1, "r"), 4096);
    byte[] wire = DotStuffing.stuff(message);
    assertThat(wire.length).isGreaterThan(message.length);
    assertThat(text(wire)).doesNotContain("\r\n.\r\n");
    assertThat(DotStuffing.unstuff(wire)).isEqualTo(message);
  }

  @Test
  void readDotTerminated_unstuffsAndCounts() throws IOException {
    byte[] message = new MessageBuilder(5).build(MessageBuilder.envelope("a@b.test", "c@d.test", 1, "r"), 4096);
    var stream = new ByteArrayOutputStream();
    stream.writeBytes(DotStuffing.stuff(message));
    stream.writeBytes(DotStuffing.TERMINATOR);
    stream.writeBytes(ascii("+OK next\r\n"));
    var reader = new ReplyReader(new ByteArrayInputStream(stream.toByteArray()), 128);
    var body = new ByteArrayOutputStream();
    long n = reader.readDotTerminated(body::write);
    assertThat(n).isEqualTo(message.length);
    assertThat(body.toByteArray()).isEqualTo(message);
    assertThat(reader.readLine()).isEqualTo("+OK next");
  }

  @Test
  void readDotTerminated_missingTerminator_fails() {
    var reader = new ReplyReader(new ByteArrayInputStream(ascii("line\r\n")), 64);
    assertThatThrownBy(() -> reader.readDotTerminated(null)).isInstanceOf(EOFException.class);
  }

  @Test
  void readLine_bareLf_rejected() {
    var reader = new ReplyReader(new ByteArrayInputStream(ascii("250 ok\n")), 64);
    assertThatThrownBy(reader::readLine).isInstanceOf(ProtocolException.class).hasMessageContaining("bare LF");
  }

  @Test
  void readLine_tooLong_rejected() {
    var reader = new ReplyReader(new ByteArrayInputStream(ascii("x".repeat(100) + "\r\n")), 64);
    assertThatThrownBy(reader::readLine).isInstanceOf(ProtocolException.class).hasMessageContaining("64");
  }

  @Test
  void readLine_splitAcrossReads_joined() throws IOException {
    var in = new InputStream() {
      private final byte[] data = ascii("250-a\r\n250 b\r\n");
      private int i;

      @Override
      public int read() {
        return i < data.length ? data[i++] : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (i >= data.length) {
          return -1;
        }
        b[off] = data[i++]; // one byte per read
        return 1;
      }
    };
    var reader = new ReplyReader(in, 16);
    assertThat(reader.readLine()).isEqualTo("250-a");
    assertThat(reader.readLine()).isEqualTo("250 b");
  }
}
