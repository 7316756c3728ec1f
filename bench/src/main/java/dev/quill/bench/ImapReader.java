package dev.quill.bench;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads whole IMAP responses from a server: CRLF-terminated lines, and the literals ({@code {n}CRLF} followed by
 * exactly n bytes, RFC 9051 section 4.3; also {@code ~{n}} literal8 and a tolerated {@code {n+}}) that may end a
 * line, after which the response continues on the next line. A response is returned only once complete, however
 * its bytes were split across reads.
 *
 * <p>Lines are collected in an internal buffer that grows up to {@code maxLine} bytes; literals are read into
 * arrays of their exact size, from the buffer and then straight from the stream. A bare LF, a line longer than
 * {@code maxLine}, a literal larger than {@code maxLiteral} and an end of stream inside a response are protocol
 * errors.
 */
final class ImapReader {
  private final InputStream in;
  private final int maxLine;
  private final int maxLiteral;
  private byte[] buf;
  private int pos;
  private int limit;

  ImapReader(InputStream in, int initialBuffer, int maxLine, int maxLiteral) {
    this.in = in;
    this.buf = new byte[Math.min(initialBuffer, maxLine)];
    this.maxLine = maxLine;
    this.maxLiteral = maxLiteral;
  }

  /** Reads the next complete response. */
  ImapResponse read() throws IOException {
    String line = readLine();
    long literal = literalLength(line);
    if (literal < 0) {
      return ImapResponse.of(List.of(line), List.of());
    }
    var lines = new ArrayList<String>(4);
    var literals = new ArrayList<byte[]>(2);
    while (literal >= 0) {
      if (literal > maxLiteral) {
        throw new ProtocolException("literal of " + literal + " bytes exceeds the limit of " + maxLiteral + ": \""
            + preview(line) + "\"");
      }
      lines.add(line);
      literals.add(readExactly((int) literal));
      line = readLine();
      literal = literalLength(line);
    }
    lines.add(line);
    return ImapResponse.of(lines, literals);
  }

  /**
   * The length announced by a literal marker ending {@code line} ({@code {n}}, {@code {n+}}, {@code ~{n}}), or -1
   * when the line does not end in one.
   */
  static long literalLength(String line) throws ProtocolException {
    int end = line.length() - 1;
    if (end < 2 || line.charAt(end) != '}') {
      return -1;
    }
    int open = line.lastIndexOf('{', end);
    if (open < 0) {
      return -1;
    }
    int digitsEnd = line.charAt(end - 1) == '+' ? end - 1 : end;
    if (digitsEnd == open + 1) {
      return -1;
    }
    for (int i = open + 1; i < digitsEnd; i++) {
      if (line.charAt(i) < '0' || line.charAt(i) > '9') {
        return -1;
      }
    }
    if (digitsEnd - open - 1 > 10) {
      throw new ProtocolException("literal length too long: \"" + preview(line) + "\"");
    }
    return Long.parseLong(line, open + 1, digitsEnd, 10);
  }

  /** Reads one line and returns it without its CRLF (ISO-8859-1, so any byte maps to one char). */
  private String readLine() throws IOException {
    int end = lineEnd();
    int start = pos;
    pos = end + 1;
    return new String(buf, start, end - 1 - start, StandardCharsets.ISO_8859_1);
  }

  private byte[] readExactly(int n) throws IOException {
    byte[] out = new byte[n];
    int have = Math.min(n, limit - pos);
    System.arraycopy(buf, pos, out, 0, have);
    pos += have;
    while (have < n) {
      int r = in.read(out, have, n - have);
      if (r < 0) {
        throw new EOFException("server closed the connection inside a literal (" + have + " of " + n + " bytes)");
      }
      have += r;
    }
    return out;
  }

  /** Index of the LF that ends the next line, checked to follow a CR; fills (and grows) the buffer as needed. */
  private int lineEnd() throws IOException {
    int scanFrom = pos;
    while (true) {
      for (int i = scanFrom; i < limit; i++) {
        if (buf[i] == '\n') {
          if (i == pos || buf[i - 1] != '\r') {
            throw new ProtocolException("bare LF in server response: \"" + preview(pos, i) + "\"");
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
        if (buf.length >= maxLine) {
          throw new ProtocolException("server line longer than " + maxLine + " bytes: \"" + preview(0, 60) + "\"");
        }
        buf = java.util.Arrays.copyOf(buf, (int) Math.min(maxLine, buf.length * 2L));
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

  private static String preview(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }
}
