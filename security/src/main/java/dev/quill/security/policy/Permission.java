package dev.quill.security.policy;

/** The operations a policy rule allows or denies on an object. */
public enum Permission {
  READ, STORE, UPDATE, EXPUNGE, DELETE, REPLICATE, ADMIN;

  private static final Permission[] VALUES = values();

  /** The name in policy files and audit records. */
  public String label() {
    return Labels.of(this);
  }

  /** The permission named {@code label} (case-insensitive), or null when there is none. */
  static Permission fromLabel(String label) {
    return Labels.find(VALUES, label);
  }
}
