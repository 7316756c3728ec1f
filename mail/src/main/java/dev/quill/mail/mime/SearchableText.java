package dev.quill.mail.mime;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A message's searchable text, extracted once when it is stored and kept as
 * {@link dev.quill.store.MessageDerived#searchText()}: header fields with encoded words decoded,
 * and the text of every text part decoded from its transfer encoding and charset. Matching is
 * case-insensitive substring matching, as IMAP SEARCH asks (RFC 9051 §6.4.4).
 *
 * <p><b>Layout</b> (built by {@link SearchTextBuilder}): one version byte (1), a varint header
 * length, the header section, then the body section, all UTF-8. The header section holds one line
 * per field of the top-level header, {@code name:value\n}, the name in lower case, the value
 * unfolded with encoded words (RFC 2047) decoded. The body section holds the decoded text of every
 * text/* part (HTML tags stripped) and the decoded header fields of encapsulated messages. All
 * text is {@linkplain #fold folded}, so a search folds its needle the same way and compares bytes:
 * decoding is three reads and a search is a byte scan, with no per-message string building.
 *
 * <p><b>Bounds</b>: the header section keeps at most 256 KiB and the whole text at most 1 MiB per
 * message ({@link SearchTextBuilder#MAX_TEXT}); text past the bound is not searchable.
 */
public final class SearchableText {
  static final int VERSION = 1;

  private final byte[] data;
  private final int headerFrom;
  private final int headerTo;

  private SearchableText(byte[] data, int headerFrom, int headerTo) {
    this.data = data;
    this.headerFrom = headerFrom;
    this.headerTo = headerTo;
  }

  /**
   * Reads back text stored by {@link MessageAnalysis#toDerived()}; no copy is made.
   *
   * @throws IllegalArgumentException when the bytes are not searchable text of a known version
   */
  public static SearchableText decode(byte[] searchText) {
    if (searchText == null || searchText.length == 0 || searchText[0] != VERSION) {
      throw new IllegalArgumentException("unknown searchable text version "
          + (searchText == null || searchText.length == 0 ? "(empty)" : Integer.toString(searchText[0] & 0xff)) + ", expected " + VERSION);
    }
    long len = 0;
    int pos = 1;
    for (int shift = 0; ; shift += 7) {
      if (pos >= searchText.length || shift > 28) {
        throw new IllegalArgumentException("searchable text truncated");
      }
      int b = searchText[pos++] & 0xff;
      len |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
    }
    if (len > searchText.length - pos) {
      throw new IllegalArgumentException("searchable text header length " + len + " exceeds the remaining " + (searchText.length - pos) + " bytes");
    }
    return new SearchableText(searchText, pos, pos + (int) len);
  }

  /**
   * Whether a header field named {@code field} contains {@code needle}; with an empty needle,
   * whether the field exists at all (SEARCH HEADER field "").
   */
  public boolean headerContains(String field, String needle) {
    byte[] name = field.toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
    byte[] n = foldedBytes(needle);
    int line = headerFrom;
    while (line < headerTo) {
      int end = indexOf(data, line, headerTo, (byte) '\n');
      end = end < 0 ? headerTo : end;
      int colon = line + name.length;
      if (colon < end && data[colon] == ':' && regionEquals(data, line, name)) {
        if (n.length == 0 || indexOf(data, colon + 1, end, n) >= 0) {
          return true;
        }
      }
      line = end + 1;
    }
    return false;
  }

  /** Whether the decoded body text contains {@code needle} (SEARCH BODY). */
  public boolean bodyContains(String needle) {
    return indexOf(data, headerTo, data.length, foldedBytes(needle)) >= 0;
  }

  /** Whether the header or the body contains {@code needle} (SEARCH TEXT). */
  public boolean textContains(String needle) {
    byte[] n = foldedBytes(needle);
    return indexOf(data, headerFrom, headerTo, n) >= 0 || indexOf(data, headerTo, data.length, n) >= 0;
  }

  /**
   * Case folding for search: per code point, upper case then lower case ({@link Locale#ROOT}), a
   * close approximation of Unicode simple case folding (it maps final sigma to sigma, Kelvin sign to
   * k; it does not expand ß to ss, nor normalise composed and decomposed forms).
   */
  static String fold(String s) {
    // Most mail text is ASCII: fold it with one intrinsic pass instead of code point by code point
    // (this runs on every delivered message, on the path to the SMTP 250).
    if (isAscii(s)) {
      return s.toLowerCase(java.util.Locale.ROOT);
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      sb.appendCodePoint(cp < 0x80 ? (cp >= 'A' && cp <= 'Z' ? cp + 32 : cp) : Character.toLowerCase(Character.toUpperCase(cp)));
    }
    return sb.toString();
  }

  private static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private static byte[] foldedBytes(String needle) {
    return fold(needle).getBytes(StandardCharsets.UTF_8);
  }

  private static boolean regionEquals(byte[] d, int at, byte[] what) {
    for (int i = 0; i < what.length; i++) {
      if (d[at + i] != what[i]) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(byte[] d, int from, int to, byte b) {
    for (int i = from; i < to; i++) {
      if (d[i] == b) {
        return i;
      }
    }
    return -1;
  }

  /** First index of {@code n} in {@code d[from, to)}, or -1; an empty needle matches at {@code from}. */
  static int indexOf(byte[] d, int from, int to, byte[] n) {
    if (n.length == 0) {
      return from;
    }
    byte first = n[0];
    int last = to - n.length;
    outer:
    for (int i = from; i <= last; i++) {
      if (d[i] != first) {
        continue;
      }
      for (int j = 1; j < n.length; j++) {
        if (d[i + j] != n[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
