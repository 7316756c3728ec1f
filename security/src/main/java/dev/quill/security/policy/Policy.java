package dev.quill.security.policy;

import dev.quill.security.Sid;
import java.util.List;
import java.util.Objects;

/**
 * A versioned cluster policy: an ordered list of rules and a default. The <em>first</em> rule that
 * matches decides; when none matches, the default does (deny unless the file says otherwise).
 * Immutable; {@link #toText()} gives the normalised text form, which {@link PolicyParser} reads
 * back to an equal policy, so a policy can be shipped between nodes as text.
 */
public final class Policy {
  private final long version;
  private final Effect defaultEffect;
  private final List<Rule> rules;
  private final Rule[] ruleArray;
  /** One shared decision per rule (index = rule number - 1), so evaluation never allocates. */
  private final Decision[] ruleDecisions;
  private final Decision defaultDecision;

  /**
   * @param version the policy version; installing needs a version greater than the current one
   * @param defaultEffect what applies when no rule matches
   * @param rules the rules, in order of precedence
   */
  public Policy(long version, Effect defaultEffect, List<Rule> rules) {
    if (version < 0) {
      throw new IllegalArgumentException("policy version " + version + " is negative");
    }
    this.version = version;
    this.defaultEffect = Objects.requireNonNull(defaultEffect, "defaultEffect");
    this.rules = List.copyOf(rules);
    this.ruleArray = this.rules.toArray(Rule[]::new);
    this.ruleDecisions = new Decision[ruleArray.length];
    for (int i = 0; i < ruleArray.length; i++) {
      ruleDecisions[i] = Decision.of(ruleArray[i].effect(), version, i + 1, "policy " + version + " rule " + (i + 1) + ": " + ruleArray[i]);
    }
    this.defaultDecision = Decision.of(defaultEffect, version, 0,
        "policy " + version + " default " + defaultEffect.label() + " (no rule matched)");
  }

  /** A policy with no rules: everything gets {@code defaultEffect}. Version 0 is the boot policy. */
  public static Policy empty(long version, Effect defaultEffect) {
    return new Policy(version, defaultEffect, List.of());
  }

  public long version() {
    return version;
  }

  public Effect defaultEffect() {
    return defaultEffect;
  }

  public List<Rule> rules() {
    return rules;
  }

  /** Evaluates the rules for {@code subject} doing {@code permission} on an {@code object}: first match wins. */
  public Decision evaluate(Sid subject, ObjectType object, Permission permission) {
    for (int i = 0; i < ruleArray.length; i++) {
      if (ruleArray[i].matches(subject, object, permission)) {
        return ruleDecisions[i];
      }
    }
    return defaultDecision;
  }

  /** The normalised text form: version line, default line, then one aligned line per rule. */
  public String toText() {
    int[] width = new int[3];
    for (Rule r : rules) {
      width[0] = Math.max(width[0], r.subject().toString().length());
      width[1] = Math.max(width[1], r.objectText().length());
      width[2] = Math.max(width[2], r.permissionText().length());
    }
    StringBuilder b = new StringBuilder();
    b.append("version ").append(version).append('\n');
    b.append("default ").append(defaultEffect.label()).append('\n');
    for (Rule r : rules) {
      pad(b, r.subject().toString(), width[0]);
      pad(b, r.objectText(), width[1]);
      pad(b, r.permissionText(), width[2]);
      b.append("-> ").append(r.effect().label()).append('\n');
    }
    return b.toString();
  }

  private static void pad(StringBuilder b, String text, int width) {
    b.append(text).repeat(' ', width - text.length() + 1);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Policy p && p.version == version && p.defaultEffect == defaultEffect && p.rules.equals(rules);
  }

  @Override
  public int hashCode() {
    return Objects.hash(version, defaultEffect, rules);
  }

  @Override
  public String toString() {
    return "Policy(version " + version + ", " + rules.size() + " rules, default " + defaultEffect.label() + ")";
  }
}
