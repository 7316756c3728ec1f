package dev.quill.store;

/**
 * A cluster manager's durable promise about one mailbox fragment on the user's profile node: under
 * {@code uidValidity}, UIDs up to {@code uid} and MODSEQs up to {@code modSeq} may have been given
 * out ({@link MailStore#reserveWatermarks}). Kept in its own meta record, apart from the mailbox
 * record, so that clients never see it: a HIGHESTMODSEQ raised by a reservation would make a client
 * skip changes numbered below it. Only {@link MailStore#fragments} reports it, to managers.
 */
record WatermarkReservation(long uidValidity, long uid, long modSeq) {
  /** No reservation: what a fragment without a record has. */
  static final WatermarkReservation NONE = new WatermarkReservation(0, 0, 0);

  /** Whether {@code other} (same UIDVALIDITY) would raise this one. */
  boolean raisedBy(WatermarkReservation other) {
    return other.uidValidity != uidValidity || other.uid > uid || other.modSeq > modSeq;
  }

  /** This reservation raised to {@code other}'s numbers, never lowered; one of another UIDVALIDITY replaces it. */
  WatermarkReservation max(WatermarkReservation other) {
    if (other.uidValidity != uidValidity) {
      return other;
    }
    return new WatermarkReservation(uidValidity, Math.max(uid, other.uid), Math.max(modSeq, other.modSeq));
  }

  /**
   * The fragment as a manager must see it: highest UID and HIGHESTMODSEQ at least the reserved ones,
   * when the reservation is for the fragment's UIDVALIDITY (a record of another one is ignored).
   */
  FragmentSummary applyTo(FragmentSummary f) {
    if (f.uidValidity() != uidValidity || (f.highestUid() >= uid && f.highestModSeq() >= modSeq)) {
      return f;
    }
    return new FragmentSummary(f.mailbox(), f.uidValidity(), Math.max(f.uidNext(), uid + 1),
        Math.max(f.highestModSeq(), modSeq), f.messageCount(), f.totalBytes());
  }
}
