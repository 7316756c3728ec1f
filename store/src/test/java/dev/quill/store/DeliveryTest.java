package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.store.DeliveryResult.Status;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Delivery, UIDs, counters, expunge, restart, group commit and quarantine. */
class DeliveryTest {
  static final String ANN = "ann@example.org";
  static final String BOB = "bob@example.org";

  @TempDir Path dir;
  RocksMailStore store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private List<DeliveryResult> deliver(byte[] message, String... users) {
    return store.deliver(List.of(users), MailStore.INBOX, message, Instant.parse("2026-01-02T03:04:05Z")).join();
  }

  @Test
  void deliver_twoRecipients_eachGetsCopy() throws Exception {
    store = TestStores.withUsers(dir, "ann", "bob");
    byte[] msg = TestStores.message("hello", 500);
    assertThat(deliver(msg, ANN, "Bob@Example.org")).containsExactly(
        new DeliveryResult(ANN, Status.STORED, 1), new DeliveryResult(BOB, Status.STORED, 1));
    for (String user : List.of(ANN, BOB)) {
      assertThat(store.readMessage(user, "INBOX", 1)).hasValueSatisfying(b -> assertThat(b).isEqualTo(msg));
      MessageMeta meta = store.messages(user, "INBOX").getFirst();
      assertThat(meta.uid()).isEqualTo(1);
      assertThat(meta.size()).isEqualTo(msg.length);
      assertThat(meta.internalDate()).isEqualTo(Instant.parse("2026-01-02T03:04:05Z"));
      assertThat(meta.crc32c()).isEqualTo(RocksMailStore.crc32c(msg));
      assertThat(meta.flags()).isEmpty();
      MailboxInfo box = store.mailbox(user, "INBOX").orElseThrow();
      assertThat(box.uidNext()).isEqualTo(2);
      assertThat(box.messageCount()).isEqualTo(1);
      assertThat(box.totalBytes()).isEqualTo(msg.length);
      assertThat(box.highestModSeq()).isEqualTo(meta.modSeq());
      assertThat(store.usage(user)).isEqualTo(msg.length);
    }
    assertThat(store.stats().messagesStored()).isEqualTo(2);
  }

  @Test
  void contents_isTheRecordAndTheMessagesTogether_emptyWhenUnknown() {
    store = TestStores.withUsers(dir, "ann");
    deliver(TestStores.message("one", 300), ANN);
    deliver(TestStores.message("two", 400), ANN);
    MailboxContents inbox = store.contents(ANN, "inbox").orElseThrow();
    assertThat(inbox.info()).isEqualTo(store.mailbox(ANN, MailStore.INBOX).orElseThrow());
    assertThat(inbox.messages()).isEqualTo(store.messages(ANN, MailStore.INBOX)).extracting(MessageMeta::uid)
        .containsExactly(1L, 2L);
    assertThat(store.contents(ANN, "No such box")).isEmpty();
    assertThat(store.contents(BOB, MailStore.INBOX)).isEmpty();
  }

