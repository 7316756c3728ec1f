package dev.quill.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * Reads CRLF-terminated lines from a server, and dot-terminated multi-line bodies with un-stuffing, from its own
 * buffer so that large bodies are not copied line by line.
 *
 * <p>A line longer than the buffer, a bare LF and an end of stream inside a body are protocol errors.
 */
final class ReplyReader {
  private final InputStream in;
  private final byte[] buf;
  private int pos;
  private int limit;

  ReplyReader(InputStream in, int bufferSize) {
    this.in = in;
    this.buf = new byte[bufferSize];
  }

  /** Reads one line and returns it without its CRLF. */
  String readLine() throws IOException {
    int end = lineEnd();
    int start = pos;
    pos = end + 1;
    return new String(buf, start, end - 1 - start, StandardCharsets.ISO_8859_1);
  }

  /**
   * Reads a multi-line body up to and including the lone-period line, removing dot-stuffing.
   *
   * @param sink receives the un-stuffed content (CRLF line endings kept); may be null to only count
   * @return the number of un-stuffed bytes, CRLFs included
   */
  long readDotTerminated(BodySink sink) throws IOException {
    long total = 0;
    while (true) {
      int end = lineEnd();
      int start = pos;
      pos = end + 1;
      int length = end + 1 - start; // with CRLF
      if (buf[start] == '.') {
        if (length == 3) {
          return total;
        }
        start++;
        length--;
      }
      if (sink != null) {
        sink.accept(buf, start, length);
      }
      total += length;
    }
  }

  /** Index of the LF that ends the next line, checked to follow a CR; fills the buffer as needed. */
  private int lineEnd() throws IOException {
    int scanFrom = pos;
    while (true) {
      for (int i = scanFrom; i < limit; i++) {
        if (buf[i] == '\n') {
          if (i == pos || buf[i - 1] != '\r') {
            throw new ProtocolException("bare LF in server reply: \"" + preview(pos, i) + "\"");
          }
          return i;
        }
      }
      scanFrom = limit - pos;
      if (pos > 0) {
        System.arraycopy(buf, pos, buf, 0, limit - pos);
        limit -= pos;
        pos = 0;
      }
      if (limit == buf.length) {
        throw new ProtocolException("server line longer than " + buf.length + " bytes: \"" + preview(0, 60) + "\"");
      }
      int n = in.read(buf, limit, buf.length - limit);
      if (n < 0) {
        throw new EOFException(limit == pos ? "server closed the connection"
            : "server closed the connection inside a line: \"" + preview(pos, limit) + "\"");
      }
      limit += n;
    }
  }

  private String preview(int from, int to) {
    int end = Math.min(to, Math.min(limit, from + 100));
    return new String(buf, from, Math.max(0, end - from), StandardCharsets.ISO_8859_1)
        .replace("\r", "\\r").replace("\n", "\\n");
  }

  /** Receives the bytes of a multi-line body. */
  @FunctionalInterface
  interface BodySink {
    void accept(byte[] bytes, int offset, int length) throws IOException;
  }
}
