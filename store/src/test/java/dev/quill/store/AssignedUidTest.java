package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.store.MailboxEvent.Kind;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Messages stored under UIDs a cluster manager allocated ({@link MailStore#storeAssigned}). */
class AssignedUidTest {
  static final String ANN = "ann@example.org";
  static final String CAROL = "carol@example.org"; // no profile here
  static final long UIDVALIDITY = 1_700_000_000L;

  @TempDir Path dir;

  private static AssignedMessage msg(String user, String box, long uidValidity, long uid, long modSeq, byte[] bytes) {
    return new AssignedMessage(user, box, uidValidity, uid, modSeq, bytes, Set.of("\\Seen"), Instant.EPOCH, null);
  }

  private static AppendResult put(RocksMailStore store, String user, long uid, long modSeq) {
    return store.storeAssigned(msg(user, "INBOX", UIDVALIDITY, uid, modSeq, TestStores.message("uid " + uid, 200))).join();
  }

  @Test
  void ascendingWithGaps_storedUnderExactlyThoseUids() {
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(put(store, CAROL, 1, 10)).isEqualTo(new AppendResult(true, UIDVALIDITY, 1));
      put(store, CAROL, 2, 11);
      put(store, CAROL, 7, 15);
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid, MessageMeta::modSeq, MessageMeta::flags)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple(1L, 10L, Set.of("\\Seen")),
              org.assertj.core.groups.Tuple.tuple(2L, 11L, Set.of("\\Seen")),
              org.assertj.core.groups.Tuple.tuple(7L, 15L, Set.of("\\Seen")));
      MailboxInfo box = store.mailbox(CAROL, "INBOX").orElseThrow();
      assertThat(box.uidValidity()).isEqualTo(UIDVALIDITY);
      assertThat(box.uidNext()).isEqualTo(8);
      assertThat(box.highestModSeq()).isEqualTo(15);
      assertThat(box.messageCount()).isEqualTo(3);
      assertThat(store.user(CAROL)).as("a fragment needs no profile").isEmpty();
    }
  }

  @Test
  void outOfOrderArrival_lowerUidStillStored_counterNeverGoesDown() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, 10, 20);
      put(store, CAROL, 9, 19);
      MailboxInfo box = store.mailbox(CAROL, "INBOX").orElseThrow();
      assertThat(box.uidNext()).isEqualTo(11);
      assertThat(box.highestModSeq()).isEqualTo(20);
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(9L, 10L);
    }
  }

  @Test
  void duplicateUid_refused_firstCopyKept() throws Exception {
    try (RocksMailStore store = TestStores.open(dir)) {
      byte[] first = TestStores.message("first", 100);
      store.storeAssigned(msg(CAROL, "INBOX", UIDVALIDITY, 3, 3, first)).join();
      Throwable refused = TestStores.failure(store.storeAssigned(msg(CAROL, "INBOX", UIDVALIDITY, 3, 4, TestStores.message("second", 100))));
      assertThat(refused).isInstanceOf(StoreException.class).hasMessageContaining("UID 3").hasMessageContaining("already stored");
      assertThat(store.readMessage(CAROL, "INBOX", 3)).hasValue(first);
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().messageCount()).isEqualTo(1);
    }
  }

  @Test
  void copyOfAUidExpungedByTheCluster_refused_whetherItWasHereOrNot() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, 3, 3);
      put(store, CAROL, 4, 4);
      // a cluster expunge (numbered by the manager) of UID 3, here, and of UID 5, never stored here
      store.expunge(CAROL, "INBOX", List.of(3L, 5L), 10).join();

      for (long uid : List.of(3L, 5L)) {
        Throwable refused = TestStores.failure(store.storeAssigned(msg(CAROL, "INBOX", UIDVALIDITY, uid, uid,
            TestStores.message("late copy", 100))));
        assertThat(refused).isInstanceOf(StoreException.class).hasMessageContaining("UID " + uid)
            .hasMessageContaining(StoreException.UID_EXPUNGED);
      }
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(4L);
      assertThat(put(store, CAROL, 6, 11).stored()).as("a UID not expunged").isTrue();
    }
  }

  @Test
  void expungeOfUidsNotHere_succeedsWhateverItsModSeq_andChangesNothing() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, 1, 20);
      store.expunge(CAROL, "INBOX", List.of(2L), 20).join(); // two holders forwarded one expunge: the second finds nothing
      MailboxInfo box = store.mailbox(CAROL, "INBOX").orElseThrow();
      assertThat(box.highestModSeq()).isEqualTo(20);
      assertThat(box.messageCount()).isEqualTo(1);
      assertThat(store.expungedSince(CAROL, "INBOX", 0)).isEmpty();

      Throwable stale = TestStores.failure(store.expunge(CAROL, "INBOX", List.of(1L, 2L), 20));
      assertThat(stale).as("an expunge that removes something still needs a fresh MODSEQ")
          .hasMessageContaining(StoreException.STALE_MODSEQ);
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L);
    }
  }

  @Test
  void sameUidFromConcurrentWriters_storedOnce() {
    try (RocksMailStore store = TestStores.open(dir)) {
      for (long uid = 1; uid <= 30; uid++) {
        long u = uid;
        var futures = new ArrayList<CompletableFuture<AppendResult>>();
        for (int w = 0; w < 4; w++) {
          futures.add(CompletableFuture.supplyAsync(() -> store.storeAssigned(
              msg(CAROL, "INBOX", UIDVALIDITY, u, u, TestStores.message("w", 100))).join()));
        }
        long stored = futures.stream().filter(f -> {
          try {
            return f.join().stored();
          } catch (CompletionException e) {
            assertThat(e).hasRootCauseInstanceOf(StoreException.class);
            return false;
          }
        }).count();
        assertThat(stored).as("uid %d", uid).isEqualTo(1);
      }
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().messageCount()).isEqualTo(30);
    }
  }

  @Test
  void uidValidityMismatch_refused() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, 1, 1);
      Throwable refused = TestStores.failure(store.storeAssigned(msg(CAROL, "INBOX", UIDVALIDITY + 1, 2, 2, TestStores.message("x", 50))));
      assertThat(refused).isInstanceOf(StoreException.class)
          .hasMessageContaining("UIDVALIDITY " + (UIDVALIDITY + 1)).hasMessageContaining("has " + UIDVALIDITY);
      assertThat(store.messages(CAROL, "INBOX")).hasSize(1);
    }
  }

  @Test
  void invalidArguments_refused() {
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThatThrownBy(() -> msg(CAROL, "INBOX", UIDVALIDITY, 0, 1, new byte[1])).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> msg(CAROL, "INBOX", 1L << 32, 1, 1, new byte[1])).isInstanceOf(IllegalArgumentException.class);
      assertThat(TestStores.failure(store.storeAssigned(msg(CAROL, "a//b", UIDVALIDITY, 1, 1, new byte[1]))))
          .isInstanceOf(StoreException.class).hasMessageContaining("invalid mailbox name");
    }
  }

  @Test
  void storedUids_surviveRestart_andStayTaken() throws Exception {
    var bytes = new ArrayList<byte[]>();
    List<UserFragments> before;
    try (RocksMailStore store = TestStores.open(dir)) {
      for (long uid = 1; uid <= 5; uid++) {
        byte[] b = TestStores.message("m" + uid, 100 + (int) uid * 1000);
        bytes.add(b);
        store.storeAssigned(msg(CAROL, "Lists/quill", UIDVALIDITY, uid * 2, uid * 3, b)).join();
      }
      before = store.fragments(0, 0);
    }
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(store.fragments(0, 0)).isEqualTo(before);
      for (int i = 0; i < 5; i++) {
        assertThat(store.readMessage(CAROL, "Lists/quill", (i + 1) * 2L)).hasValue(bytes.get(i));
      }
      assertThat(TestStores.failure(store.storeAssigned(msg(CAROL, "Lists/quill", UIDVALIDITY, 4, 99, new byte[10]))))
          .hasMessageContaining("already stored");
      store.storeAssigned(msg(CAROL, "Lists/quill", UIDVALIDITY, 11, 16, new byte[10])).join();
      assertThat(store.mailbox(CAROL, "Lists/quill").orElseThrow().uidNext()).isEqualTo(12);
    }
  }

  @Test
  void watchers_seeTheSameAppendedEventAsAnAppend() throws Exception {
    try (RocksMailStore store = TestStores.open(dir)) {
      var events = new LinkedBlockingQueue<MailboxEvent>();
      try (AutoCloseable handle = store.watch(CAROL, events::add)) {
        put(store, CAROL, 4, 9);
        MailboxEvent created = events.poll(5, TimeUnit.SECONDS);
        MailboxEvent appended = events.poll(5, TimeUnit.SECONDS);
        assertThat(created).isNotNull().extracting(MailboxEvent::kind).isEqualTo(Kind.CREATED);
        assertThat(appended).isEqualTo(new MailboxEvent(CAROL, "INBOX", Kind.APPENDED, List.of(4L), 9));
      }
    }
  }

  @Test
  void quotaOfAProfileHeldHere_isRespected() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      store.setQuota(ANN, 1_000);
      long uidValidity = store.mailbox(ANN, "INBOX").orElseThrow().uidValidity();
      assertThat(store.storeAssigned(msg(ANN, "INBOX", uidValidity, 1, 2, new byte[800])).join().stored()).isTrue();
      AppendResult over = store.storeAssigned(msg(ANN, "INBOX", uidValidity, 2, 3, new byte[800])).join();
      assertThat(over.stored()).isFalse();
      assertThat(store.usage(ANN)).isEqualTo(800);
    }
  }

  @Test
  void corruptAssignedMessage_isQuarantinedLikeAnyOther() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, 1, 1);
      store.overwriteBodyForTest(CAROL, "INBOX", 1, TestStores.message("tampered", 200));
      assertThatThrownBy(() -> store.readMessage(CAROL, "INBOX", 1)).isInstanceOf(CorruptMessageException.class);
      assertThat(store.stats().quarantined()).isEqualTo(1);
    }
  }

  @Test
  void localUser_mixesAssignedAndLocallyAllocatedUids() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long uidValidity = store.mailbox(ANN, "INBOX").orElseThrow().uidValidity();
      store.storeAssigned(msg(ANN, "INBOX", uidValidity, 5, 5, TestStores.message("a", 50))).join();
      List<DeliveryResult> local = store.deliver(List.of(ANN), "INBOX", TestStores.message("b", 50), Instant.EPOCH).join();
      assertThat(local).singleElement().extracting(DeliveryResult::uid).isEqualTo(6L);
    }
  }

  @Test
  void fragmentOnlyUser_isNotALocalRecipient() {
    try (RocksMailStore store = TestStores.open(dir)) {
      store.addDomain("example.org");
      put(store, CAROL, 1, 1);
      assertThat(store.resolveRecipient(CAROL)).isEmpty();
      assertThat(store.deliver(List.of(CAROL), "INBOX", TestStores.message("x", 50), Instant.EPOCH).join())
          .singleElement().extracting(DeliveryResult::status).isEqualTo(DeliveryResult.Status.NO_SUCH_USER);
    }
  }

  @Test
  void addingTheProfileLater_keepsTheFragments() throws Exception {
    try (RocksMailStore store = TestStores.open(dir)) {
      store.addDomain("example.org");
      byte[] bytes = TestStores.message("kept", 100);
      store.storeAssigned(msg(CAROL, "INBOX", UIDVALIDITY, 3, 3, bytes)).join();
      store.addUser(CAROL, "pw".toCharArray());
      MailboxInfo inbox = store.mailbox(CAROL, "INBOX").orElseThrow();
      assertThat(inbox.uidValidity()).isEqualTo(UIDVALIDITY);
      assertThat(store.readMessage(CAROL, "INBOX", 3)).hasValue(bytes);
      assertThat(store.mailboxes(CAROL)).extracting(MailboxInfo::name).contains("Sent", "Trash");
      put(store, CAROL, 4, 4);
      assertThat(store.fragments(0, 0)).singleElement().satisfies(f -> assertThat(f.holdsProfile()).isTrue());
    }
  }

  @Test
  void deletedUser_fragmentCanBeCreatedAgain() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, 1, 1);
      assertThat(store.deleteUser(CAROL)).isTrue();
      assertThat(store.mailbox(CAROL, "INBOX")).isEmpty();
      store.storeAssigned(msg(CAROL, "INBOX", UIDVALIDITY + 5, 1, 1, TestStores.message("again", 50))).join();
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().uidValidity()).isEqualTo(UIDVALIDITY + 5);
    }
  }
}
