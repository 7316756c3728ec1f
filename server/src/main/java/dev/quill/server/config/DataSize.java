package dev.quill.server.config;

import java.util.Locale;

/** A size in bytes written with an optional unit: "512", "64K", "50M", "2G" (binary multiples). */
public record DataSize(long bytes) {

  /** Parses a size; throws IllegalArgumentException naming the value and the accepted forms. */
  public static DataSize parse(String text) {
    String s = text.strip().toUpperCase(Locale.ROOT);
    if (s.endsWith("B")) {
      s = s.substring(0, s.length() - 1);
    }
    long multiplier = 1;
    if (!s.isEmpty()) {
      switch (s.charAt(s.length() - 1)) {
        case 'K' -> multiplier = 1L << 10;
        case 'M' -> multiplier = 1L << 20;
        case 'G' -> multiplier = 1L << 30;
        default -> multiplier = 1;
      }
    }
    String digits = multiplier == 1 ? s : s.substring(0, s.length() - 1);
    try {
      long n = Long.parseLong(digits.strip());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return new DataSize(Math.multiplyExact(n, multiplier));
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a size; write a whole number of bytes with an optional unit K, M or G (e.g. \"50M\")");
    }
  }

  @Override
  public String toString() {
    return Long.toString(bytes);
  }
}
