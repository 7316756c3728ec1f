package dev.quill.mail.imap.codec;

import java.util.Optional;

/**
 * Modified UTF-7 (RFC 3501 §5.1.3), the mailbox name encoding of IMAP4rev1 clients that have not
 * enabled UTF-8: printable US-ASCII other than "&amp;" stands for itself, "&amp;-" is "&amp;", and any
 * other run of characters is its UTF-16 in modified base64 (with "," for "/", no padding) between
 * "&amp;" and "-".
 */
public final class ModifiedUtf7 {
  private static final char[] ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".toCharArray();
  private static final int[] VALUE = new int[128];

  static {
    java.util.Arrays.fill(VALUE, -1);
    for (int i = 0; i < ALPHABET.length; i++) {
      VALUE[ALPHABET[i]] = i;
    }
  }

  private ModifiedUtf7() {}

  /** Encodes a mailbox name. */
  public static String encode(String name) {
    StringBuilder out = new StringBuilder(name.length() + 8);
    int i = 0;
    while (i < name.length()) {
      char c = name.charAt(i);
      if (c >= 0x20 && c <= 0x7e) {
        out.append(c == '&' ? "&-" : String.valueOf(c));
        i++;
        continue;
      }
      int j = i;
      while (j < name.length() && (name.charAt(j) < 0x20 || name.charAt(j) > 0x7e)) {
        j++;
      }
      out.append('&');
      int bits = 0;
      int buffer = 0;
      for (int k = i; k < j; k++) {
        buffer = (buffer << 16) | name.charAt(k);
        bits += 16;
        while (bits >= 6) {
          bits -= 6;
          out.append(ALPHABET[(buffer >> bits) & 0x3f]);
        }
      }
      if (bits > 0) {
        out.append(ALPHABET[(buffer << (6 - bits)) & 0x3f]);
      }
      out.append('-');
      i = j;
    }
    return out.toString();
  }

  /** Decodes a mailbox name; empty when it is not valid modified UTF-7 (the client gets NO or BAD). */
  public static Optional<String> decode(String encoded) {
    StringBuilder out = new StringBuilder(encoded.length());
    int i = 0;
    while (i < encoded.length()) {
      char c = encoded.charAt(i);
      if (c > 0x7e || c < 0x20) {
        return Optional.empty();
      }
      if (c != '&') {
        out.append(c);
        i++;
        continue;
      }
      int end = encoded.indexOf('-', i + 1);
      if (end < 0) {
        return Optional.empty();
      }
      if (end == i + 1) {
        out.append('&');
        i = end + 1;
        continue;
      }
      int bits = 0;
      int buffer = 0;
      int start = out.length();
      for (int k = i + 1; k < end; k++) {
        char d = encoded.charAt(k);
        int v = d < 128 ? VALUE[d] : -1;
        if (v < 0) {
          return Optional.empty();
        }
        buffer = (buffer << 6) | v;
        bits += 6;
        if (bits >= 16) {
          bits -= 16;
          out.append((char) ((buffer >> bits) & 0xffff));
        }
      }
      // leftover bits must be fewer than 6 and zero; the run must decode to at least one
      // character, and none of them may be printable ASCII (which must be sent as itself)
      if (bits >= 6 || (buffer & ((1 << bits) - 1)) != 0 || out.length() == start) {
        return Optional.empty();
      }
      for (int k = start; k < out.length(); k++) {
        if (out.charAt(k) >= 0x20 && out.charAt(k) <= 0x7e) {
          return Optional.empty();
        }
      }
      i = end + 1;
    }
    return Optional.of(out.toString());
  }
}
