package dev.quill.cluster.manager;

import java.util.List;
import java.util.Set;

/**
 * What a manager gives a renumbering ({@code cluster.mail.Renumberer}): the mailbox's UIDVALIDITY,
 * {@code count} UIDs from {@code firstUid} and one MODSEQ for the renumbered messages, the
 * reservation each of {@code reservationNodes} (the profile nodes and other members making up a
 * majority) writes with its renumbering, the holder record to write with it, and the fence the
 * holders check.
 */
public record RenumberStart(long uidValidity, long firstUid, int count, long modSeq, long reservedUid,
    long reservedModSeq, List<String> reservationNodes, Set<String> holders, Fence fence) {
  public RenumberStart {
    reservationNodes = List.copyOf(reservationNodes);
    holders = Set.copyOf(holders);
  }

  /** This start under {@code f}. */
  RenumberStart fenced(Fence f) {
    return new RenumberStart(uidValidity, firstUid, count, modSeq, reservedUid, reservedModSeq, reservationNodes,
        holders, f);
  }
}
