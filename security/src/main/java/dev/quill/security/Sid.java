package dev.quill.security;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A security identifier: names one principal of the cluster — a node, a service of a node, a user's
 * authenticated session, or an extension — so that a node receiving a request can decide on the
 * remote principal's identity (the DSM's SID).
 *
 * <p>Text form {@code kind:name@node}, e.g. {@code node:n1@n1}, {@code service:imap@n2},
 * {@code user:alice@example.com@n3} (the node is always after the last {@code @}). Names are
 * lower-cased; at most {@link #MAX_LENGTH} characters in all, printable ASCII or UTF-8 letters, no
 * whitespace or control characters.
 *
 * @param node the node the principal runs on (for a node SID, itself)
 */
public record Sid(Kind kind, String name, String node) {
  /** Longest text form accepted (a user address is at most 254 characters). */
  public static final int MAX_LENGTH = 320;
  private static final Pattern PART = Pattern.compile("[^\\s\\p{Cntrl}:]+");

  /** What a principal is. */
  public enum Kind {
    NODE, SERVICE, USER, EXTENSION;

    private final String label = name().toLowerCase(Locale.ROOT);   // every message's header names one

    /** The kind's name in the text form and in policy files. */
    public String label() {
      return label;
    }

    /** The kind named {@code label}, case-insensitively. */
    public static Kind fromLabel(String label) {
      for (Kind k : values()) {
        if (k.label().equalsIgnoreCase(label)) {
          return k;
        }
      }
      throw new IllegalArgumentException("unknown principal kind '" + label + "' (node, service, user or extension)");
    }
  }

  public Sid {
    name = name.toLowerCase(Locale.ROOT);
    node = node.toLowerCase(Locale.ROOT);
    if (!PART.matcher(name).matches() || !PART.matcher(node).matches() || node.contains("@")) {
      throw new IllegalArgumentException("invalid security identifier part: name '" + name + "', node '" + node + "'");
    }
    if (kind.label().length() + name.length() + node.length() + 2 > MAX_LENGTH) {
      throw new IllegalArgumentException("security identifier longer than " + MAX_LENGTH + " characters");
    }
  }

  /** The SID of node {@code node} itself. */
  public static Sid node(String node) {
    return new Sid(Kind.NODE, node, node);
  }

  /** The SID of service {@code service} (smtp, pop3, imap, replication, admin…) on {@code node}. */
  public static Sid service(String service, String node) {
    return new Sid(Kind.SERVICE, service, node);
  }

  /** The SID of {@code user}'s authenticated session on {@code node}. */
  public static Sid user(String user, String node) {
    return new Sid(Kind.USER, user, node);
  }

  /** Parses the text form {@code kind:name@node}. */
  public static Sid parse(String text) {
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("security identifier longer than " + MAX_LENGTH + " characters");
    }
    int colon = text.indexOf(':');
    int at = text.lastIndexOf('@');
    if (colon <= 0 || at <= colon + 1 || at == text.length() - 1) {
      throw new IllegalArgumentException("'" + text + "' is not a security identifier (kind:name@node)");
    }
    return new Sid(Kind.fromLabel(text.substring(0, colon)), text.substring(colon + 1, at), text.substring(at + 1));
  }

  @Override
  public String toString() {
    return kind.label() + ":" + name + "@" + node;
  }
}
