package dev.quill.mail.pop3.codec;

import java.io.IOException;

/**
 * Writes the body of a POP3 multi-line response: a stored message (whole for RETR, cut after
 * the headers and {@code n} body lines for TOP), byte-stuffed and ended by {@code CRLF.CRLF}.
 *
 * <p>The message is scanned once. Runs of bytes between stuffing points go to the sink
 * unchanged, so a 4 KB message with no line starting with '.' costs one sink call plus the
 * terminator, and nothing is copied.
 *
 * <p>Standards: RFC 1939 section 3 (byte-stuffing and the terminating octet) and section 7 (TOP).
 *
 * <p>Security: every line that starts with '.' is stuffed, including lines after a bare LF
 * (which the store should never hold, but a client that splits on LF would otherwise see an
 * early end of the message and read the rest as server replies). A message that does not end
 * in CRLF gets one before the terminator, so the terminator is always on a line of its own.
 */
public final class MultiLineEncoder {
  private MultiLineEncoder() {}

  /** Where encoded bytes go; {@code Connection::writeRaw} fits. */
  @FunctionalInterface
  public interface ByteSink {
    /** Queues {@code len} bytes of {@code b} from {@code off}. */
    void write(byte[] b, int off, int len) throws IOException;
  }

  private static final byte[] DOT = {'.'};
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] TERMINATOR = {'.', '\r', '\n'};

  /**
   * Writes {@code message} byte-stuffed, then the terminator.
   *
   * @param bodyLines -1 for the whole message (RETR); otherwise the headers, the blank line
   *     after them and at most this many body lines (TOP)
   */
  public static void writeMessage(byte[] message, int bodyLines, ByteSink sink) throws IOException {
    int end = bodyLines < 0 ? message.length : topEnd(message, bodyLines);
    int runStart = 0;
    int lineStart = 0;
    while (lineStart < end) {
      if (message[lineStart] == '.') {
        if (lineStart > runStart) {
          sink.write(message, runStart, lineStart - runStart);
        }
        sink.write(DOT, 0, 1);
        runStart = lineStart; // the original dot goes out with the next run
      }
      int lf = indexOfLf(message, lineStart, end);
      if (lf < 0) {
        break;
      }
      lineStart = lf + 1;
    }
    if (end > runStart) {
      sink.write(message, runStart, end - runStart);
    }
    boolean endsWithCrlf = end >= 2 && message[end - 2] == '\r' && message[end - 1] == '\n';
    if (end > 0 && !endsWithCrlf) {
      sink.write(CRLF, 0, 2);
    }
    sink.write(TERMINATOR, 0, 3);
  }

  /** Writes one line of a multi-line listing (CAPA, LIST, UIDL), stuffing a leading dot. */
  public static void writeLine(String line, ByteSink sink) throws IOException {
    if (line.startsWith(".")) {
      sink.write(DOT, 0, 1);
    }
    byte[] b = line.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    sink.write(b, 0, b.length);
    sink.write(CRLF, 0, 2);
  }

  /** Writes the terminator of a multi-line listing. */
  public static void writeEnd(ByteSink sink) throws IOException {
    sink.write(TERMINATOR, 0, 3);
  }

  /**
   * The end offset (exclusive) of the headers, the empty line that ends them and the first
   * {@code bodyLines} lines of the body. A message without an empty line is all headers.
   */
  static int topEnd(byte[] m, int bodyLines) {
    int lineStart = 0;
    boolean inBody = false;
    int left = bodyLines;
    while (lineStart < m.length) {
      int lf = indexOfLf(m, lineStart, m.length);
      if (lf < 0) {
        return m.length; // last line without terminator: inside the cut either way
      }
      if (inBody) {
        left--;
      } else {
        int contentLength = lf - lineStart;
        boolean empty = contentLength == 0 || (contentLength == 1 && m[lineStart] == '\r');
        inBody = empty;
      }
      if (inBody && left == 0) {
        return lf + 1;
      }
      lineStart = lf + 1;
    }
    return m.length;
  }

  private static int indexOfLf(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == '\n') {
        return i;
      }
    }
    return -1;
  }
}
