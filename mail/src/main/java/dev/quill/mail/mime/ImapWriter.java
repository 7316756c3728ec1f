package dev.quill.mail.mime;

import java.util.Arrays;
import java.util.List;

/**
 * Writes IMAP protocol data (RFC 9051 §4) as bytes: atoms, numbers, nstrings and lists.
 *
 * <p>String rules: null is {@code NIL}. A value of 7-bit characters without CR, LF or NUL is a
 * quoted string, with '"' and '\' escaped by '\'. Anything else (8-bit bytes such as raw UTF-8
 * headers, CR, LF) is a synchronizing literal {@code {n}CRLF bytes}: valid for IMAP4rev1 clients
 * and IMAP4rev2 alike, which is why 8-bit text is never quoted even though rev2 would allow it.
 * NUL bytes (not allowed in a literal either) are dropped.
 */
final class ImapWriter {
  private byte[] buf = new byte[256];
  private int len;

  ImapWriter raw(String ascii) {
    for (int i = 0; i < ascii.length(); i++) {
      put((byte) ascii.charAt(i));
    }
    return this;
  }

  ImapWriter sp() {
    return put((byte) ' ');
  }

  ImapWriter open() {
    return put((byte) '(');
  }

  ImapWriter close() {
    return put((byte) ')');
  }

  ImapWriter number(long n) {
    return raw(Long.toString(n));
  }

  /** A string or NIL; {@code s} is a byte string (each char one byte). */
  ImapWriter nstring(String s) {
    if (s == null) {
      return raw("NIL");
    }
    boolean literal = false;
    int nul = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == 0) {
        nul++;
      } else if (c > 0x7f || c == '\r' || c == '\n') {
        literal = true;
      }
    }
    if (literal) {
      raw("{" + (s.length() - nul) + "}\r\n");
      for (int i = 0; i < s.length(); i++) {
        if (s.charAt(i) != 0) {
          put((byte) s.charAt(i));
        }
      }
      return this;
    }
    put((byte) '"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        put((byte) '\\');
      }
      if (c != 0) {
        put((byte) c);
      }
    }
    return put((byte) '"');
  }

  /** A parenthesised list of strings, or NIL when empty (body-fld-param). */
  ImapWriter paramList(List<String> pairs) {
    if (pairs.size() < 2) {
      return raw("NIL");
    }
    open();
    for (int i = 0; i + 1 < pairs.size(); i += 2) {
      if (i > 0) {
        sp();
      }
      nstring(pairs.get(i)).sp().nstring(pairs.get(i + 1));
    }
    return close();
  }

  private ImapWriter put(byte b) {
    if (len == buf.length) {
      buf = Arrays.copyOf(buf, buf.length * 2);
    }
    buf[len++] = b;
    return this;
  }

  byte[] toByteArray() {
    return Arrays.copyOf(buf, len);
  }
}
