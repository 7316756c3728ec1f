package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.WriteBatch;

/** The commit thread on its own: where futures complete, and refusal of stale batches. */
class GroupCommitterTest {
  @TempDir Path dir;

  @Test
  void future_completesOnCompleterThread_notCallerNorCommitThread() throws Exception {
    var gate = new CountDownLatch(1);
    try (var engine = RocksEngine.open(dir, TestStores.FAST);
        var completer = Executors.newVirtualThreadPerTaskExecutor()) {
      // The sync hook waits for the gate, so the stage below is attached before completion.
      var committer = new GroupCommitter(engine.db, () -> awaitQuietly(gate), completer, new StorageHealth(dir, 0));
      CompletableFuture<Void> durable = committer.submit(new WriteBatch(), committer.epoch(), null);
      CompletableFuture<Thread> ranOn = durable.thenApply(v -> Thread.currentThread());
      gate.countDown();
      Thread thread = ranOn.join();
      assertThat(thread).isNotSameAs(Thread.currentThread());
      assertThat(thread.isVirtual()).isTrue();
      assertThat(committer.commits()).isEqualTo(1);
      assertThat(committer.syncs()).isEqualTo(1);
      committer.close();
    }
  }

  @Test
  void future_isNotCompleteUntilTheGroupIsSynced() throws Exception {
    var gate = new CountDownLatch(1);
    var hookRan = new CountDownLatch(1);
    try (var engine = RocksEngine.open(dir, TestStores.FAST);
        var completer = Executors.newVirtualThreadPerTaskExecutor()) {
      // The hook runs right after syncWal() returned; holding it holds the whole group back.
      var committer = new GroupCommitter(engine.db, () -> {
        hookRan.countDown();
        awaitQuietly(gate);
      }, completer, new StorageHealth(dir, 0));
      CompletableFuture<Void> durable = committer.submit(new WriteBatch(), committer.epoch(), null);
      hookRan.await();
      assertThat(committer.syncs()).isEqualTo(1);
      assertThat(durable).as("acknowledged only after the sync and its hook").isNotDone();
      gate.countDown();
      durable.join();
      committer.close();
    }
  }

  @Test
  void submit_staleEpoch_refusedWithoutWriting() {
    try (var engine = RocksEngine.open(dir, TestStores.FAST);
        var completer = Executors.newVirtualThreadPerTaskExecutor()) {
      var committer = new GroupCommitter(engine.db, () -> {}, completer, new StorageHealth(dir, 0));
      var afterWrite = new AtomicBoolean();
      var batch = new WriteBatch();
      CompletableFuture<Void> done = committer.submit(batch, committer.epoch() + 1, () -> afterWrite.set(true));
      assertThatThrownBy(done::join).hasCauseInstanceOf(StoreException.class)
          .hasMessageContaining("an earlier write to the store failed");
      assertThat(afterWrite).isTrue();
      assertThat(committer.commits()).isZero();
      committer.close();
      assertThatThrownBy(() -> committer.submit(new WriteBatch(), 0, null).join()).hasMessageContaining("store is closed");
    }
  }

  private static void awaitQuietly(CountDownLatch gate) {
    try {
      gate.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
