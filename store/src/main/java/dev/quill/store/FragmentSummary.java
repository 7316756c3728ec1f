package dev.quill.store;

import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What one node holds of one mailbox (a fragment): its UIDVALIDITY, the next UID it would store
 * ({@code uidNext - 1} is the highest UID ever stored in it), its HIGHESTMODSEQ, and the number and
 * bytes of its messages. What a manager needs to continue UID and MODSEQ allocation after a view
 * change. On the user's profile node, {@code uidNext} and {@code highestModSeq} include the
 * manager's watermark reservation ({@link MailStore#reserveWatermarks}), so they may be above what
 * the fragment's mailbox record shows clients, and {@code holders} is the managers' record of the
 * nodes that may hold messages of the mailbox (empty where none is recorded).
 */
public record FragmentSummary(String mailbox, long uidValidity, long uidNext, long highestModSeq, int messageCount,
    long totalBytes, Optional<Set<String>> holders) {

  public FragmentSummary {
    holders = holders.map(h -> (Set<String>) java.util.Collections.unmodifiableSortedSet(new TreeSet<>(h)));
  }

  /** A fragment without a holder record (on a node no manager reserved on, or a mailbox never recorded). */
  public FragmentSummary(String mailbox, long uidValidity, long uidNext, long highestModSeq, int messageCount,
      long totalBytes) {
    this(mailbox, uidValidity, uidNext, highestModSeq, messageCount, totalBytes, Optional.empty());
  }

  /** The highest UID ever stored in (or reserved for) this fragment; 0 when none. */
  public long highestUid() {
    return uidNext - 1;
  }

  FragmentSummary withHolders(Set<String> recorded) {
    return new FragmentSummary(mailbox, uidValidity, uidNext, highestModSeq, messageCount, totalBytes,
        Optional.of(recorded));
  }
}
