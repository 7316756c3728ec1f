package dev.quill.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Group commit: the one thread that writes to RocksDB, sharing one WAL sync among all the write
 * batches queued while the previous sync ran.
 *
 * <p>Each round takes everything queued, writes each batch with {@code sync=false} (into the WAL
 * and memtable, in queue order), then makes them all durable with a single {@code syncWal()} and
 * completes their futures. Under load the number of syncs per second stays near
 * 1 / (sync latency) however many batches arrive. The thread is a platform thread because the
 * JNI calls would pin a virtual one; callers only wait on futures, which are completed on
 * {@code completer} so that a caller's dependent stages never run on (and stall) this thread.
 *
 * <p><b>Failure epochs.</b> Writers build batches from in-memory state (next UID, counters) that
 * already includes earlier queued batches. When a write or sync fails, the epoch moves on, every
 * queued batch built in an older epoch is refused without being written, and writers reload their
 * state from the database before building again. So a failed future never leaves a later batch
 * claiming the failed one's message.
 *
 * <p><b>Disk full, I/O errors.</b> A write or sync that fails for lack of space or with an I/O
 * error fails its batches with a {@link StorageUnavailableException} (and so do the batches of the
 * older epoch refused after it), which the protocols answer as temporary. The {@link StorageHealth}
 * hears of it and logs the change once; this thread does not log each refused batch.
 */
