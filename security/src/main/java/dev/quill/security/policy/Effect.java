package dev.quill.security.policy;

import java.util.Locale;

/** What a matching rule decides: allow, deny, or allow and record in the audit log. */
public enum Effect {
  ALLOW, DENY, AUDIT;

  /** The name in policy files. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The effect named {@code label} (case-insensitive), or null when there is none. */
  static Effect fromLabel(String label) {
    for (Effect e : values()) {
      if (e.name().equalsIgnoreCase(label)) {
        return e;
      }
    }
    return null;
  }
}
