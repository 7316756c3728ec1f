package dev.quill.store;

import java.util.Set;

/**
 * A STORE request on a set of messages: replace, add or remove {@code flags} (system flags such
 * as {@code \Seen} and keywords, compared case-insensitively, kept as given). With
 * {@code unchangedSince >= 0} (CONDSTORE, RFC 7162) a message whose MODSEQ is greater is not
 * changed and is reported as modified instead.
 */
public record FlagUpdate(Mode mode, Set<String> flags, long unchangedSince) {
  /** How the flags combine with the message's current flags. */
  public enum Mode { REPLACE, ADD, REMOVE }
}
