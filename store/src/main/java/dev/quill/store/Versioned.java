package dev.quill.store;

/**
 * The kinds of record a cluster replicates last-writer-wins under a hybrid-logical-clock stamp
 * ({@link MailStore#version}); each has its own key space of versions, so a name may be a user and
 * an alias's name at once. A version kept after its record was deleted is the record's tombstone.
 */
public enum Versioned {
  PROFILE('P'),
  DOMAIN('D'),
  ALIAS('A');

  final byte tag;

  Versioned(char tag) {
    this.tag = (byte) tag;
  }
}