  /** contents() reads one durable view: while messages arrive and go, the record always counts exactly the list. */
  @Test
  void contents_agreesWithItself_whileMessagesArriveAndGo() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    var writing = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread writer = Thread.ofVirtual().start(() -> {
      try {
        for (int i = 1; i <= 120; i++) {
          deliver(TestStores.message("m" + i, 100 + i), ANN);
          if (i % 10 == 0) {
            store.expunge(ANN, MailStore.INBOX, List.of((long) i - 5)).join();
          }
        }
      } finally {
        writing.set(false);
      }
    });
    int reads = 0;
    do {
      MailboxContents c = store.contents(ANN, MailStore.INBOX).orElseThrow();
      reads++;
      assertThat(c.messages()).as("read %d", reads).hasSize(c.info().messageCount());
      assertThat(c.messages().stream().mapToLong(MessageMeta::size).sum()).isEqualTo(c.info().totalBytes());
      assertThat(c.messages()).allSatisfy(m -> assertThat(m.uid()).isLessThan(c.info().uidNext()));
    } while (writing.get());
    writer.join();
    assertThat(store.contents(ANN, MailStore.INBOX).orElseThrow().messages()).hasSize(120 - 12);
    assertThat(reads).isGreaterThan(1);
  }

  @Test
  void deliver_overQuotaAndUnknown_perRecipientResults() {
    store = TestStores.withUsers(dir, "ann", "bob");
    byte[] msg = TestStores.message("big", 1_000);
    store.setQuota(BOB, msg.length + 10);
    assertThat(deliver(msg, ANN, BOB, "ghost@example.org")).containsExactly(
        new DeliveryResult(ANN, Status.STORED, 1),
        new DeliveryResult(BOB, Status.STORED, 1),
        new DeliveryResult("ghost@example.org", Status.NO_SUCH_USER, 0));
    assertThat(deliver(msg, ANN, BOB)).containsExactly(
        new DeliveryResult(ANN, Status.STORED, 2), new DeliveryResult(BOB, Status.OVER_QUOTA, 0));
    assertThat(store.mailbox(BOB, "INBOX").orElseThrow().messageCount()).isEqualTo(1);
    store.setQuota(BOB, 0);
    assertThat(deliver(msg, BOB)).containsExactly(new DeliveryResult(BOB, Status.STORED, 2));
  }

  @Test
  void deliver_nobodyStored_completesWithoutCommit() {
    store = TestStores.withUsers(dir, "ann");
    long commits = store.stats().commits();
    assertThat(deliver(TestStores.message("x", 10), "ghost@example.org"))
        .containsExactly(new DeliveryResult("ghost@example.org", Status.NO_SUCH_USER, 0));
    assertThat(store.stats().commits()).isEqualTo(commits);
  }

  @Test
  void deliver_bigMessage_storedInBlobAndReadBack() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    byte[] big = TestStores.message("big", 5 << 20);
    deliver(big, ANN);
    assertThat(store.readMessage(ANN, "INBOX", 1)).hasValueSatisfying(b -> assertThat(b).isEqualTo(big));
  }

  @Test
  void expunge_removesAndUpdatesCounters() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    byte[] a = TestStores.message("a", 100);
    byte[] b = TestStores.message("b", 200);
    deliver(a, ANN);
    deliver(b, ANN);
    deliver(a, ANN);
    long modSeq = store.mailbox(ANN, "INBOX").orElseThrow().highestModSeq();
    store.expunge(ANN, "INBOX", List.of(1L, 3L, 99L)).join();
    assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);
    assertThat(store.readMessage(ANN, "INBOX", 1)).isEmpty();
    MailboxInfo box = store.mailbox(ANN, "INBOX").orElseThrow();
    assertThat(box.messageCount()).isEqualTo(1);
    assertThat(box.totalBytes()).isEqualTo(b.length);
    assertThat(box.uidNext()).isEqualTo(4);
    assertThat(box.highestModSeq()).isGreaterThan(modSeq);
    // Expunging again is a no-op, and UIDs are never reused.
    store.expunge(ANN, "INBOX", List.of(1L, 3L)).join();
    assertThat(store.mailbox(ANN, "INBOX").orElseThrow().messageCount()).isEqualTo(1);
    assertThat(deliver(a, ANN)).containsExactly(new DeliveryResult(ANN, Status.STORED, 4));
  }

  @Test
  void expunge_unknownMailbox_failedFuture() {
    store = TestStores.withUsers(dir, "ann");
    assertThat(store.expunge("ghost@example.org", "INBOX", List.of(1L))).isCompletedExceptionally();
  }

  @Test
  void restart_findsEverythingAndUidsKeepRising() throws Exception {
    store = TestStores.withUsers(dir, "ann", "bob");
    store.addAlias("info@example.org", ANN);
    store.setQuota(BOB, 1_000_000);
    byte[] msg = TestStores.message("persist", 300);
    deliver(msg, ANN, BOB);
    deliver(msg, ANN);
    MailboxInfo before = store.mailbox(ANN, "INBOX").orElseThrow();
    store.close();

    store = TestStores.open(dir);
    assertThat(store.domains()).containsExactly("example.org");
    assertThat(store.users()).extracting(UserProfile::address).containsExactly(ANN, BOB);
    assertThat(store.user(BOB).orElseThrow().quotaBytes()).isEqualTo(1_000_000);
    assertThat(store.resolveRecipient("info@example.org")).contains(ANN);
    assertThat(store.authenticate(ANN, "secret-ann".toCharArray())).isTrue();
    assertThat(store.mailbox(ANN, "INBOX")).contains(before);
    assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L, 2L);
    assertThat(store.readMessage(BOB, "INBOX", 1)).hasValueSatisfying(b -> assertThat(b).isEqualTo(msg));
    assertThat(deliver(msg, ANN)).containsExactly(new DeliveryResult(ANN, Status.STORED, 3));
    store.addUser("cat@example.org", "pw".toCharArray());
    assertThat(store.mailbox("cat@example.org", "INBOX").orElseThrow().id()).isGreaterThan(before.id());
  }

  @Test
  void uids_strictlyRisingAcrossRestarts() {
    store = TestStores.withUsers(dir, "ann");
    var uids = new ArrayList<Long>();
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 5; i++) {
        uids.add(deliver(TestStores.message("r" + round, 50), ANN).getFirst().uid());
      }
      store.expunge(ANN, "INBOX", List.of(uids.getLast())).join(); // expunging the newest must not lower uidNext
      store.close();
      store = TestStores.open(dir);
    }
    assertThat(uids).isSorted().doesNotHaveDuplicates().hasSize(15);
    assertThat(store.mailbox(ANN, "INBOX").orElseThrow().uidNext()).isEqualTo(16);
  }

  @Test
  void concurrentDelivery_oneMailbox_uidsUniqueAndRising_fewSyncs() throws Exception {
    store = TestStores.withUsers(dir, "ann", "bob");
    int threads = 64;
    int perThread = 50;
    byte[] msg = TestStores.message("load", 4096);
    long commitsBefore = store.stats().commits();
    long syncsBefore = store.stats().syncs();
    var uids = new ConcurrentLinkedQueue<Long>();
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      var futures = new ArrayList<CompletableFuture<Void>>();
      for (int t = 0; t < threads; t++) {
        futures.add(CompletableFuture.runAsync(() -> {
          long last = 0;
          for (int i = 0; i < perThread; i++) {
            long uid = store.deliver(List.of(ANN), MailStore.INBOX, msg, null).join().getFirst().uid();
            // Each thread waits for its delivery, so the UIDs it sees must rise.
            assertThat(uid).isGreaterThan(last);
            last = uid;
            uids.add(uid);
          }
        }, pool));
      }
      CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new)).join();
    }
    int total = threads * perThread;
    var sorted = new ArrayList<>(uids);
    Collections.sort(sorted);
    assertThat(sorted).doesNotHaveDuplicates().hasSize(total);
    assertThat(sorted.getFirst()).isEqualTo(1);
    assertThat(sorted.getLast()).isEqualTo(total);
    MailboxInfo box = store.mailbox(ANN, "INBOX").orElseThrow();
    assertThat(box.messageCount()).isEqualTo(total);
    assertThat(box.uidNext()).isEqualTo(total + 1);
    assertThat(box.totalBytes()).isEqualTo((long) total * msg.length);
    assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).isSorted().hasSize(total);

    StoreStats stats = store.stats();
    long commits = stats.commits() - commitsBefore;
    long syncs = stats.syncs() - syncsBefore;
    assertThat(commits).isEqualTo(total);
    assertThat(syncs).as("syncs shared by %d commits", commits).isLessThan(commits / 2);
  }

  @Test
  void deliver_concurrentToSeveralUsers_countersMatchMessages() {
    store = TestStores.withUsers(dir, "ann", "bob", "cat");
    List<String> all = List.of(ANN, BOB, "cat@example.org");
    try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < 16; t++) {
        int seed = t;
        pool.submit(() -> {
          for (int i = 0; i < 20; i++) {
            // Different recipient orders exercise the lock ordering by mailbox id.
            var rcpts = new ArrayList<>(all);
            Collections.rotate(rcpts, seed + i);
            store.deliver(rcpts, MailStore.INBOX, TestStores.message("m", 100 + i), null).join();
          }
          return null;
        });
      }
    }
    assertThat(store.pendingWrites()).as("every acknowledged write has left the disk queue").isZero();
    for (String user : all) {
      List<MessageMeta> messages = store.messages(user, "INBOX");
      MailboxInfo box = store.mailbox(user, "INBOX").orElseThrow();
      assertThat(messages).hasSize(320);
      assertThat(box.messageCount()).isEqualTo(320);
      assertThat(box.totalBytes()).isEqualTo(messages.stream().mapToLong(MessageMeta::size).sum());
    }
  }

  @Test
  void readMessage_corruptBody_quarantinedAndNoLongerListed() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    byte[] good = TestStores.message("good", 200);
    deliver(good, ANN);
    deliver(good, ANN);
    byte[] damaged = good.clone();
    damaged[50] ^= 0x01;
    store.overwriteBodyForTest(ANN, "INBOX", 1, damaged);

    assertThatThrownBy(() -> store.readMessage(ANN, "INBOX", 1))
        .isInstanceOf(CorruptMessageException.class)
        .hasMessageContaining("message 1 of ann@example.org/INBOX is corrupt (crc32c");
    assertThat(store.stats().quarantined()).isEqualTo(1);
    assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);
    assertThat(store.readMessage(ANN, "INBOX", 1)).isEmpty();
    MailboxInfo box = store.mailbox(ANN, "INBOX").orElseThrow();
    assertThat(box.messageCount()).isEqualTo(1);
    assertThat(box.totalBytes()).isEqualTo(good.length);
    assertThat(store.readMessage(ANN, "INBOX", 2)).hasValueSatisfying(b -> assertThat(b).isEqualTo(good));

    QuarantinedMessage q = store.quarantinedMessages().getFirst();
    assertThat(q.user()).isEqualTo(ANN);
    assertThat(q.meta().uid()).isEqualTo(1);
    assertThat(q.body()).isEqualTo(damaged);

    store.close();
    store = TestStores.open(dir);
    assertThat(store.stats().quarantined()).isEqualTo(1);
    assertThat(store.messages(ANN, "INBOX")).hasSize(1);
  }

  @Test
  void readMessage_truncatedBody_quarantined() {
    store = TestStores.withUsers(dir, "ann");
    byte[] good = TestStores.message("good", 200);
    deliver(good, ANN);
    store.overwriteBodyForTest(ANN, "INBOX", 1, java.util.Arrays.copyOf(good, 100));
    assertThatThrownBy(() -> store.readMessage(ANN, "INBOX", 1))
        .isInstanceOf(CorruptMessageException.class).hasMessageContaining("size 100 but");
    assertThat(store.messages(ANN, "INBOX")).isEmpty();
  }

  @Test
  void deliver_toUnknownMailbox_goesToInbox() {
    store = TestStores.withUsers(dir, "ann");
    store.deliver(List.of(ANN), "Projects", TestStores.message("x", 10), null).join();
    assertThat(store.messages(ANN, "INBOX")).hasSize(1);
  }
}
