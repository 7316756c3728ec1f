package dev.quill.store;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A cluster manager's order to give the messages of one mailbox fragment new UIDs under another
 * UIDVALIDITY ({@link MailStore#renumber}), when fragments of the mailbox disagree on UIDVALIDITY.
 *
 * <p>{@code oldUids} lists, ascending and without repeats, every UID of the {@code fromUidValidity}
 * fragments the manager found on all holders; the message with {@code oldUids[i]} becomes
 * {@code firstUid + i}, so that copies of one message on several nodes get the same new UID. Every
 * renumbered message gets {@code modSeq}. On a node the manager reserves on (a profile node, or
 * another member making up a majority) the order also carries the reservation of the new UIDVALIDITY ({@code reservedUid}, {@code reservedModSeq},
 * {@code holders}), written in the same batch, so that the new numbers are durable where every later
 * manager looks before any of them is visible.
 */
public record FragmentRenumbering(String user, String mailbox, long fromUidValidity, long toUidValidity,
    List<Long> oldUids, long firstUid, long modSeq, Optional<Reservation> reservation) {
  private static final long MAX_UID = 0xffff_ffffL;

  /** The reservation written with the renumbering on a node the manager reserves on. */
  public record Reservation(long uid, long modSeq, Set<String> holders) {
    public Reservation {
      holders = Set.copyOf(holders);
    }
  }

  public FragmentRenumbering {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(mailbox, "mailbox");
    oldUids = List.copyOf(oldUids);
    Objects.requireNonNull(reservation, "reservation");
    if (fromUidValidity < 1 || fromUidValidity > MAX_UID || toUidValidity < 1 || toUidValidity > MAX_UID
        || fromUidValidity == toUidValidity) {
      throw new IllegalArgumentException("renumbering " + user + "/" + mailbox + ": UIDVALIDITY " + fromUidValidity
          + " to " + toUidValidity + " is not a change between two valid values");
    }
    if (firstUid < 1 || firstUid - 1 + oldUids.size() > MAX_UID || modSeq < 1) {
      throw new IllegalArgumentException("renumbering " + user + "/" + mailbox + ": UIDs from " + firstUid + " for "
          + oldUids.size() + " messages, or MODSEQ " + modSeq + ", out of range");
    }
    long previous = 0;
    for (long uid : oldUids) {
      if (uid <= previous || uid > MAX_UID) {
        throw new IllegalArgumentException("renumbering " + user + "/" + mailbox
            + ": the old UIDs must rise strictly within 1..2^32-1, " + uid + " follows " + previous);
      }
      previous = uid;
    }
  }

  /** The highest new UID given (firstUid - 1 when there are no messages). */
  public long lastUid() {
    return firstUid - 1 + oldUids.size();
  }
}
