package dev.quill.server.config;

import java.time.Duration;

/** Parses durations written as a number with a unit: "300ms", "30s", "5m", "2h", "0" (= none). */
public final class Durations {
  private Durations() {}

  /** Parses a duration; throws IllegalArgumentException naming the value and the accepted forms. */
  public static Duration parse(String text) {
    String s = text.strip();
    try {
      if (s.equals("0")) {
        return Duration.ZERO;
      }
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).strip()));
      }
      long n = Long.parseLong(s.substring(0, s.length() - 1).strip());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return switch (s.charAt(s.length() - 1)) {
        case 's' -> Duration.ofSeconds(n);
        case 'm' -> Duration.ofMinutes(n);
        case 'h' -> Duration.ofHours(n);
        default -> throw new NumberFormatException();
      };
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration; write a whole number with a unit ms, s, m or h (e.g. \"30s\")");
    }
  }
}
