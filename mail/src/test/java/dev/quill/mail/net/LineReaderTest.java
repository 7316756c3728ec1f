package dev.quill.mail.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LineReaderTest {

  private static LineReader reader(ChunkedInputStream in) {
    return new LineReader(in, 64);
  }

  @Test
  void readLine_crlfSplitAcrossReads_oneLine() throws IOException {
    var r = reader(ChunkedInputStream.of("NOOP\r", "\nQUIT\r\n"));
    LineReader.Line first = r.readLine(512);
    assertThat(first.text()).isEqualTo("NOOP");
    assertThat(first.bareLf()).isFalse();
    assertThat(first.tooLong()).isFalse();
    assertThat(r.readLine(512).text()).isEqualTo("QUIT");
    assertThat(r.readLine(512)).isNull();
  }

  @Test
  void readLine_byteAtATime_sameLines() throws IOException {
    var r = reader(ChunkedInputStream.bytewise("EHLO a.example\r\nMAIL FROM:<>\r\n"));
    assertThat(r.readLine(512).text()).isEqualTo("EHLO a.example");
    assertThat(r.readLine(512).text()).isEqualTo("MAIL FROM:<>");
    assertThat(r.readLine(512)).isNull();
  }

  @Test
  void readLine_longerThanBuffer_assembled() throws IOException {
    String line = "X".repeat(300);
    var r = reader(ChunkedInputStream.of(line + "\r\n"));
    LineReader.Line got = r.readLine(512);
    assertThat(got.text()).isEqualTo(line);
    assertThat(got.length()).isEqualTo(300);
  }

  @Test
  void readLine_overLimit_discardedAndNextLineInSync() throws IOException {
    var r = reader(ChunkedInputStream.of("A".repeat(100), "B".repeat(100) + "\r\nNOOP\r\n"));
    LineReader.Line big = r.readLine(50);
    assertThat(big.tooLong()).isTrue();
    assertThat(big.bytes()).isEmpty();
    assertThat(big.length()).isEqualTo(200);
    assertThat(r.readLine(50).text()).isEqualTo("NOOP");
  }

  @Test
  void readLine_exactlyAtLimit_accepted() throws IOException {
    var r = reader(ChunkedInputStream.of("12345\r\n123456\r\n"));
    assertThat(r.readLine(5).text()).isEqualTo("12345");
    assertThat(r.readLine(5).tooLong()).isTrue();
  }

  @Test
  void readLine_bareLf_reported() throws IOException {
    var r = reader(ChunkedInputStream.of("NOOP\nQUIT\r\n"));
    LineReader.Line bare = r.readLine(512);
    assertThat(bare.bareLf()).isTrue();
    assertThat(bare.text()).isEqualTo("NOOP");
    assertThat(r.readLine(512).bareLf()).isFalse();
  }

  @Test
  void readLine_bareCrInsideLine_keptForTheProtocol() throws IOException {
    var r = reader(ChunkedInputStream.of("NO\rOP\r\n"));
    assertThat(r.readLine(512).text()).isEqualTo("NO\rOP");
  }

  @Test
  void readLine_partialLineAtEof_dropped() throws IOException {
    var r = reader(ChunkedInputStream.of("NOOP\r\nQUI"));
    assertThat(r.readLine(512).text()).isEqualTo("NOOP");
    assertThat(r.readLine(512)).isNull();
  }

  @Test
  void readLine_emptyStream_null() throws IOException {
    assertThat(reader(ChunkedInputStream.of()).readLine(512)).isNull();
  }

  @Test
  void discardBuffered_dropsPipelinedBytes() throws IOException {
    var r = reader(ChunkedInputStream.of("STARTTLS\r\nMAIL FROM:<evil@x>\r\n", "EHLO after\r\n"));
    assertThat(r.readLine(512).text()).isEqualTo("STARTTLS");
    assertThat(r.buffered()).isEqualTo("MAIL FROM:<evil@x>\r\n".length());
    assertThat(r.discardBuffered()).isEqualTo("MAIL FROM:<evil@x>\r\n".length());
    assertThat(r.buffered()).isZero();
    assertThat(r.readLine(512).text()).isEqualTo("EHLO after");
  }

  @Test
  void readExactly_acrossReads_copiesAndKeepsTheRest() throws IOException {
    var r = reader(ChunkedInputStream.of("BDAT 10\r\n0123", "456789QUIT\r\n"));
    assertThat(r.readLine(512).text()).isEqualTo("BDAT 10");
    var sink = new ByteArrayOutputStream();
    assertThat(r.readExactly(10, sink)).isTrue();
    assertThat(sink.toString(StandardCharsets.ISO_8859_1)).isEqualTo("0123456789");
    assertThat(r.readLine(512).text()).isEqualTo("QUIT");
  }

  @Test
  void readExactly_nullSink_discards() throws IOException {
    var r = reader(ChunkedInputStream.of("abcdefNOOP\r\n"));
    assertThat(r.readExactly(6, null)).isTrue();
    assertThat(r.readLine(512).text()).isEqualTo("NOOP");
  }

  @Test
  void readExactly_prematureEof_false() throws IOException {
    var r = reader(ChunkedInputStream.of("abc"));
    assertThat(r.readExactly(10, new ByteArrayOutputStream())).isFalse();
  }

  @Test
  void awaitInput_bytesArrive_trueWithoutConsuming() throws IOException {
    var r = reader(ChunkedInputStream.of("EHLO x\r\n"));
    assertThat(r.awaitInput()).isTrue();
    assertThat(r.buffered()).isEqualTo(8);
    assertThat(r.readLine(512).text()).isEqualTo("EHLO x");
  }

  @Test
  void awaitInput_endOfStream_false() throws IOException {
    assertThat(reader(ChunkedInputStream.of()).awaitInput()).isFalse();
  }
}
