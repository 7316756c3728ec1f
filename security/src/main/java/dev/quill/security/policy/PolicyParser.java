package dev.quill.security.policy;

import java.util.ArrayList;
import java.util.List;

/**
 * Reads the policy text format (docs/SECURITY.md, "Policy"):
 *
 * <pre>
 * policy  = *( line LF )
 * line    = blank / comment / version / default / rule     ; '#' starts a comment anywhere
 * version = "version" SP number                            ; exactly once, before the rules, 1 or more
 * default = "default" SP ( "allow" / "deny" / "audit" )     ; at most once, before the rules; deny if absent
 * rule    = subject SP object SP permission SP "->" SP effect
 * </pre>
 *
 * Fields are separated by spaces or tabs; keywords are case-insensitive. Any input either parses
 * or gives a {@link PolicyException} naming the line and what is wrong; input is bounded
 * ({@link #MAX_CHARS} characters, {@link #MAX_LINE} per line, {@link #MAX_RULES} rules).
 */
public final class PolicyParser {
  /** Largest policy text accepted, in characters. */
  public static final int MAX_CHARS = 1 << 20;
  /** Longest line accepted, in characters. */
  public static final int MAX_LINE = 4096;
  /** Most rules accepted. */
  public static final int MAX_RULES = 10_000;

  private static final String RULE_SHAPE = "subject object permission -> allow|deny|audit";

  private PolicyParser() {}

  /** Parses {@code text} into a policy, or explains the first error with its line number. */
  public static Policy parse(String text) throws PolicyException {
    if (text == null) {
      throw new PolicyException(1, "no policy text");
    }
    if (text.length() > MAX_CHARS) {
      throw new PolicyException(1, "policy is " + text.length() + " characters, more than the maximum " + MAX_CHARS);
    }
    long version = -1;
    Effect defaultEffect = null;
    List<Rule> rules = new ArrayList<>();
    int lineNo = 0;
    int start = 0;
    while (start <= text.length()) {
      int end = text.indexOf('\n', start);
      if (end < 0) {
        end = text.length();
      }
      lineNo++;
      String line = text.substring(start, end);
      start = end + 1;
      if (line.length() > MAX_LINE) {
        throw new PolicyException(lineNo, "line is " + line.length() + " characters, more than the maximum " + MAX_LINE);
      }
      String[] f = fields(line);
      if (f.length == 0) {
        continue;
      }
      String keyword = f[0];
      if (keyword.equalsIgnoreCase("version")) {
        if (version >= 0) {
          throw new PolicyException(lineNo, "a second version line (there must be exactly one)");
        }
        if (!rules.isEmpty()) {
          throw new PolicyException(lineNo, "the version line must come before the rules");
        }
        version = version(f, lineNo);
      } else if (keyword.equalsIgnoreCase("default")) {
        if (defaultEffect != null) {
          throw new PolicyException(lineNo, "a second default line (there may be at most one)");
        }
        if (!rules.isEmpty()) {
          throw new PolicyException(lineNo, "the default line must come before the rules");
        }
        if (f.length != 2 || Effect.fromLabel(f[1]) == null) {
          throw new PolicyException(lineNo, "expected 'default allow', 'default deny' or 'default audit'");
        }
        defaultEffect = Effect.fromLabel(f[1]);
      } else {
        if (version < 0) {
          throw new PolicyException(lineNo, "a rule before the version line (the policy must start with 'version N')");
        }
        if (rules.size() == MAX_RULES) {
          throw new PolicyException(lineNo, "more than the maximum " + MAX_RULES + " rules");
        }
        rules.add(rule(f, lineNo));
      }
    }
    if (version < 0) {
      throw new PolicyException(lineNo, "no version line (the policy must start with 'version N')");
    }
    return new Policy(version, defaultEffect == null ? Effect.DENY : defaultEffect, rules);
  }

  private static long version(String[] f, int lineNo) throws PolicyException {
    if (f.length != 2) {
      throw new PolicyException(lineNo, "expected 'version N' with N a whole number from 1");
    }
    long v;
    try {
      v = Long.parseLong(f[1]);
    } catch (NumberFormatException e) {
      throw new PolicyException(lineNo, "version '" + SubjectPattern.printable(f[1]) + "' is not a whole number");
    }
    if (v < 1) {
      // Version 0 is the built-in boot policy, so every file outranks it.
      throw new PolicyException(lineNo, "version " + v + " is less than 1");
    }
    return v;
  }

  private static Rule rule(String[] f, int lineNo) throws PolicyException {
    if (f.length != 5 || !f[3].equals("->")) {
      throw new PolicyException(lineNo, "expected '" + RULE_SHAPE + "', got " + f.length + " field(s)"
          + (f.length == 5 ? " with '" + SubjectPattern.printable(f[3]) + "' where '->' belongs" : ""));
    }
    SubjectPattern subject;
    try {
      subject = SubjectPattern.parse(f[0]);
    } catch (IllegalArgumentException e) {
      throw new PolicyException(lineNo, e.getMessage());
    }
    ObjectType object = column(f[1], ObjectType.values(), "object type", lineNo);
    Permission permission = column(f[2], Permission.values(), "permission", lineNo);
    Effect effect = Effect.fromLabel(f[4]);
    if (effect == null) {
      throw new PolicyException(lineNo, "unknown decision '" + SubjectPattern.printable(f[4]) + "' (allow, deny or audit)");
    }
    return new Rule(subject, object, permission, effect);
  }

  /** The constant a rule column names, or null for {@code *}. */
  private static <E extends Enum<E>> E column(String text, E[] values, String what, int lineNo) throws PolicyException {
    if (text.equals("*")) {
      return null;
    }
    E value = Labels.find(values, text);
    if (value == null) {
      throw new PolicyException(lineNo, "unknown " + what + " '" + SubjectPattern.printable(text) + "' (one of "
          + Labels.list(values) + " or *)");
    }
    return value;
  }

  /** The line without its comment and a trailing CR, split on runs of spaces and tabs. */
  private static String[] fields(String line) {
    int hash = line.indexOf('#');
    if (hash >= 0) {
      line = line.substring(0, hash);
    }
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = line.length();
    while (i < n) {
      while (i < n && isSeparator(line.charAt(i), i, n)) {
        i++;
      }
      int s = i;
      while (i < n && !isSeparator(line.charAt(i), i, n)) {
        i++;
      }
      if (i > s) {
        out.add(line.substring(s, i));
      }
    }
    return out.toArray(String[]::new);
  }

  /** Spaces and tabs separate fields; a CR only at the end of the line (CRLF files). */
  private static boolean isSeparator(char c, int i, int n) {
    return c == ' ' || c == '\t' || (c == '\r' && i == n - 1);
  }
}
