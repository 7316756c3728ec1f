package dev.quill.mail.mime;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;

/**
 * One header field as it sits in the message: its byte range (the first line, any folded
 * continuation lines and the line end) and its name and value.
 *
 * <p>Strings here and throughout the package's model are "byte strings": each char is one byte of
 * the message (ISO-8859-1 mapping), so raw header text, 8-bit UTF-8 included, survives untouched
 * until it is written out again.
 *
 * @param start offset of the field's first byte
 * @param end   offset just past the field's last line end
 * @param name  the field name as written, or null for a line that has no colon
 * @param value the value unfolded (CR and LF removed), trimmed, NUL bytes dropped, capped at {@link #MAX_VALUE}
 */
record HeaderField(int start, int end, String name, String value) {
  /** Longest value kept, in bytes; a longer one is cut (a defence against one giant header line). */
  static final int MAX_VALUE = 256 * 1024;
  /** Most fields recorded per header section; later lines still belong to the header but are not recorded. */
  static final int MAX_FIELDS = 5_000;

  /** Whether this field is named {@code wanted} (ASCII case-insensitive). */
  boolean is(String wanted) {
    return name != null && name.equalsIgnoreCase(wanted);
  }

  /** The value of the first field named {@code wanted}, or null. */
  static String first(List<HeaderField> fields, String wanted) {
    for (HeaderField f : fields) {
      if (f.is(wanted)) {
        return f.value;
      }
    }
    return null;
  }

  /**
   * Scans the header section that starts at {@code from}, adding each field to {@code out}, and
   * returns the offset where the body starts: just past the blank line, or {@code limit} when there
   * is none.
   *
   * @param bodyOnJunk when the first line is not a header field at all (no colon, or a name with
   *     spaces), the section is empty and the body starts at that line; used for multipart children,
   *     which often lack headers and the blank line alike
   */
  static int scan(byte[] m, int from, int limit, List<HeaderField> out, boolean bodyOnJunk) {
    int p = from;
    while (p < limit) {
      int body = pastEmptyLine(m, p, limit);
      if (body >= 0) {
        return body;
      }
      int start = p;
      int firstLineEnd = lineEnd(m, p, limit);
      p = firstLineEnd;
      while (p < limit && (m[p] == ' ' || m[p] == '\t')) {
        p = lineEnd(m, p, limit);
      }
      String name = fieldName(m, start, firstLineEnd);
      if (name == null && bodyOnJunk && start == from && m[start] != ' ' && m[start] != '\t') {
        return from;
      }
      if (out.size() < MAX_FIELDS) {
        int colon = name == null ? start : indexOf(m, (byte) ':', start, firstLineEnd);
        out.add(new HeaderField(start, p, name, value(m, name == null ? start : colon + 1, p)));
      }
    }
    return limit;
  }

  /**
   * Where the body of the header section at {@code from} starts, as {@link #scan} finds it (without
   * {@code bodyOnJunk}): just past the first empty line, or {@code limit}.
   */
  static int sectionEnd(byte[] m, int from, int limit) {
    int p = from;
    while (p < limit) {
      int body = pastEmptyLine(m, p, limit);
      if (body >= 0) {
        return body;
      }
      p = lineEnd(m, p, limit);
    }
    return limit;
  }

  /** Just past the line at {@code p} when it is empty (CRLF or a bare LF: the end of a header section), else -1. */
  static int pastEmptyLine(byte[] m, int p, int limit) {
    if (m[p] == '\n') {
      return p + 1;
    }
    return m[p] == '\r' && p + 1 < limit && m[p + 1] == '\n' ? p + 2 : -1;
  }

  /** Offset just past the LF that ends the line starting at {@code p}, or {@code limit}. */
  static int lineEnd(byte[] m, int p, int limit) {
    int i = indexOf(m, (byte) '\n', p, limit);
    return i < 0 ? limit : i + 1;
  }

  /**
   * The first offset in [{@code from}, {@code limit}) holding {@code b}, or -1. Eight bytes a step
   * (a zero-byte test on the word XOR the pattern): header scans run over every message a FETCH
   * lists, and most of their time is this search for line ends.
   */
  static int indexOf(byte[] m, byte b, int from, int limit) {
    int i = from;
    long pattern = (b & 0xffL) * 0x0101010101010101L;
    for (; i + Long.BYTES <= limit; i += Long.BYTES) {
      long x = (long) WORDS.get(m, i) ^ pattern;
      long zeros = (x - 0x0101010101010101L) & ~x & 0x8080808080808080L;
      if (zeros != 0) {
        return i + (Long.numberOfTrailingZeros(zeros) >>> 3); // the lowest flagged byte is a true match
      }
    }
    for (; i < limit; i++) {
      if (m[i] == b) {
        return i;
      }
    }
    return -1;
  }

  private static final VarHandle WORDS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  /** The field name of a line, or null when the line has no colon or the name is not a plausible token. */
  private static String fieldName(byte[] m, int start, int lineEnd) {
    int colon = indexOf(m, (byte) ':', start, lineEnd);
    if (colon <= start) {
      return null;
    }
    int end = colon;
    while (end > start && (m[end - 1] == ' ' || m[end - 1] == '\t')) {
      end--; // obsolete syntax allows WSP before the colon
    }
    if (end == start) {
      return null;
    }
    for (int i = start; i < end; i++) {
      int c = m[i] & 0xff;
      if (c <= ' ' || c >= 0x7f) {
        return null;
      }
    }
    return latin1(m, start, end);
  }

  /** The value between {@code from} and {@code end}: line ends removed, NUL dropped, trimmed. */
  private static String value(byte[] m, int from, int end) {
    StringBuilder sb = new StringBuilder(Math.min(end - from, MAX_VALUE));
    for (int i = from; i < end && sb.length() < MAX_VALUE; i++) {
      int c = m[i] & 0xff;
      if (c != '\r' && c != '\n' && c != 0) {
        sb.append((char) c);
      }
    }
    return trim(sb);
  }

  static String trim(CharSequence s) {
    int a = 0;
    int b = s.length();
    while (a < b && isWsp(s.charAt(a))) {
      a++;
    }
    while (b > a && isWsp(s.charAt(b - 1))) {
      b--;
    }
    return s.subSequence(a, b).toString();
  }

  static boolean isWsp(char c) {
    return c == ' ' || c == '\t';
  }

  static String latin1(byte[] m, int from, int to) {
    return new String(m, from, to - from, java.nio.charset.StandardCharsets.ISO_8859_1);
  }
}
