package dev.quill.mail.smtp.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.net.ChunkedInputStream;
import dev.quill.mail.net.LineReader;
import dev.quill.mail.smtp.codec.SmtpDataReader.Outcome;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SmtpDataReaderTest {
  private static final long MAX = 10_000;

  private record Read(SmtpDataReader.Result result, String stored, String next) {}

  private static Read read(ChunkedInputStream in, int textLineLimit, long maxSize) throws IOException {
    var reader = new LineReader(in, 64);
    var buffer = new MessageBuffer(16);
    var result = SmtpDataReader.read(reader, buffer, textLineLimit, maxSize);
    LineReader.Line next = reader.readLine(512);
    return new Read(result, new String(buffer.toByteArray(), StandardCharsets.ISO_8859_1), next == null ? null : next.text());
  }

  private static Read read(String wire) throws IOException {
    return read(ChunkedInputStream.of(wire), 1000, MAX);
  }

  @Test
  void read_simpleMessage_storedWithCrlfAndNextCommandInSync() throws IOException {
    Read r = read("Subject: hi\r\n\r\nbody\r\n.\r\nQUIT\r\n");
    assertThat(r.result()).isEqualTo(new SmtpDataReader.Result(Outcome.COMPLETE, 21));
    assertThat(r.stored()).isEqualTo("Subject: hi\r\n\r\nbody\r\n");
    assertThat(r.next()).isEqualTo("QUIT");
  }

  @Test
  void read_emptyMessage_complete() throws IOException {
    Read r = read(".\r\nNOOP\r\n");
    assertThat(r.result().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.stored()).isEmpty();
    assertThat(r.next()).isEqualTo("NOOP");
  }

  @Test
  void read_dotStuffedLines_unstuffed() throws IOException {
    Read r = read("..\r\n...x\r\n.y\r\n.\r\n");
    assertThat(r.stored()).isEqualTo(".\r\n..x\r\ny\r\n");
  }

  @Test
  void read_terminatorSplitAcrossReads_found() throws IOException {
    Read r = read(ChunkedInputStream.of("line one\r", "\n.", "\r", "\nNOOP\r\n"), 1000, MAX);
    assertThat(r.result().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.stored()).isEqualTo("line one\r\n");
    assertThat(r.next()).isEqualTo("NOOP");
  }

  @Test
  void read_byteAtATime_sameResult() throws IOException {
    Read r = read(ChunkedInputStream.bytewise("a\r\n..b\r\n.\r\nQUIT\r\n"), 1000, MAX);
    assertThat(r.stored()).isEqualTo("a\r\n.b\r\n");
    assertThat(r.next()).isEqualTo("QUIT");
  }

  @Test
  void read_bareLf_rejectedAndNotTakenAsEnd() throws IOException {
    // "\n.\r\n" must not end the data: that is the smuggling form; only CRLF.CRLF does.
    Read r = read("a\n.\r\nMAIL FROM:<smuggled@x>\r\n.\r\nNOOP\r\n");
    assertThat(r.result().outcome()).isEqualTo(Outcome.BARE_LINE_END);
    assertThat(r.stored()).isEmpty();
    assertThat(r.next()).isEqualTo("NOOP");
  }

  @Test
  void read_dotEndedByBareLf_notTheEnd() throws IOException {
    Read r = read("a\r\n.\nRSET\r\n.\r\nNOOP\r\n");
    assertThat(r.result().outcome()).isEqualTo(Outcome.BARE_LINE_END);
    assertThat(r.next()).isEqualTo("NOOP");
  }

  @Test
  void read_bareCr_rejected() throws IOException {
    Read r = read("a\rb\r\n.\r\nNOOP\r\n");
    assertThat(r.result().outcome()).isEqualTo(Outcome.BARE_LINE_END);
    assertThat(r.next()).isEqualTo("NOOP");
  }

  @Test
  void read_lineOf998Octets_accepted() throws IOException {
    String line = "x".repeat(998);
    Read r = read(ChunkedInputStream.of(line + "\r\n.\r\n"), 1000, MAX);
    assertThat(r.result().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.stored()).isEqualTo(line + "\r\n");
  }

  @Test
  void read_stuffedLineOf998Octets_dotNotCounted() throws IOException {
    String line = "." + "x".repeat(998);
    Read r = read(ChunkedInputStream.of("." + line + "\r\n.\r\n"), 1000, MAX);
    assertThat(r.result().outcome()).isEqualTo(Outcome.LINE_TOO_LONG);
    Read ok = read(ChunkedInputStream.of("." + "x".repeat(998) + "\r\n.\r\n"), 1000, MAX);
    assertThat(ok.result().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(ok.stored()).isEqualTo("x".repeat(998) + "\r\n");
  }

  @Test
  void read_lineOver998Octets_rejectedAndInSync() throws IOException {
    Read r = read(ChunkedInputStream.of("ok\r\n" + "y".repeat(5000) + "\r\nmore\r\n.\r\nNOOP\r\n"), 1000, 100_000);
    assertThat(r.result().outcome()).isEqualTo(Outcome.LINE_TOO_LONG);
    assertThat(r.result().size()).isEqualTo(4 + 5002 + 6);
    assertThat(r.next()).isEqualTo("NOOP");
  }

  @Test
  void read_noLineLimit_longLineAccepted() throws IOException {
    Read r = read(ChunkedInputStream.of("y".repeat(5000) + "\r\n.\r\n"), 0, 100_000);
    assertThat(r.result().outcome()).isEqualTo(Outcome.COMPLETE);
    assertThat(r.stored()).hasSize(5002);
  }

  @Test
  void read_overMaxSize_countedNotStoredAndInSync() throws IOException {
    String line = "z".repeat(98) + "\r\n";
    Read r = read(ChunkedInputStream.of(line.repeat(300) + ".\r\nNOOP\r\n"), 1000, 10_000);
    assertThat(r.result().outcome()).isEqualTo(Outcome.TOO_BIG);
    assertThat(r.result().size()).isEqualTo(30_000);
    assertThat(r.stored().length()).isLessThanOrEqualTo(10_000);
    assertThat(r.next()).isEqualTo("NOOP");
  }

  @Test
  void read_exactlyMaxSize_accepted() throws IOException {
    String line = "z".repeat(98) + "\r\n";
    Read r = read(ChunkedInputStream.of(line.repeat(100) + ".\r\n"), 1000, 10_000);
    assertThat(r.result()).isEqualTo(new SmtpDataReader.Result(Outcome.COMPLETE, 10_000));
  }

  @Test
  void read_eofBeforeTerminator_eof() throws IOException {
    Read r = read("Subject: cut\r\nbody\r\n");
    assertThat(r.result().outcome()).isEqualTo(Outcome.EOF);
  }

  @Test
  void checkLines_crlfText_complete() {
    byte[] b = "a\r\nb\r\nlast".getBytes(StandardCharsets.US_ASCII);
    assertThat(SmtpDataReader.checkLines(b, 0, b.length, 1000)).isEqualTo(Outcome.COMPLETE);
  }

  @Test
  void checkLines_bareLfOrCr_rejected() {
    byte[] lf = "a\nb\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] cr = "a\rb\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] trailingCr = "a\r".getBytes(StandardCharsets.US_ASCII);
    assertThat(SmtpDataReader.checkLines(lf, 0, lf.length, 1000)).isEqualTo(Outcome.BARE_LINE_END);
    assertThat(SmtpDataReader.checkLines(cr, 0, cr.length, 1000)).isEqualTo(Outcome.BARE_LINE_END);
    assertThat(SmtpDataReader.checkLines(trailingCr, 0, trailingCr.length, 1000)).isEqualTo(Outcome.BARE_LINE_END);
  }

  @Test
  void checkLines_longLine_rejectedUnlessUnlimited() {
    byte[] b = ("x".repeat(999) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    assertThat(SmtpDataReader.checkLines(b, 0, b.length, 1000)).isEqualTo(Outcome.LINE_TOO_LONG);
    assertThat(SmtpDataReader.checkLines(b, 0, b.length, 0)).isEqualTo(Outcome.COMPLETE);
    byte[] ok = ("x".repeat(998) + "\r\n").getBytes(StandardCharsets.US_ASCII);
    assertThat(SmtpDataReader.checkLines(ok, 0, ok.length, 1000)).isEqualTo(Outcome.COMPLETE);
  }

  @Test
  void outcome_replies_matchRfcCodes() {
    assertThat(Outcome.TOO_BIG.reply().code()).isEqualTo(552);
    assertThat(Outcome.TOO_BIG.reply().enhanced()).isEqualTo("5.3.4");
    assertThat(Outcome.BARE_LINE_END.reply().code()).isEqualTo(550);
    assertThat(Outcome.COMPLETE.reply()).isNull();
  }
}
