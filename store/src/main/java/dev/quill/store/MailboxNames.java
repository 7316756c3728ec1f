package dev.quill.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Mailbox names: {@code /} separates hierarchy levels, names are kept as given (UTF-8) and
 * compared exactly, except INBOX, which is case-insensitive, also as the first level of a
 * hierarchy ({@code inbox/x} is {@code INBOX/x}; RFC 9051 section 5.1).
 */
public final class MailboxNames {
  /** The hierarchy delimiter. */
  static final char DELIMITER = '/';
  /** The longest name accepted, in UTF-8 octets. */
  static final int MAX_OCTETS = 255;

  private MailboxNames() {}

  /** The stored form of {@code name}: INBOX in any case becomes {@code INBOX}; null stays null. */
  public static String canonical(String name) {
    if (name == null) {
      return null;
    }
    if (name.equalsIgnoreCase(MailStore.INBOX)) {
      return MailStore.INBOX;
    }
    if (name.length() > 6 && name.charAt(5) == DELIMITER && name.regionMatches(true, 0, MailStore.INBOX, 0, 5)) {
      return MailStore.INBOX + name.substring(5);
    }
    return name;
  }

  /**
   * The stored form of a name a client wants to create or rename to.
   *
   * @throws StoreException naming the rule the name breaks
   */
  static String checked(String name) {
    if (name == null || name.isEmpty()) {
      throw new StoreException("invalid mailbox name: it must not be empty");
    }
    String quoted = "invalid mailbox name '" + printable(name) + "': ";
    if (name.charAt(0) == DELIMITER || name.charAt(name.length() - 1) == DELIMITER) {
      throw new StoreException(quoted + "it must not start or end with '" + DELIMITER + "'");
    }
    if (name.contains("" + DELIMITER + DELIMITER)) {
      throw new StoreException(quoted + "it must not have an empty level ('" + DELIMITER + DELIMITER + "')");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
        throw new StoreException(quoted + "it must not contain control characters");
      }
      if (c == '*' || c == '%') {
        throw new StoreException(quoted + "it must not contain the LIST wildcards '*' or '%'");
      }
    }
    if (name.codePoints().anyMatch(cp -> cp >= Character.MIN_SURROGATE && cp <= Character.MAX_SURROGATE)) {
      throw new StoreException(quoted + "it is not valid Unicode (unpaired surrogate)");
    }
    int octets = name.getBytes(StandardCharsets.UTF_8).length;
    if (octets > MAX_OCTETS) {
      throw new StoreException(quoted + "it is " + octets + " octets long, the maximum is " + MAX_OCTETS);
    }
    return canonical(name);
  }

  /** The superior names of {@code name}, outermost first: {@code a/b/c} has {@code a} and {@code a/b}. */
  static List<String> superiors(String name) {
    var list = new ArrayList<String>();
    for (int i = name.indexOf(DELIMITER); i >= 0; i = name.indexOf(DELIMITER, i + 1)) {
      list.add(name.substring(0, i));
    }
    return list;
  }

  /** Whether {@code name} lies below {@code superior} in the hierarchy. */
  static boolean isInferior(String name, String superior) {
    return name.length() > superior.length() + 1 && name.startsWith(superior)
        && name.charAt(superior.length()) == DELIMITER;
  }

  /** A name for messages: control characters escaped, at most 100 characters. */
  private static String printable(String name) {
    var sb = new StringBuilder();
    for (int i = 0; i < name.length() && sb.length() < 100; i++) {
      char c = name.charAt(i);
      sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
    }
    return sb.toString();
  }
}
