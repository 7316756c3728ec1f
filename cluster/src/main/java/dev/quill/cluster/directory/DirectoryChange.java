package dev.quill.cluster.directory;

/** One change to the domains and aliases that every node holds, as one node sends it to the others. */
sealed interface DirectoryChange {
  /** A change with the hybrid-logical-clock stamp it was made under: receivers apply it only over an older one. */
  record Stamped(long stamp, DirectoryChange change) {}

  /** A domain added; receivers that have it already change nothing. */
  record DomainAdded(String domain) implements DirectoryChange {}

  /** A domain deleted; a receiver that still has users or aliases in it keeps it (and logs why). */
  record DomainDeleted(String domain) implements DirectoryChange {}

  /** An alias added; its target may be a user of any node. */
  record AliasAdded(String alias, String target) implements DirectoryChange {}

  /** An alias deleted; receivers without it change nothing. */
  record AliasDeleted(String alias) implements DirectoryChange {}
}
