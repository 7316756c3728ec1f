package dev.quill.store;

/**
 * What one node holds of one mailbox (a fragment): its UIDVALIDITY, the next UID it would store
 * ({@code uidNext - 1} is the highest UID ever stored in it), its HIGHESTMODSEQ, and the number and
 * bytes of its messages. What a manager needs to continue UID and MODSEQ allocation after a view
 * change. On the user's profile node, {@code uidNext} and {@code highestModSeq} include the
 * manager's watermark reservation ({@link MailStore#reserveWatermarks}), so they may be above what
 * the fragment's mailbox record shows clients.
 */
public record FragmentSummary(
    String mailbox, long uidValidity, long uidNext, long highestModSeq, int messageCount, long totalBytes) {

  /** The highest UID ever stored in (or reserved for) this fragment; 0 when none. */
  public long highestUid() {
    return uidNext - 1;
  }
}
