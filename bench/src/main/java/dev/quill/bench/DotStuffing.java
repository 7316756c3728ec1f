package dev.quill.bench;

import java.io.ByteArrayOutputStream;

/**
 * Transparency for the DATA (RFC 5321 §4.5.2) and POP3 multi-line (RFC 1939 §3) encodings: a line that begins
 * with a period gets one more period in front on the wire, and a line holding a lone period ends the data.
 */
public final class DotStuffing {
  /** The end-of-data line, written after the stuffed content. */
  public static final byte[] TERMINATOR = {'.', '\r', '\n'};

  private DotStuffing() {}

  /**
   * Returns the wire form of a message whose lines end with CRLF, without the terminating {@code .CRLF}. A message
   * not ending in CRLF gets one appended, as the terminator must start a line.
   */
  public static byte[] stuff(byte[] message) {
    var out = new ByteArrayOutputStream(message.length + message.length / 64 + 2);
    boolean lineStart = true;
    for (byte b : message) {
      if (lineStart && b == '.') {
        out.write('.');
      }
      out.write(b);
      lineStart = b == '\n';
    }
    if (message.length > 0 && !lineStart) {
      out.write('\r');
      out.write('\n');
    }
    return out.toByteArray();
  }

  /**
   * Reverses {@link #stuff}: removes one leading period from each line of a wire form that does not include the
   * terminator.
   */
  public static byte[] unstuff(byte[] wire) {
    var out = new ByteArrayOutputStream(wire.length);
    boolean lineStart = true;
    for (byte b : wire) {
      if (!(lineStart && b == '.')) {
        out.write(b);
      }
      lineStart = b == '\n';
    }
    return out.toByteArray();
  }
}
