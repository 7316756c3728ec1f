package dev.quill.mail.imap.codec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;

/**
 * Builds IMAP responses (RFC 9051 §7) into a byte buffer: atoms, quoted strings and literals
 * chosen by content, mailbox names in UTF-8 or modified UTF-7, flag lists. The session writes
 * through it; the service drains it to the socket. When a drain target is set, the buffer is
 * drained whenever it grows past {@link #DRAIN_AT} octets, so a large FETCH is streamed instead of
 * held whole.
 */
public final class ImapWriter {
  /** Octets collected before an automatic drain. */
  public static final int DRAIN_AT = 64 * 1024;

  /** Where drained octets go (the connection). */
  @FunctionalInterface
  public interface Drain {
    /** Takes {@code len} octets of {@code b} from {@code off}. */
    void write(byte[] b, int off, int len) throws IOException;
  }

  private byte[] buf = new byte[256];
  private int len;
  private Drain drain;

  /** Sets where to drain automatically when the buffer is large; null collects everything (tests). */
  public void drainTo(Drain target) {
    this.drain = target;
  }

  /** Octets collected and not yet drained. */
  public int size() {
    return len;
  }

  /** Sends everything collected to {@code target} and empties the buffer. */
  public void flushTo(Drain target) throws IOException {
    if (len > 0) {
      target.write(buf, 0, len);
      len = 0;
    }
    if (buf.length > 4 * DRAIN_AT) {
      buf = new byte[256];
    }
  }

  /** Drops everything collected (a response abandoned half-way). */
  public void clear() {
    len = 0;
    if (buf.length > 4 * DRAIN_AT) {
      buf = new byte[256];
    }
  }

  /** What was collected, as UTF-8 text, and empties the buffer (tests and logs). */
  public String takeText() {
    String s = new String(buf, 0, len, StandardCharsets.UTF_8);
    len = 0;
    return s;
  }

  /** Appends raw octets. */
  public ImapWriter raw(byte[] b) {
    return raw(b, 0, b.length);
  }

  /** Appends raw octets. */
  public ImapWriter raw(byte[] b, int off, int n) {
    if (drain != null && len + n > DRAIN_AT) {
      try {
        flushTo(drain);
        if (n > DRAIN_AT) {
          drain.write(b, off, n);
          return this;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    if (len + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
    System.arraycopy(b, off, buf, len, n);
    len += n;
    return this;
  }

  /** Appends text as UTF-8 (protocol text and atoms). */
  public ImapWriter text(String s) {
    int n = s.length();
    if (n > 64 || (drain != null && len + n > DRAIN_AT)) {
      return raw(s.getBytes(StandardCharsets.UTF_8));
    }
    // Short protocol text is ASCII nearly always: copy it without an intermediate byte array,
    // and fall back to encoding only when a character is not.
    ensure(n);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c >= 0x80) {
        return raw(s.substring(i).getBytes(StandardCharsets.UTF_8));
      }
      buf[len++] = (byte) c;
    }
    return this;
  }

  /** Appends a decimal number. */
  public ImapWriter number(long n) {
    if (n < 0 || (drain != null && len + 20 > DRAIN_AT)) {
      return text(Long.toString(n));
    }
    ensure(20);
    int digits = 1;
    for (long v = n; v >= 10; v /= 10) {
      digits++;
    }
    long v = n;
    for (int i = len + digits - 1; i >= len; i--) {
      buf[i] = (byte) ('0' + (int) (v % 10));
      v /= 10;
    }
    len += digits;
    return this;
  }

  private void ensure(int n) {
    if (len + n > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
    }
  }

  /** Appends a space. */
  public ImapWriter sp() {
    return raw(SP);
  }

  /** Ends a response line. */
  public ImapWriter crlf() {
    return raw(CRLF);
  }

  /** Appends a string: quoted when it fits, else a literal. */
  public ImapWriter string(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    return quotable(b) ? quoted(b) : literal(b);
  }

  /** Appends an nstring: NIL for null. */
  public ImapWriter nstring(String s) {
    return s == null ? text("NIL") : string(s);
  }

  /** Appends an astring: an atom when possible, else a string. */
  public ImapWriter astring(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0 && isAtom(b)) {
      return raw(b);
    }
    return quotable(b) ? quoted(b) : literal(b);
  }

  /** Appends a mailbox name: UTF-8 when the client accepts it, else modified UTF-7. */
  public ImapWriter mailbox(String name, boolean utf8) {
    String wire = utf8 ? name : ModifiedUtf7.encode(name);
    return name.equals("INBOX") ? text("INBOX") : astring(wire);
  }

  /** Appends a literal {@code {n}CRLF} and its octets. */
  public ImapWriter literal(byte[] b) {
    return literal(b, 0, b.length, false);
  }

  /** Appends a literal, or a literal8 {@code ~{n}} (RFC 3516 BINARY) when {@code binary}. */
  public ImapWriter literal(byte[] b, int off, int n, boolean binary) {
    text((binary ? "~{" : "{") + n + "}\r\n");
    return raw(b, off, n);
  }

  /** Appends a flag list {@code (\Seen $Label)}. */
  public ImapWriter flags(Collection<String> flags) {
    raw(LPAREN);
    boolean first = true;
    for (String f : flags) {
      if (!first) {
        sp();
      }
      first = false;
      text(f);
    }
    return raw(RPAREN);
  }

  private ImapWriter quoted(byte[] b) {
    raw(DQUOTE);
    int start = 0;
    for (int i = 0; i < b.length; i++) {
      if (b[i] == '"' || b[i] == '\\') {
        raw(b, start, i - start);
        raw(BACKSLASH);
        start = i;
      }
    }
    raw(b, start, b.length - start);
    return raw(DQUOTE);
  }

  private static boolean quotable(byte[] b) {
    if (b.length > 1024) {
      return false;
    }
    for (byte c : b) {
      if (c == '\r' || c == '\n' || c == 0) {
        return false;
      }
    }
    return true;
  }

  private static boolean isAtom(byte[] b) {
    for (byte c : b) {
      if (!ImapCommandParser.isAstringChar(c)) {
        return false;
      }
    }
    return true;
  }

  private static final byte[] SP = {' '};
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] LPAREN = {'('};
  private static final byte[] RPAREN = {')'};
  private static final byte[] DQUOTE = {'"'};
  private static final byte[] BACKSLASH = {'\\'};
}
