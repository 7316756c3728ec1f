package dev.quill.mail.imap.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.net.ChunkedInputStream;
import dev.quill.mail.net.LineReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Command assembly from lines and literals, with the size rules. */
class ImapRequestReaderTest {
  private final AtomicInteger continuations = new AtomicInteger();

  private ImapRequestReader reader(InputStream in) {
    return new ImapRequestReader(new LineReader(in, 64), 1000, 100);
  }

  private ImapRequestReader.Request next(ImapRequestReader r) throws IOException {
    return r.next(continuations::incrementAndGet);
  }

  private static String text(ImapRequestReader.Request r) {
    return new String(((ImapRequestReader.Command) r).bytes(), StandardCharsets.ISO_8859_1);
  }

  @Test
  void plainLine_isOneCommand() throws IOException {
    ImapRequestReader r = reader(ChunkedInputStream.of("a NOOP\r\nb CAPABILITY\r\n"));
    assertThat(text(next(r))).isEqualTo("a NOOP");
    assertThat(text(next(r))).isEqualTo("b CAPABILITY");
    assertThat(next(r)).isNull();
  }

  @Test
  void synchronizingLiterals_askForContinuation_andAreAssembled() throws IOException {
    ImapRequestReader r = reader(ChunkedInputStream.bytewise("a LOGIN {5}\r\nalice {6}\r\nsecret\r\n"));
    ImapRequestReader.Request req = next(r);
    assertThat(text(req)).isEqualTo("a LOGIN {5}\r\nalice {6}\r\nsecret");
    assertThat(continuations).hasValue(2);
    assertThat(ImapCommandParser.parse(((ImapRequestReader.Command) req).bytes()))
        .isEqualTo(new ImapCommand.Login("a", "alice", "secret"));
  }

  @Test
  void nonSynchronizingLiteral_needsNoContinuation() throws IOException {
    ImapRequestReader r = reader(ChunkedInputStream.of("a APPEND INBOX {5+}\r\nhel", "lo\r\n"));
    assertThat(text(next(r))).isEqualTo("a APPEND INBOX {5+}\r\nhello");
    assertThat(continuations).hasValue(0);
  }

  @Test
  void literalContainingCrlfAndBraces_isCountedExactly() throws IOException {
    ImapRequestReader r = reader(ChunkedInputStream.of("a APPEND INBOX {7+}\r\nx {3}\r\n\r\n", "b NOOP\r\n"));
    assertThat(text(next(r))).isEqualTo("a APPEND INBOX {7+}\r\nx {3}\r\n");
    assertThat(text(next(r))).isEqualTo("b NOOP");
  }

  @Test
  void tooBigSynchronizingAppend_isRefusedBeforeItIsSent() throws IOException {
    ImapRequestReader r = reader(ChunkedInputStream.of("a APPEND INBOX {101}\r\nb NOOP\r\n"));
    assertThat(next(r)).isEqualTo(new ImapRequestReader.LiteralTooBig("a", true));
    assertThat(continuations).hasValue(0);
    assertThat(text(next(r))).isEqualTo("b NOOP");
  }

  @Test
  void tooBigNonSynchronizingAppend_isDiscarded_andTheStreamStaysInSync() throws IOException {
    String literal = "c DELETE INBOX\r\n".repeat(10);
    ImapRequestReader r = reader(ChunkedInputStream.bytewise(
        "a APPEND INBOX {" + literal.length() + "+}\r\n" + literal + " {3+}\r\nabc\r\nb NOOP\r\n"));
    assertThat(next(r)).isEqualTo(new ImapRequestReader.LiteralTooBig("a", true));
    assertThat(text(next(r))).isEqualTo("b NOOP");
  }

  @Test
  void literalOfOtherCommands_countsAgainstTheLineLimit() throws IOException {
    ImapRequestReader r = reader(ChunkedInputStream.of("a LOGIN {2000}\r\nb NOOP\r\n"));
    assertThat(next(r)).isEqualTo(new ImapRequestReader.LiteralTooBig("a", false));
    assertThat(text(next(r))).isEqualTo("b NOOP");
  }

  @Test
  void overlongLine_isSkipped() throws IOException {
    ImapRequestReader r = reader(ChunkedInputStream.of("a NOOP " + "x".repeat(5000) + "\r\nb NOOP\r\n"));
    assertThat(next(r)).isEqualTo(new ImapRequestReader.LineTooLong("*"));
    assertThat(text(next(r))).isEqualTo("b NOOP");
  }

  @Test
  void endOfStreamInsideALiteral_isEnd() throws IOException {
    assertThat(next(reader(ChunkedInputStream.of("a LOGIN {10}\r\nabc")))).isNull();
  }

  @Test
  void literalAtEnd_recognisesOnlyWellFormedMarkers() {
    assertThat(ImapRequestReader.literalAtEnd("x {12}".getBytes(StandardCharsets.US_ASCII))).containsExactly(12, 0);
    assertThat(ImapRequestReader.literalAtEnd("x {12+}".getBytes(StandardCharsets.US_ASCII))).containsExactly(12, 1);
    assertThat(ImapRequestReader.literalAtEnd("x {}".getBytes(StandardCharsets.US_ASCII))).isNull();
    assertThat(ImapRequestReader.literalAtEnd("x 12}".getBytes(StandardCharsets.US_ASCII))).isNull();
    assertThat(ImapRequestReader.literalAtEnd("x {99999999999999999999}".getBytes(StandardCharsets.US_ASCII))).isNull();
  }
}
