package dev.quill.cluster.mail;

/**
 * Told when a node holding (or perhaps holding) a copy of a mailbox's messages did not answer a
 * write in time: its copy may have missed the change, or may hold a message stored after the
 * writer gave up on it. {@link SyncHints} makes that node compare the mailbox with the other copies
 * once it answers again.
 */
@FunctionalInterface
public interface MissedChanges {
  /** Nothing to do: one copy per message, or tests without catch-up. */
  MissedChanges NONE = (node, user, mailbox) -> { };

  void missed(String node, String user, String mailbox);
}
