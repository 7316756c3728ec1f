package dev.quill.store;

import java.util.concurrent.atomic.AtomicInteger;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.Snapshot;

/**
 * A reference-counted RocksDB snapshot taken right after a WAL sync: the state that is durable.
 *
 * <p>Readers of mailboxes and messages read through the newest view, so they never see a write
 * that is in the log but not yet synced (a message whose delivery might still fail or be lost in
 * a crash, and whose UID might then be handed out again). The commit thread publishes a new view
 * after each sync; the snapshot is released when the last reader of an old view lets go.
 */
final class DurableView {
  private final RocksDB db;
  private final Snapshot snapshot;
  /** One reference for being the current view, plus one per reader. */
  private final AtomicInteger refs = new AtomicInteger(1);

  DurableView(RocksDB db) {
    this.db = db;
    this.snapshot = db.getSnapshot();
  }

  /** Takes a reference; false if the view was already released (the caller retries with a newer one). */
  boolean retain() {
    while (true) {
      int n = refs.get();
      if (n == 0) {
        return false;
      }
      if (refs.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  /** Drops a reference, releasing the snapshot after the last one. */
  void release() {
    if (refs.decrementAndGet() == 0) {
      db.releaseSnapshot(snapshot);
    }
  }

  /** Fresh read options pinned to this view; the caller closes them. */
  ReadOptions readOptions() {
    return new ReadOptions().setSnapshot(snapshot);
  }
}
