package dev.quill.store;

import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A cluster manager's durable promise about one mailbox fragment on a node it reserves on: under
 * {@code uidValidity}, UIDs up to {@code uid} and MODSEQs up to {@code modSeq} may have been given
 * out, and every node that may hold messages of the mailbox is in {@code holders}
 * ({@link MailStore#reserveWatermarks}); no holder record when empty. Kept in its own meta record,
 * apart from the mailbox record, so that clients never see it: a HIGHESTMODSEQ raised by a
 * reservation would make a client skip changes numbered below it. Only {@link MailStore#fragments}
 * reports it, to managers.
 */
record WatermarkReservation(long uidValidity, long uid, long modSeq, Optional<Set<String>> holders) {
  /** No reservation: what a fragment without a record has. */
  static final WatermarkReservation NONE = new WatermarkReservation(0, 0, 0, Optional.empty());

  WatermarkReservation {
    holders = holders.map(h -> (Set<String>) java.util.Collections.unmodifiableSortedSet(new TreeSet<>(h)));
  }

  /** Whether {@code other} would raise this one: other numbers (same UIDVALIDITY) or holders not recorded yet. */
  boolean raisedBy(WatermarkReservation other) {
    boolean newHolders = other.holders.isPresent()
        && (holders.isEmpty() || !holders.get().containsAll(other.holders.get()));
    return newHolders || other.uidValidity != uidValidity || other.uid > uid || other.modSeq > modSeq;
  }

  /**
   * This reservation raised to {@code other}'s numbers, never lowered; one of another UIDVALIDITY
   * replaces the numbers. Holders only accumulate, whatever the UIDVALIDITY: a holder record must
   * name every node that may hold a message of the mailbox, so it may say too much, never too little.
   */
  WatermarkReservation max(WatermarkReservation other) {
    Optional<Set<String>> merged = holders.isEmpty() ? other.holders : other.holders.isEmpty() ? holders
        : Optional.of(union(holders.get(), other.holders.get()));
    if (other.uidValidity != uidValidity) {
      return new WatermarkReservation(other.uidValidity, other.uid, other.modSeq, merged);
    }
    return new WatermarkReservation(uidValidity, Math.max(uid, other.uid), Math.max(modSeq, other.modSeq), merged);
  }

  /**
   * The fragment as a manager must see it: highest UID and HIGHESTMODSEQ at least the reserved ones,
   * when the reservation is for the fragment's UIDVALIDITY (numbers of another one are ignored), and
   * the recorded holders, if any.
   */
  FragmentSummary applyTo(FragmentSummary f) {
    FragmentSummary held = holders.isEmpty() ? f : f.withHolders(holders.get());
    if (f.uidValidity() != uidValidity || (f.highestUid() >= uid && f.highestModSeq() >= modSeq)) {
      return held;
    }
    return new FragmentSummary(f.mailbox(), f.uidValidity(), Math.max(f.uidNext(), uid + 1),
        Math.max(f.highestModSeq(), modSeq), f.messageCount(), f.totalBytes(), held.holders());
  }

  private static SortedSet<String> union(Set<String> a, Set<String> b) {
    SortedSet<String> all = new TreeSet<>(a);
    all.addAll(b);
    return all;
  }
}
