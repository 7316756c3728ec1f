package dev.quill.mail.imap.session;

import dev.quill.store.MailboxInfo;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * LIST pattern matching (RFC 9051 §6.3.9): the reference and pattern are joined, {@code *}
 * matches any characters and {@code %} any except the hierarchy delimiter "/"; INBOX matches
 * case-insensitively. Also computes the listed entries: existing mailboxes, their missing
 * parents (listed \Noselect) and, for LIST (SUBSCRIBED), subscribed names that do not exist.
 */
final class MailboxPatterns {
  private MailboxPatterns() {}

  /** One listable name; {@code info} null when it does not exist as a mailbox. */
  record Entry(String name, MailboxInfo info, boolean hasChildren) {}

  /** A compiled pattern. */
  interface Matcher {
    boolean matches(String name);
  }

  static Matcher matcher(String reference, String pattern) {
    String full;
    if (pattern.startsWith("/") || reference.isEmpty()) {
      full = pattern;
    } else {
      full = reference.endsWith("/") ? reference + pattern : reference + "/" + pattern;
    }
    String p = full.length() >= 5 && full.substring(0, 5).equalsIgnoreCase("INBOX")
        && (full.length() == 5 || full.charAt(5) == '/') ? "INBOX" + full.substring(5) : full;
    return name -> match(p, 0, name, 0, 0);
  }

  private static boolean match(String p, int pi, String n, int ni, int depth) {
    if (depth > 64) {
      return false; // Safety: many wildcards cannot make matching exponential beyond this
    }
    while (pi < p.length()) {
      char c = p.charAt(pi);
      if (c == '*' || c == '%') {
        for (int k = ni; k <= n.length(); k++) {
          if (match(p, pi + 1, n, k, depth + 1)) {
            return true;
          }
          if (k < n.length() && c == '%' && n.charAt(k) == '/') {
            return false;
          }
        }
        return false;
      }
      if (ni >= n.length() || n.charAt(ni) != c) {
        return false;
      }
      pi++;
      ni++;
    }
    return ni == n.length();
  }

  /** The listable entries, sorted by name with INBOX first. */
  static List<Entry> entries(List<MailboxInfo> mailboxes, Collection<String> subscribedMissing) {
    Map<String, MailboxInfo> byName = new TreeMap<>();
    for (MailboxInfo m : mailboxes) {
      byName.put(m.name(), m);
    }
    TreeMap<String, Boolean> all = new TreeMap<>();
    for (String name : byName.keySet()) {
      all.put(name, true);
      int slash = name.lastIndexOf('/');
      while (slash > 0) {
        all.putIfAbsent(name.substring(0, slash), false);
        slash = name.lastIndexOf('/', slash - 1);
      }
    }
    for (String s : subscribedMissing) {
      all.putIfAbsent(s, false);
    }
    List<Entry> out = new ArrayList<>();
    for (String name : all.keySet()) {
      String prefix = name + "/";
      String child = all.ceilingKey(prefix);
      boolean children = child != null && child.startsWith(prefix);
      out.add(new Entry(name, byName.get(name), children));
    }
    out.sort((a, b) -> a.name().equals("INBOX") ? -1 : b.name().equals("INBOX") ? 1
        : a.name().toLowerCase(Locale.ROOT).compareTo(b.name().toLowerCase(Locale.ROOT)));
    return out;
  }
}
