package dev.quill.store;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The in-memory write state of one mailbox: the record as it will be once every queued batch is
 * written, and the lock that serializes UID allocation.
 *
 * <p>Writers hold {@link #lock} while they read {@link #next}, build a batch from it and queue the
 * batch, so commit order equals UID order. They do not hold it while the batch is synced. Reads
 * of the live database under the lock miss what queued batches will change; {@link #pendingRemovals}
 * and {@link #pendingMeta} fill that gap until the batch is written.
 */
final class MailboxState {
  final long id;
  final String user;
  /** The current name; changed by a rename, under {@link #lock}. */
  volatile String name;
  final ReentrantLock lock = new ReentrantLock();

  /** The record including every queued batch; written under {@link #lock}, read anywhere (quota). */
  volatile MailboxInfo next;
  /** The committer epoch in which {@link #next} was loaded; a different epoch means reload. */
  long loadedInEpoch;
  /** Set under {@link #lock} when the mailbox or its user is being deleted: no more writes. */
  boolean deleted;
  /** UIDs removed by batches queued but not yet written, so they are not removed twice. */
  final Set<Long> pendingRemovals = ConcurrentHashMap.newKeySet();
  /** Manager-assigned UIDs stored by batches queued but not yet written, so they are not stored twice. */
  final Set<Long> pendingAppends = ConcurrentHashMap.newKeySet();
  /** Message records changed (flags) by batches queued but not yet written. */
  final Map<Long, MessageMeta> pendingMeta = new ConcurrentHashMap<>();
  /** The expunge log header including queued batches; null until loaded. Guarded by {@link #lock}. */
  ExpungeLog.Header expungeLog;
  /** The watermark reservation including queued batches; null until loaded. Guarded by {@link #lock}. */
  WatermarkReservation reservation;
  /** UIDs expunged lately, refused to a late copy; null when none. Guarded by {@link #lock}. */
  RecentExpunges recentExpunges;

  MailboxState(MailboxInfo record, long epoch) {
    this.id = record.id();
    this.user = record.user();
    this.name = record.name();
    this.next = record;
    this.loadedInEpoch = epoch;
  }

  /**
   * Makes {@link #next} current for {@code epoch}, reloading it after a failed commit; false when
   * the mailbox no longer exists. The caller holds {@link #lock}.
   */
  boolean refresh(RocksEngine engine, long epoch) {
    if (loadedInEpoch != epoch) {
      byte[] record = engine.get(engine.mailboxes, Keys.mailbox(user, name));
      if (record == null || RecordCodec.decodeMailbox(record).id() != id) {
        deleted = true;
        return false;
      }
      next = RecordCodec.decodeMailbox(record);
      expungeLog = null;
      reservation = null;
      loadedInEpoch = epoch;
    }
    return !deleted;
  }
}
