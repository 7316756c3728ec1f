package dev.quill.security.policy;

import dev.quill.security.Sid;
import java.util.Locale;

/**
 * The subject side of a policy rule: {@code *} for every principal, or {@code kind:name@node} where
 * the kind is a principal kind or {@code *}, and the name and the node are globs in which {@code *}
 * stands for any run of characters (so {@code user:*@example.com@*} is every user of example.com on
 * every node). Names and nodes are lower-cased, as in {@link Sid}; {@code #} (which starts a
 * comment in policy files) and whitespace are not allowed in them.
 *
 * @param kind the principal kind, or null for any kind
 * @param name glob over {@link Sid#name()}
 * @param node glob over {@link Sid#node()}
 */
public record SubjectPattern(Sid.Kind kind, String name, String node) {
  /** The pattern every principal matches. */
  public static final SubjectPattern ANY = new SubjectPattern(null, "*", "*");

  /** Longest accepted pattern text, as for a SID. */
  static final int MAX_LENGTH = Sid.MAX_LENGTH;

  public SubjectPattern {
    name = name.toLowerCase(Locale.ROOT);
    node = node.toLowerCase(Locale.ROOT);
    String bad = invalidPart(name, false);
    if (bad == null) {
      bad = invalidPart(node, true);
    }
    if (bad != null) {
      throw new IllegalArgumentException(bad);
    }
    if (name.length() + node.length() + 11 > MAX_LENGTH) {
      // Checked after lower-casing, which can lengthen text, so the text form always parses back.
      throw new IllegalArgumentException("subject longer than " + MAX_LENGTH + " characters");
    }
  }

  /** Parses {@code *} or {@code kind:name@node}; the message of the exception says what is wrong. */
  public static SubjectPattern parse(String text) {
    if (text.equals("*")) {
      return ANY;
    }
    if (text.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("subject longer than " + MAX_LENGTH + " characters");
    }
    int colon = text.indexOf(':');
    int at = text.lastIndexOf('@');
    if (colon <= 0 || at <= colon + 1 || at == text.length() - 1) {
      throw new IllegalArgumentException("subject '" + printable(text) + "' is not '*' or kind:name@node");
    }
    String kindText = text.substring(0, colon);
    Sid.Kind kind = null;
    if (!kindText.equals("*")) {
      try {
        kind = Sid.Kind.fromLabel(kindText);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown principal kind '" + printable(kindText) + "' (node, service, user, extension or *)");
      }
    }
    return new SubjectPattern(kind, text.substring(colon + 1, at), text.substring(at + 1));
  }

  /** Whether {@code sid} is one of the principals this pattern names. */
  public boolean matches(Sid sid) {
    return (kind == null || kind == sid.kind()) && glob(name, sid.name()) && glob(node, sid.node());
  }

  @Override
  public String toString() {
    if (kind == null && name.equals("*") && node.equals("*")) {
      return "*";
    }
    return (kind == null ? "*" : kind.label()) + ":" + name + "@" + node;
  }

  /** Why {@code part} cannot be a name or node glob, or null when it can (same characters as a SID). */
  private static String invalidPart(String part, boolean isNode) {
    if (part.isEmpty()) {
      return "empty " + (isNode ? "node" : "name") + " in subject";
    }
    for (int i = 0; i < part.length(); i++) {
      char c = part.charAt(i);
      if (c == ':' || c == '#' || Character.isISOControl(c) || c == ' ' || c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r'
          || (isNode && c == '@')) {
        return "character " + describe(c) + " not allowed in the " + (isNode ? "node" : "name") + " of a subject";
      }
    }
    return null;
  }

  private static String describe(char c) {
    return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
  }

  /** {@code text} with control characters shown as '?' and cut to 60 characters, for error messages. */
  static String printable(String text) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < text.length() && b.length() < 60; i++) {
      char c = text.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return text.length() > 60 ? b + "…" : b.toString();
  }

  /** Glob match where {@code *} is any run of characters; linear-time with one backtrack point. */
  static boolean glob(String pattern, String text) {
    int p = 0;
    int t = 0;
    int star = -1;
    int mark = 0;
    while (t < text.length()) {
      if (p < pattern.length() && pattern.charAt(p) != '*' && pattern.charAt(p) == text.charAt(t)) {
        p++;
        t++;
      } else if (p < pattern.length() && pattern.charAt(p) == '*') {
        star = p++;
        mark = t;
      } else if (star >= 0) {
        p = star + 1;
        t = ++mark;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }
}
