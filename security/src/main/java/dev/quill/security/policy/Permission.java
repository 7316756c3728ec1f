package dev.quill.security.policy;

import java.util.Locale;

/** The operations a policy rule allows or denies on an object. */
public enum Permission {
  READ, STORE, UPDATE, EXPUNGE, DELETE, REPLICATE, ADMIN;

  private static final Permission[] VALUES = values();

  /** The name in policy files and audit records. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The permission named {@code label} (case-insensitive), or null when there is none. */
  static Permission fromLabel(String label) {
    for (Permission p : VALUES) {
      if (p.name().equalsIgnoreCase(label)) {
        return p;
      }
    }
    return null;
  }
}
