package dev.quill.security.policy;

/** What a matching rule decides: allow, deny, or allow and record in the audit log. */
public enum Effect {
  ALLOW, DENY, AUDIT;

  /** The name in policy files. */
  public String label() {
    return Labels.of(this);
  }

  /** The effect named {@code label} (case-insensitive), or null when there is none. */
  static Effect fromLabel(String label) {
    return Labels.find(values(), label);
  }
}
