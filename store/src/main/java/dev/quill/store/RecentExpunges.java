package dev.quill.store;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The UIDs one mailbox fragment was told to expunge lately, present or not, so that a copy of one
 * of them that arrives afterwards ({@code storeAssigned}) is refused instead of stored again.
 *
 * <p>Across the cluster a copy and the expunge of the same message can cross: a rebalance's store
 * that timed out at its sender still runs on the target after the sender forwarded the expunge
 * there, or another holder's forwarded expunge reaches the target before a second copy of the same
 * message. UIDs are never reused under one UIDVALIDITY, so a UID expunged here is never legitimately
 * stored here again. The memory only has to outlast a request in flight: entries older than the
 * {@code ttlNanos} or beyond {@code limit} are forgotten, oldest first, and nothing is kept across
 * restarts (requests in flight do not survive one either). Guarded by the mailbox lock.
 */
final class RecentExpunges {
  /** How long a UID is remembered: far beyond any call's timeout. */
  static final long DEFAULT_TTL_NANOS = 5L * 60 * 1_000_000_000;
  /** UIDs remembered per mailbox at most. */
  static final int DEFAULT_LIMIT = 65_536;

  private final long ttlNanos;
  private final int limit;
  private final LongSupplier nanoTime;
  /** UID to when it was expunged, oldest first. */
  private final LinkedHashMap<Long, Long> uids = new LinkedHashMap<>();
  private long uidValidity;

  RecentExpunges(long ttlNanos, int limit, LongSupplier nanoTime) {
    if (ttlNanos <= 0 || limit < 1) {
      throw new IllegalArgumentException("ttl and limit must be positive: " + ttlNanos + ", " + limit);
    }
    this.ttlNanos = ttlNanos;
    this.limit = limit;
    this.nanoTime = nanoTime;
  }

  /** Remembers {@code expunged} as expunged under {@code uidValidity} now (a new UIDVALIDITY forgets the old ones). */
  void add(long uidValidity, Iterable<Long> expunged) {
    if (uidValidity != this.uidValidity) {
      uids.clear();
      this.uidValidity = uidValidity;
    }
    long now = nanoTime.getAsLong();
    for (long uid : expunged) {
      uids.remove(uid); // re-inserted last: the order stays oldest first
      uids.put(uid, now);
    }
    forgetOld(now);
  }

  /** Whether {@code uid} was expunged here under {@code uidValidity} within the time remembered. */
  boolean contains(long uidValidity, long uid) {
    if (uidValidity != this.uidValidity || uids.isEmpty()) {
      return false;
    }
    forgetOld(nanoTime.getAsLong());
    return uids.containsKey(uid);
  }

  private void forgetOld(long now) {
    Iterator<Map.Entry<Long, Long>> it = uids.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<Long, Long> oldest = it.next();
      if (uids.size() <= limit && now - oldest.getValue() < ttlNanos) {
        return;
      }
      it.remove();
    }
  }
}
