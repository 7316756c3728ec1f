package dev.quill.store;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-memory write state of one mailbox: the record as it will be once every queued batch is
 * written, and the lock that serializes UID allocation.
 *
 * <p>Writers hold {@link #lock} while they read {@link #next}, build a batch from it and queue the
 * batch, so commit order equals UID order. They do not hold it while the batch is synced.
 */
final class MailboxState {
  final long id;
  final String user;
  final String name;
  final ReentrantLock lock = new ReentrantLock();

  /** The record including every queued batch; written under {@link #lock}, read anywhere (quota). */
  volatile MailboxInfo next;
  /** The committer epoch in which {@link #next} was loaded; a different epoch means reload. */
  long loadedInEpoch;
  /** Set under {@link #lock} when the user is being deleted: no more deliveries. */
  boolean deleted;
  /** UIDs removed by batches queued but not yet written, so they are not removed twice. */
  final Set<Long> pendingRemovals = ConcurrentHashMap.newKeySet();

  MailboxState(MailboxInfo record, long epoch) {
    this.id = record.id();
    this.user = record.user();
    this.name = record.name();
    this.next = record;
    this.loadedInEpoch = epoch;
  }
}
