package dev.quill.security.policy;

/**
 * The outcome of a policy check: {@link Allow} or {@link Deny}, with the policy version and rule
 * that decided it. Decisions are immutable and shared: one instance per rule and policy version.
 */
public sealed interface Decision permits Decision.Allow, Decision.Deny {

  /** The version of the policy that decided (0 for the built-in boot policy). */
  long policyVersion();

  /** The 1-based number of the deciding rule, or 0 for the policy's default (or a refused input). */
  int rule();

  /** Why, in words, e.g. {@code policy 3 rule 3: user:*@* fragment expunge -> audit}. */
  String reason();

  /** Whether the operation may go ahead. */
  boolean allowed();

  /** Whether the decision goes to the audit log (every deny, and every allow marked {@code audit}). */
  boolean audited();

  /** The operation may go ahead; {@code audited} when the rule said {@code audit}. */
  record Allow(long policyVersion, int rule, boolean audited, String reason) implements Decision {
    @Override
    public boolean allowed() {
      return true;
    }
  }

  /** The operation is refused. */
  record Deny(long policyVersion, int rule, String reason) implements Decision {
    @Override
    public boolean allowed() {
      return false;
    }

    @Override
    public boolean audited() {
      return true;
    }
  }

  /** The decision {@code effect} stands for. */
  static Decision of(Effect effect, long version, int rule, String reason) {
    return switch (effect) {
      case ALLOW -> new Allow(version, rule, false, reason);
      case AUDIT -> new Allow(version, rule, true, reason);
      case DENY -> new Deny(version, rule, reason);
    };
  }
}