final class GroupCommitter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GroupCommitter.class);
  /** Upper bound of batches per sync, so one round cannot hold memory without limit. */
  private static final int MAX_GROUP = 4096;

  /**
   * One queued batch; {@code afterWrite} runs once it has been written or refused, {@code afterSync}
   * once it is durable.
   */
  private record Commit(
      WriteBatch batch, long epoch, Runnable afterWrite, Runnable afterSync, CompletableFuture<Void> durable) {}

  private static final Commit STOP = new Commit(null, -1, null, null, null);

  private final RocksDB db;
  private final StorageHealth health;
  private final WriteOptions writeOptions = new WriteOptions().setSync(false).setDisableWAL(false);
  private final Runnable onDurable;
  private final Executor completer;
  private final LinkedBlockingQueue<Commit> queue = new LinkedBlockingQueue<>();
  private final Thread thread;

  private final AtomicLong commits = new AtomicLong();
  private final AtomicLong syncs = new AtomicLong();
  private volatile long epoch;
  /** The failure that moved {@link #epoch} last: the batches of older epochs are refused as it was. */
  private volatile StoreException epochFailure;
  private volatile boolean stopping;

  /**
   * @param onDurable runs on the commit thread after each successful sync, before futures complete
   * @param completer completes the futures
   * @param health told of every failed write or sync, and of every successful sync
   */
  GroupCommitter(RocksDB db, Runnable onDurable, Executor completer, StorageHealth health) {
    this.db = db;
    this.health = health;
    this.onDurable = onDurable;
    this.completer = completer;
    this.thread = Thread.ofPlatform().name("quill-store-commit").daemon(true).unstarted(this::run);
    thread.start();
  }

  /** The current failure epoch; batches must be built from state loaded in this epoch. */
  long epoch() {
    return epoch;
  }

  long commits() {
    return commits.get();
  }

  long syncs() {
    return syncs.get();
  }

  /** Commits waiting for the commit thread: the node's disk queue, for load balancing. */
  int queued() {
    return queue.size();
  }

  /**
   * Queues {@code batch} (which this committer now owns and closes) and returns a future that
   * completes when it is durable.
   *
   * @param builtInEpoch {@link #epoch()} as read while the batch's state was checked
   * @param afterWrite run after the batch is written or refused, or null
   */
  CompletableFuture<Void> submit(WriteBatch batch, long builtInEpoch, Runnable afterWrite) {
    return submit(batch, builtInEpoch, afterWrite, null);
  }

  /**
   * Like {@link #submit(WriteBatch, long, Runnable)}, and runs {@code afterSync} on the commit
   * thread once the batch is durable, in commit order, before its future completes. It must be
   * quick and must not block (hand work to another thread); an exception it throws is logged.
   */
  CompletableFuture<Void> submit(WriteBatch batch, long builtInEpoch, Runnable afterWrite, Runnable afterSync) {
    var commit = new Commit(batch, builtInEpoch, afterWrite, afterSync, new CompletableFuture<>());
    if (stopping) {
      refuse(commit, new StoreException("store is closed"));
    } else {
      queue.add(commit);
    }
    return commit.durable;
  }

  /** Waits for a commit's future, reporting its failure as {@link StoreException}. */
  static void await(CompletableFuture<Void> durable) {
    try {
      durable.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof StoreException se) {
        throw se;
      }
      throw new StoreException("store write failed: " + e.getCause(), e.getCause());
    }
  }

  /** Writes and syncs everything queued, then stops the thread. */
  @Override
  public void close() {
    stopping = true;
    queue.add(STOP);
    try {
      thread.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while closing the store", e);
    } finally {
      writeOptions.close();
    }
  }

  private void run() {
    var group = new ArrayList<Commit>();
    boolean stop = false;
    while (!stop) {
      try {
        group.add(queue.take());
      } catch (InterruptedException e) {
        continue; // only close() ends this thread, after draining
      }
      queue.drainTo(group, MAX_GROUP - 1);
      if (group.remove(STOP)) {
        stop = true;
        queue.drainTo(group); // nothing should follow STOP, but never strand a future
      }
      try {
        commitGroup(group);
      } catch (RuntimeException | Error e) {
        log.error("store commit thread: unexpected failure, batches of this round failed", e);
        var failure = new StoreException("commit failed: " + e, e);
        newEpoch(failure);
        group.forEach(c -> refuse(c, failure));
      }
      group.clear();
    }
  }

  private void commitGroup(List<Commit> group) {
    var written = new ArrayList<Commit>(group.size());
    for (Commit c : group) {
      StoreException failure = null;
      try {
        if (c.epoch != epoch) {
          failure = stale();
        } else {
          db.write(writeOptions, c.batch);
          commits.incrementAndGet();
          written.add(c);
        }
      } catch (RocksDBException e) {
        failure = failed("store write failed", e);
      } finally {
        c.batch.close();
        if (c.afterWrite != null) {
          c.afterWrite.run();
        }
      }
      if (failure != null) {
        fail(c, failure); // after afterWrite, so a caller woken by the failure sees its effect
      }
    }
    if (written.isEmpty()) {
      return;
    }
    try {
      db.syncWal();
      syncs.incrementAndGet();
    } catch (RocksDBException e) {
      // XXX: the batches are in the memtable and may survive; their callers see a failure and
      // retry (a duplicate, never a loss). RocksDB refuses further writes after a failed sync.
      var failure = failed("store WAL sync failed", e);
      written.forEach(c -> fail(c, failure));
      return;
    }
    health.engineWrote();
    onDurable.run();
    for (Commit c : written) {
      if (c.afterSync != null) {
        try {
          c.afterSync.run();
        } catch (RuntimeException e) {
          log.error("store commit thread: after-sync action failed", e);
        }
      }
      completer.execute(() -> c.durable.complete(null));
    }
  }

  /**
   * A failed write or sync moves the epoch on; a storage failure (no space, I/O error) becomes a
   * {@link StorageUnavailableException} and is logged once by the health tracker, anything else here.
   */
  private StoreException failed(String what, RocksDBException e) {
    StoreException failure = health.engineFailed(e);
    if (failure == null) {
      log.error("{}: {}", what, e.getMessage());
      failure = new StoreException(what + ": " + e.getMessage(), e);
    } else {
      log.debug("{}: {}", what, e.getMessage());
    }
    newEpoch(failure);
    return failure;
  }

  private void newEpoch(StoreException failure) {
    epochFailure = failure;
    epoch++;
  }

  /** The refusal of a batch built before the latest failure: of the same kind, so a full disk stays temporary. */
  private StoreException stale() {
    if (epochFailure instanceof StorageUnavailableException s) {
      return new StorageUnavailableException(s.reason(), s.reason() == StorageUnavailableException.Reason.NO_SPACE
          ? "the mail store's disk is full" : "the mail store's disk failed a write", s);
    }
    return new StoreException("not written: an earlier write to the store failed; try again");
  }

  private void refuse(Commit c, StoreException e) {
    if (c.batch != null && c.batch.isOwningHandle()) {
      c.batch.close();
    }
    fail(c, e);
  }

  private void fail(Commit c, StoreException e) {
    completer.execute(() -> c.durable.completeExceptionally(e));
  }
}
