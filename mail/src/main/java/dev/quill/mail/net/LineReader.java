package dev.quill.mail.net;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Reads CRLF-terminated protocol lines with a hard length limit, over a buffer whose contents
 * the caller can inspect (pipelining checks) and discard (STARTTLS).
 *
 * <p>Security: a line longer than the limit is never buffered whole; the reader skips to the
 * next line end and reports {@link Line#tooLong()}, so a client cannot exhaust memory and the
 * session stays in sync (as Postfix's bounded read does). A line ended by a bare LF is reported
 * as such ({@link Line#bareLf()}): SMTP must refuse it, since accepting LF where peers expect
 * CRLF lets a client smuggle a second message past a filter (SMTP smuggling). A bare CR inside a
 * line is kept and left to the protocol to judge.
 */
public final class LineReader {
  private InputStream in;
  private final byte[] buf;
  private int pos;
  private int limit;
  /** Bytes received so far; read by a stopping server to tell whether a waiting session got input. */
  private volatile long received;

  /** A line without its terminator; {@code bytes} is empty when {@code tooLong}. */
  public record Line(byte[] bytes, int length, boolean tooLong, boolean bareLf) {
    /** The line as ISO-8859-1 text (one char per octet, lossless). */
    public String text() {
      return new String(bytes, 0, bytes.length, java.nio.charset.StandardCharsets.ISO_8859_1);
    }
  }

  /** Creates a reader over {@code in} with a buffer of {@code bufferSize} bytes. */
  public LineReader(InputStream in, int bufferSize) {
    this.in = in;
    this.buf = new byte[bufferSize];
  }

  /** Switches to a new stream (after a TLS handshake); the caller discards what was buffered first. */
  public void replaceStream(InputStream newIn) {
    this.in = newIn;
  }

  /** Bytes already received but not yet consumed. */
  public int buffered() {
    return limit - pos;
  }

  /**
   * Waits until some input is buffered, without consuming it: true when bytes are buffered,
   * false at end of stream. The socket's read timeout applies (SMTP's pregreet test waits this
   * way, then looks at {@link #buffered()}).
   */
  public boolean awaitInput() throws IOException {
    return pos < limit || fill();
  }

  /** Drops buffered bytes, returning how many; used at STARTTLS so pre-TLS input is never read as TLS-protected. */
  public int discardBuffered() {
    int n = limit - pos;
    pos = limit = 0;
    return n;
  }

  /**
   * Reads the next line of at most {@code maxLength} octets (terminator excluded).
   *
   * @return the line, or null at end of stream (a partial last line without terminator is dropped)
   */
  public Line readLine(int maxLength) throws IOException {
    byte[] out = new byte[Math.min(maxLength + 1, 256)];
    int len = 0; // bytes kept in out, a trailing CR included
    int total = 0; // bytes seen on this line, kept or not
    int last = -1; // the byte just before the LF, to tell CRLF from a bare LF
    while (true) {
      if (pos == limit && !fill()) {
        return null;
      }
      int lf = pos;
      while (lf < limit && buf[lf] != '\n') {
        lf++;
      }
      int chunk = lf - pos;
      if (chunk > 0) {
        last = buf[lf - 1];
        int room = maxLength + 1 - len; // +1 leaves space for the CR of CRLF
        int keep = Math.min(chunk, Math.max(room, 0));
        if (len + keep > out.length) {
          out = Arrays.copyOf(out, Math.min(Math.max(out.length * 2, len + keep), maxLength + 1));
        }
        System.arraycopy(buf, pos, out, len, keep);
        len += keep;
        total += chunk;
      }
      if (lf == limit) {
        pos = limit;
        continue;
      }
      pos = lf + 1;
      boolean bareLf = last != '\r';
      int contentLength = bareLf ? total : total - 1;
      if (contentLength > maxLength) {
        return new Line(new byte[0], contentLength, true, bareLf);
      }
      return new Line(Arrays.copyOf(out, contentLength), contentLength, false, bareLf);
    }
  }

  /** Copies exactly {@code n} raw octets (a BDAT chunk) to {@code sink}; false at a premature end of stream. */
  public boolean readExactly(long n, OutputStream sink) throws IOException {
    long left = n;
    while (left > 0) {
      if (pos == limit && !fill()) {
        return false;
      }
      int chunk = (int) Math.min(left, limit - pos);
      if (sink != null) {
        sink.write(buf, pos, chunk);
      }
      pos += chunk;
      left -= chunk;
    }
    return true;
  }

  private boolean fill() throws IOException {
    pos = 0;
    limit = 0;
    int n = in.read(buf, 0, buf.length);
    if (n <= 0) {
      return false;
    }
    limit = n;
    received += n; // only the reading thread writes it
    return true;
  }

  /** Bytes received from the stream so far (buffered or consumed); safe to read from any thread. */
  public long received() {
    return received;
  }
}
