package dev.quill.mail.imap.session;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The node-local memory behind IMAP4rev1's {@code \Recent} flag (RFC 3501 §2.3.2): per user and
 * mailbox, the highest UID already shown as recent to some session. The first session to claim a
 * UID sees it as recent; all others do not. After a node restart every message is recent once
 * more, which RFC 3501 allows ("the first session to be notified").
 */
public final class RecentTracker {
  /** How far a mailbox's claims go, under the UIDVALIDITY they were made in. */
  private record Claimed(long uidValidity, long highestUid) {}

  private final ConcurrentHashMap<String, Claimed> claimed = new ConcurrentHashMap<>();

  /**
   * Claims every UID up to {@code highestUid}; returns the highest UID claimed before (0 when none,
   * or when the claims were made under another UIDVALIDITY: a mailbox created again numbers from 1).
   */
  public long claim(String user, String mailbox, long uidValidity, long highestUid) {
    long[] before = new long[1];
    claimed.compute(key(user, mailbox), (k, v) -> {
      before[0] = v == null || v.uidValidity() != uidValidity ? 0 : v.highestUid();
      return new Claimed(uidValidity, Math.max(before[0], highestUid));
    });
    return before[0];
  }

  /** The highest UID claimed so far under {@code uidValidity} (for EXAMINE and STATUS RECENT), without claiming. */
  public long claimedUpTo(String user, String mailbox, long uidValidity) {
    Claimed c = claimed.get(key(user, mailbox));
    return c == null || c.uidValidity() != uidValidity ? 0 : c.highestUid();
  }

  private static String key(String user, String mailbox) {
    return user + '\0' + mailbox;
  }
}
