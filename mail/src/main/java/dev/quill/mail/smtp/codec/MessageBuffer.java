package dev.quill.mail.smtp.codec;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A growable byte array that collects one message: the trace headers the server prepends, then
 * the client's content. Unlike {@link java.io.ByteArrayOutputStream} it is unsynchronised and lets
 * the reader scan the bytes in place. Used by one session thread.
 */
public final class MessageBuffer extends OutputStream {
  private byte[] buf;
  private int length;

  /** @param initialCapacity bytes to reserve up front (a SIZE= hint, bounded by the caller) */
  public MessageBuffer(int initialCapacity) {
    buf = new byte[Math.max(initialCapacity, 64)];
  }

  @Override
  public void write(int b) {
    ensure(1);
    buf[length++] = (byte) b;
  }

  @Override
  public void write(byte[] b, int off, int len) {
    ensure(len);
    System.arraycopy(b, off, buf, length, len);
    length += len;
  }

  /** Appends text that is ASCII or, under SMTPUTF8, UTF-8. */
  public void writeText(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    write(b, 0, b.length);
  }

  /** Appends CRLF. */
  public void writeCrlf() {
    ensure(2);
    buf[length++] = '\r';
    buf[length++] = '\n';
  }

  /** Bytes collected so far. */
  public int length() {
    return length;
  }

  /** The backing array; valid up to {@link #length()} and only until the next write. */
  public byte[] array() {
    return buf;
  }

  /** The collected bytes, in an array of their exact length. */
  public byte[] toByteArray() {
    return buf.length == length ? buf : Arrays.copyOf(buf, length);
  }

  private void ensure(int more) {
    if (length + more > buf.length) {
      long wanted = Math.max((long) buf.length * 2, (long) length + more);
      if (wanted > Integer.MAX_VALUE - 16) {
        throw new IllegalStateException("message buffer would exceed " + (Integer.MAX_VALUE - 16) + " bytes");
      }
      buf = Arrays.copyOf(buf, (int) wanted);
    }
  }
}
