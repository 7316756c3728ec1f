package dev.quill.store;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Message flags and keywords as the store keeps them: compared case-insensitively, kept in the
 * spelling first given, except that the system flags are spelt as RFC 9051 does ({@code \Seen},
 * {@code \Answered}, {@code \Flagged}, {@code \Deleted}, {@code \Draft}). {@code \Recent} is a
 * session property in IMAP, never stored, and dropped here.
 */
final class Flags {
  private static final Map<String, String> SYSTEM = Map.of(
      "\\seen", "\\Seen", "\\answered", "\\Answered", "\\flagged", "\\Flagged",
      "\\deleted", "\\Deleted", "\\draft", "\\Draft");
  private static final String RECENT = "\\recent";

  private Flags() {}

  /**
   * {@code flags} without duplicates (ignoring case) or {@code \Recent}, system flags in their
   * standard spelling.
   *
   * @throws StoreException for a null or empty flag, or one with spaces or control characters
   */
  static Set<String> normalize(Collection<String> flags) {
    var result = new LinkedHashSet<String>();
    if (flags == null) {
      return result;
    }
    for (String flag : flags) {
      if (flag == null || flag.isEmpty() || flag.chars().anyMatch(c -> c <= 0x20 || c == 0x7f)) {
        throw new StoreException("invalid flag '" + flag + "': it must be non-empty, without spaces or control characters");
      }
      String key = key(flag);
      if (key.equals(RECENT) || contains(result, flag)) {
        continue;
      }
      result.add(SYSTEM.getOrDefault(key, flag));
    }
    return result;
  }

  /** {@code current} changed by {@code mode} with already normalized {@code given}. */
  static Set<String> apply(Set<String> current, FlagUpdate.Mode mode, Set<String> given) {
    var result = new LinkedHashSet<String>();
    switch (mode) {
      case REPLACE -> {
        // Keep the current spelling of flags that stay, so that a REPLACE differing only in case changes nothing.
        for (String flag : given) {
          result.add(find(current, flag, flag));
        }
      }
      case ADD -> {
        result.addAll(current);
        for (String flag : given) {
          if (!contains(result, flag)) {
            result.add(flag);
          }
        }
      }
      case REMOVE -> {
        for (String flag : current) {
          if (!contains(given, flag)) {
            result.add(flag);
          }
        }
      }
    }
    return result;
  }

  /** Whether two flag sets are equal ignoring case. */
  static boolean same(Set<String> a, Set<String> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (String flag : a) {
      if (!contains(b, flag)) {
        return false;
      }
    }
    return true;
  }

  private static boolean contains(Collection<String> flags, String flag) {
    return find(flags, flag, null) != null;
  }

  private static String find(Collection<String> flags, String flag, String otherwise) {
    for (String f : flags) {
      if (f.equalsIgnoreCase(flag)) {
        return f;
      }
    }
    return otherwise;
  }

  private static String key(String flag) {
    return flag.toLowerCase(Locale.ROOT);
  }
}
