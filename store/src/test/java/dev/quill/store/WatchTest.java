package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.quill.store.MailboxEvent.Kind;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mailbox events for IDLE and untagged responses. */
class WatchTest {
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

  /** The next {@code n} items of {@code queue}, failing after 5 s without one. */
  private static <T> List<T> take(BlockingQueue<T> queue, int n) throws InterruptedException {
    var list = new ArrayList<T>();
    for (int i = 0; i < n; i++) {
      T item = queue.poll(5, TimeUnit.SECONDS);
      assertThat(item).as("item %d of %d", i + 1, n).isNotNull();
      list.add(item);
    }
    return list;
  }

  @Test
  void watch_publishesEveryKindInCommitOrder() throws Exception {
    store = TestStores.withUsers(dir, "ann", "bob");
    var queue = new LinkedBlockingQueue<MailboxEvent>();
    try (AutoCloseable handle = store.watch(ANN, queue::add)) {
      store.deliver(List.of(ANN, BOB), "INBOX", TestStores.message("a", 50), Instant.EPOCH).join();
      store.append(ANN, "INBOX", TestStores.message("b", 50), Set.of(), Instant.EPOCH, null).join();
      store.updateFlags(ANN, "INBOX", List.of(1L, 2L), new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Seen"), -1)).join();
      store.copy(ANN, "INBOX", List.of(1L), "Trash", true).join();
      store.expunge(ANN, "INBOX", List.of(2L)).join();
      store.createMailbox(ANN, "Work", Set.of());
      store.renameMailbox(ANN, "Work", "Job");
      store.deleteMailbox(ANN, "Job");

      List<MailboxEvent> events = take(queue, 10);
      assertThat(events).extracting(MailboxEvent::kind, MailboxEvent::mailbox, MailboxEvent::uids).containsExactly(
          tuple(Kind.APPENDED, "INBOX", List.of(1L)),
          tuple(Kind.APPENDED, "INBOX", List.of(2L)),
          tuple(Kind.FLAGS, "INBOX", List.of(1L, 2L)),
          tuple(Kind.APPENDED, "Trash", List.of(1L)),
          tuple(Kind.EXPUNGED, "INBOX", List.of(1L)),
          tuple(Kind.EXPUNGED, "INBOX", List.of(2L)),
          tuple(Kind.CREATED, "Work", List.of()),
          tuple(Kind.RENAMED, "Work", List.of()),
          tuple(Kind.CREATED, "Job", List.of()),
          tuple(Kind.DELETED, "Job", List.of()));
      assertThat(events).allMatch(e -> e.user().equals(ANN));
      assertThat(events.get(4).modSeq()).isLessThan(events.get(5).modSeq());
      assertThat(events.get(5).modSeq()).isEqualTo(store.mailbox(ANN, "INBOX").orElseThrow().highestModSeq());
      assertThat(queue).isEmpty();
    }
  }

  @Test
  void watch_eventArrivesOnlyWhenChangeIsDurableAndReadable() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    var seenByListener = new LinkedBlockingQueue<List<Long>>();
    var uids = new LinkedBlockingQueue<Long>();
    store.watch(ANN, e -> {
      uids.addAll(e.uids());
      seenByListener.add(store.messages(ANN, "INBOX").stream().map(MessageMeta::uid).toList());
    });
    for (int i = 1; i <= 20; i++) {
      store.deliver(List.of(ANN), "INBOX", TestStores.message("m" + i, 50), Instant.EPOCH);
    }
    List<List<Long>> seen = take(seenByListener, 20);
    List<Long> announced = take(uids, 20);
    assertThat(announced).isSorted();
    for (int i = 0; i < 20; i++) {
      // The durable view already held the announced message when its event was delivered.
      assertThat(seen.get(i)).contains(announced.get(i));
    }
  }

  @Test
  void watch_throwingListenerIsolated_closeUnsubscribes() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    var good = new LinkedBlockingQueue<MailboxEvent>();
    store.watch(ANN, e -> {
      throw new IllegalStateException("listener bug (expected by the test)");
    });
    AutoCloseable handle = store.watch(ANN, good::add);
    store.append(ANN, "INBOX", TestStores.message("a", 50), Set.of(), null, null).join();
    store.append(ANN, "INBOX", TestStores.message("b", 50), Set.of(), null, null).join();
    assertThat(take(good, 2)).extracting(MailboxEvent::uids).containsExactly(List.of(1L), List.of(2L));
    handle.close();
    store.append(ANN, "INBOX", TestStores.message("c", 50), Set.of(), null, null).join();
    var marker = new LinkedBlockingQueue<MailboxEvent>();
    store.watch(ANN, marker::add);
    store.append(ANN, "INBOX", TestStores.message("d", 50), Set.of(), null, null).join();
    take(marker, 1); // events are dispatched in order, so uid 3's event has been handled by now
    assertThat(good).isEmpty();
  }

  @Test
  void commits_countEachCommitOfTheUser_beforeItsFutureCompletes() throws Exception {
    store = TestStores.withUsers(dir, "ann", "bob");
    try (MailboxWatch ann = store.watch(ANN, e -> { }); MailboxWatch bob = store.watch(BOB, e -> { })) {
      assertThat(ann.commits()).isZero();
      store.append(ANN, "INBOX", TestStores.message("a", 50), Set.of(), Instant.EPOCH, null).join();
      assertThat(ann.commits()).as("counted by the time the writer is answered").isEqualTo(1);
      store.updateFlags(ANN, "INBOX", List.of(1L), new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Seen"), -1)).join();
      assertThat(ann.commits()).isEqualTo(2);
      store.copy(ANN, "INBOX", List.of(1L), "Trash", true).join(); // two mailboxes, one commit
      assertThat(ann.commits()).isEqualTo(3);
      assertThat(bob.commits()).as("another user's changes").isZero();
      store.deliver(List.of(ANN, BOB), "INBOX", TestStores.message("b", 50), Instant.EPOCH).join();
      assertThat(ann.commits()).isEqualTo(4);
      assertThat(bob.commits()).isEqualTo(1);
    }
  }
}
