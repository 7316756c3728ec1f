package dev.quill.mail.mime;

import java.util.Arrays;
import java.util.List;

/**
 * BODY[HEADER.FIELDS (...)] and BODY[HEADER.FIELDS.NOT (...)] (RFC 9051 §6.4.5) cut straight out of a
 * header section's bytes: one pass, no field records, no name strings. Mail clients ask for a few
 * fields of every message they list, so this runs for each of the fifty messages of a header-list
 * FETCH; building a record and a name per field was most of that command's cost.
 *
 * <p>It finds the same fields as {@link HeaderField#scan}: a field is its first line and any folded
 * continuation lines; a line without a plausible name before a colon is no field and never copied;
 * the section ends at the first empty line; after {@link HeaderField#MAX_FIELDS} lines nothing more
 * is copied. Names compare ASCII case-insensitively (field names are ASCII, RFC 5322 §3.6.8), so a
 * wanted name with other characters matches no field.
 */
final class HeaderSelection {
  private HeaderSelection() {}

  /** The wanted names, lower-cased ASCII; names with other characters are left out (they match nothing). */
  static byte[][] wanted(List<String> names) {
    if (names == null || names.isEmpty()) {
      return new byte[0][];
    }
    byte[][] out = new byte[names.size()][];
    int n = 0;
    next:
    for (String name : names) {
      byte[] b = new byte[name.length()];
      for (int i = 0; i < b.length; i++) {
        char c = name.charAt(i);
        if (c >= 0x80) {
          continue next;
        }
        b[i] = (byte) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
      }
      out[n++] = b;
    }
    return n == out.length ? out : Arrays.copyOf(out, n);
  }

  /**
   * The fields of the header section in [{@code from}, {@code limit}) whose names are (or, with
   * {@code not}, are not) among {@code wanted} ({@link #wanted}), as written, each ending in a line
   * end (CRLF added to a last line without one), then CRLF.
   */
  static byte[] copy(byte[] m, int from, int limit, byte[][] wanted, boolean not) {
    byte[] out = new byte[Math.min(256, limit - from + 2)];
    int size = 0;
    int p = from;
    int lines = 0;
    while (p < limit && lines < HeaderField.MAX_FIELDS) {
      if (HeaderField.pastEmptyLine(m, p, limit) >= 0) {
        break; // the empty line that ends the section
      }
      int start = p;
      int firstLineEnd = HeaderField.lineEnd(m, p, limit);
      p = firstLineEnd;
      while (p < limit && (m[p] == ' ' || m[p] == '\t')) {
        p = HeaderField.lineEnd(m, p, limit);
      }
      lines++;
      int nameEnd = nameEnd(m, start, firstLineEnd);
      if (nameEnd < 0 || isWanted(m, start, nameEnd, wanted) == not) {
        continue;
      }
      boolean addCrlf = m[p - 1] != '\n';
      int need = size + (p - start) + (addCrlf ? 2 : 0) + 2;
      if (need > out.length) {
        out = Arrays.copyOf(out, Math.max(need, out.length * 2));
      }
      System.arraycopy(m, start, out, size, p - start);
      size += p - start;
      if (addCrlf) {
        out[size++] = '\r';
        out[size++] = '\n';
      }
    }
    if (size + 2 > out.length) {
      out = Arrays.copyOf(out, size + 2);
    }
    out[size++] = '\r';
    out[size++] = '\n';
    return size == out.length ? out : Arrays.copyOf(out, size);
  }

  /**
   * The end of the field name of the line at {@code start} (before any WSP ahead of the colon), or
   * -1 when the line has no colon or its name is not a token of printable ASCII.
   */
  private static int nameEnd(byte[] m, int start, int lineEnd) {
    int colon = HeaderField.indexOf(m, (byte) ':', start, lineEnd);
    if (colon <= start) {
      return -1;
    }
    int end = colon;
    while (end > start && (m[end - 1] == ' ' || m[end - 1] == '\t')) {
      end--;
    }
    if (end == start) {
      return -1;
    }
    for (int i = start; i < end; i++) {
      int c = m[i] & 0xff;
      if (c <= ' ' || c >= 0x7f) {
        return -1;
      }
    }
    return end;
  }

  private static boolean isWanted(byte[] m, int start, int end, byte[][] wanted) {
    int length = end - start;
    next:
    for (byte[] w : wanted) {
      if (w.length != length) {
        continue;
      }
      for (int i = 0; i < length; i++) {
        int c = m[start + i];
        if (c >= 'A' && c <= 'Z') {
          c += 'a' - 'A';
        }
        if (c != w[i]) {
          continue next;
        }
      }
      return true;
    }
    return false;
  }
}
