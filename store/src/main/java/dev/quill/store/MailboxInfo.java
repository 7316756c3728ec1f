package dev.quill.store;

/**
 * A mailbox's counters: its store-wide id, UIDVALIDITY, the next UID to assign (UIDs rise
 * strictly and are never reused within one UIDVALIDITY), the highest MODSEQ, the number and
 * total size of its messages, its SPECIAL-USE attributes (RFC 6154: {@code \Sent}, {@code \Trash}
 * ...) and whether the user is subscribed to it.
 */
public record MailboxInfo(
    long id, String user, String name, long uidValidity, long uidNext, long highestModSeq,
    int messageCount, long totalBytes, java.util.Set<String> specialUse, boolean subscribed) {

  public MailboxInfo {
    specialUse = specialUse == null ? java.util.Set.of() : java.util.Set.copyOf(specialUse);
  }

  /** This record with other counters. */
  MailboxInfo withCounters(long uidNext, long highestModSeq, int messageCount, long totalBytes) {
    return new MailboxInfo(id, user, name, uidValidity, uidNext, highestModSeq, messageCount, totalBytes,
        specialUse, subscribed);
  }

  /** This record under another name. */
  MailboxInfo withName(String name) {
    return new MailboxInfo(id, user, name, uidValidity, uidNext, highestModSeq, messageCount, totalBytes,
        specialUse, subscribed);
  }

  /** This record with another subscription state. */
  MailboxInfo withSubscribed(boolean subscribed) {
    return new MailboxInfo(id, user, name, uidValidity, uidNext, highestModSeq, messageCount, totalBytes,
        specialUse, subscribed);
  }
}
