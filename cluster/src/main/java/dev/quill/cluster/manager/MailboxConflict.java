package dev.quill.cluster.manager;

/**
 * A mailbox to renumber, as its manager saw it: its fragments disagree on UIDVALIDITY, or
 * ({@code exhausted}) its UIDs under its UIDVALIDITY are used up, so that all its messages start over
 * under a new one. {@code generation} counts the disagreements reported, so that settling one never
 * hides a newer one.
 */
public record MailboxConflict(String user, String mailbox, long generation, boolean exhausted) {
  /** A disagreement on UIDVALIDITY. */
  public MailboxConflict(String user, String mailbox, long generation) {
    this(user, mailbox, generation, false);
  }
}
