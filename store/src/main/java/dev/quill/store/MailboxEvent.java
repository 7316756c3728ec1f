package dev.quill.store;

import java.util.List;

/**
 * A committed change to one mailbox, published to {@link MailStore#watch} listeners after it is
 * durable: messages appended or expunged, flags changed, or the mailbox created, deleted or
 * renamed. Sessions use it for untagged EXISTS/EXPUNGE/FETCH and for IDLE.
 *
 * <p>A rename is published as RENAMED under the old name followed by CREATED under the new
 * one, for the mailbox and each inferior that moved with it. Renaming INBOX publishes EXPUNGED
 * for INBOX, CREATED and APPENDED for the new mailbox.
 *
 * @param uids the UIDs concerned (appended, expunged or with new flags), ascending; empty for
 *     mailbox-level kinds
 * @param modSeq the mailbox's HIGHESTMODSEQ after the change
 */
public record MailboxEvent(String user, String mailbox, Kind kind, List<Long> uids, long modSeq) {
  /** What happened. */
  public enum Kind { APPENDED, EXPUNGED, FLAGS, CREATED, DELETED, RENAMED }
}
