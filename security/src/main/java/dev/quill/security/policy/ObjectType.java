package dev.quill.security.policy;

/** The kinds of object a remote operation acts on, as named in policy files. */
public enum ObjectType {
  /** A stored message fragment. */
  FRAGMENT,
  /** A user's profile (settings, quota, home nodes). */
  PROFILE,
  /** The user and domain directory. */
  DIRECTORY,
  /** A replica of a fragment or profile kept on another node. */
  REPLICA,
  /** Administrative operations on a node. */
  ADMIN,
  /** The cluster membership (joins, leaves, views). */
  MEMBERSHIP;

  private static final ObjectType[] VALUES = values();

  /** The name in policy files and audit records. */
  public String label() {
    return Labels.of(this);
  }

  /** The type named {@code label} (case-insensitive), or null when there is none. */
  static ObjectType fromLabel(String label) {
    return Labels.find(VALUES, label);
  }
}
