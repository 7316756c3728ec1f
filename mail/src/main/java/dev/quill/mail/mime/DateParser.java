package dev.quill.mail.mime;

import java.time.DateTimeException;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Optional;

/**
 * A lenient parser for RFC 5322 date-times, obsolete forms included (§4.3: two- and three-digit
 * years, alphabetic zones, military zones read as +0000, no seconds, comments), and the common
 * deviations: asctime order ({@code Mon Jan  2 15:04:05 2006}), a missing zone (read as UTC),
 * ISO-like "-" between day, month and year.
 */
final class DateParser {
  private static final String[] MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"};

  private DateParser() {}

  static Optional<ZonedDateTime> parse(String value) {
    if (value == null) {
      return Optional.empty();
    }
    StringBuilder clean = new StringBuilder();
    int depth = 0;
    for (int i = 0; i < value.length() && i < 200; i++) {
      char c = value.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && depth > 0) {
        depth--;
      } else if (depth == 0) {
        boolean dashBeforeMonth = c == '-' && !clean.isEmpty() && Character.isDigit(clean.charAt(clean.length() - 1))
            && i + 1 < value.length() && Character.isLetter(value.charAt(i + 1)); // "1-Jan-2024"
        clean.append(c == ',' || dashBeforeMonth ? ' ' : c);
      }
    }
    // "1-Jan-2024": the '-' after the month name
    String s = clean.toString().replaceAll("(?i)([a-z]{3})-(\\d)", "$1 $2");
    int day = -1;
    int month = -1;
    int year = -1;
    int yearDigits = 0;
    int[] time = null;
    ZoneOffset zone = null;
    for (String tok : s.trim().split("\\s+")) {
      if (tok.isEmpty()) {
        continue;
      }
      if (tok.indexOf(':') > 0 && time == null) {
        time = time(tok);
      } else if ((tok.charAt(0) == '+' || tok.charAt(0) == '-') && tok.length() == 5 && digits(tok.substring(1))) {
        int hh = Integer.parseInt(tok.substring(1, 3));
        int mm = Integer.parseInt(tok.substring(3, 5));
        if (zone == null && hh <= 18 && mm < 60) {
          int secs = (hh * 3600 + mm * 60) * (tok.charAt(0) == '-' ? -1 : 1);
          zone = ZoneOffset.ofTotalSeconds(secs);
        }
      } else if (digits(tok)) {
        if (tok.length() <= 2 && day < 0) {
          day = Integer.parseInt(tok);
        } else if (year < 0 && tok.length() <= 4) {
          year = Integer.parseInt(tok);
          yearDigits = tok.length();
        }
      } else if (Character.isLetter(tok.charAt(0))) {
        String t = tok.toLowerCase(Locale.ROOT);
        int mon = month(t);
        if (mon >= 0 && month < 0 && t.length() >= 3) {
          month = mon;
        } else if (zone == null && time != null) {
          zone = namedZone(t);
        }
      }
    }
    if (day < 0 || month < 0 || year < 0) {
      return Optional.empty();
    }
    if (yearDigits <= 2) {
      year += year < 50 ? 2000 : 1900; // RFC 5322 §4.3
    } else if (yearDigits == 3) {
      year += 1900;
    }
    if (time == null) {
      time = new int[] {0, 0, 0};
    }
    try {
      return Optional.of(ZonedDateTime.of(year, month + 1, day, time[0], time[1], Math.min(time[2], 59), 0,
          zone == null ? ZoneOffset.UTC : zone));
    } catch (DateTimeException e) {
      return Optional.empty();
    }
  }

  private static int month(String t) {
    for (int i = 0; i < MONTHS.length; i++) {
      if (t.startsWith(MONTHS[i])) {
        return i;
      }
    }
    return -1;
  }

  private static int[] time(String tok) {
    String[] p = tok.split(":");
    if (p.length < 2 || p.length > 3) {
      return null;
    }
    int[] t = new int[3];
    for (int i = 0; i < p.length; i++) {
      String d = i == p.length - 1 ? p[i].replaceAll("\\..*$", "") : p[i]; // fractional seconds
      if (!digits(d) || d.length() > 2) {
        return null;
      }
      t[i] = Integer.parseInt(d);
    }
    return t;
  }

  private static ZoneOffset namedZone(String t) {
    return switch (t) {
      case "ut", "utc", "gmt", "z" -> ZoneOffset.UTC;
      case "edt" -> ZoneOffset.ofHours(-4);
      case "est", "cdt" -> ZoneOffset.ofHours(-5);
      case "cst", "mdt" -> ZoneOffset.ofHours(-6);
      case "mst", "pdt" -> ZoneOffset.ofHours(-7);
      case "pst" -> ZoneOffset.ofHours(-8);
      default -> t.length() == 1 ? ZoneOffset.UTC : null; // military zones: "-0000", RFC 5322 §4.3
    };
  }

  private static boolean digits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }
}
