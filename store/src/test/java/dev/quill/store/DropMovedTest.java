package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.quill.store.MailboxEvent.Kind;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link MailStore#dropMoved}: the source side of a rebalance removes the messages it copied to
 * another node, only while they are unchanged, without telling IMAP clients they vanished.
 */
class DropMovedTest {
  static final String ANN = "ann@example.org"; // profile here
  static final String CAROL = "carol@example.org"; // fragments only
  static final long UIDVALIDITY = 1_700_000_000L;
  static final FlagUpdate SEEN = new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Seen"), -1);

  @TempDir Path dir;

  private static void put(MailStore store, String user, String box, long uid, long modSeq) {
    store.storeAssigned(new AssignedMessage(user, box, UIDVALIDITY, uid, modSeq, TestStores.message(box + uid, 100),
        Set.of(), Instant.EPOCH, null)).join();
  }

  @Test
  void dropMoved_removesUnchangedMessages_keepsChangedOnes_andRecordsNoExpunge() throws Exception {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 1);
      put(store, CAROL, "INBOX", 2, 2);
      put(store, CAROL, "INBOX", 3, 3);
      put(store, CAROL, "INBOX", 4, 4);
      store.updateFlags(CAROL, "INBOX", List.of(2L), SEEN, 9).join(); // changed after the caller's comparison
      var events = new LinkedBlockingQueue<MailboxEvent>();
      try (AutoCloseable watch = store.watch(CAROL, events::add)) {
        List<Long> dropped = store.dropMoved(CAROL, "INBOX", Map.of(1L, 1L, 2L, 2L, 3L, 3L, 77L, 5L)).join();

        assertThat(dropped).containsExactly(1L, 3L);
        assertThat(events.poll(5, TimeUnit.SECONDS)).as("sessions read again; no message is named")
            .isEqualTo(new MailboxEvent(CAROL, "INBOX", Kind.FLAGS, List.of(), 9));
        store.expunge(CAROL, "INBOX", List.of(4L), 10).join();
        assertThat(events.poll(5, TimeUnit.SECONDS))
            .isEqualTo(new MailboxEvent(CAROL, "INBOX", Kind.EXPUNGED, List.of(4L), 10));
      }
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid, MessageMeta::modSeq)
          .containsExactly(tuple(2L, 9L));
      assertThat(store.expungedSince(CAROL, "INBOX", 0)).as("only the real expunge").containsExactly(4L);
      MailboxInfo box = store.mailbox(CAROL, "INBOX").orElseThrow();
      assertThat(List.of((long) box.messageCount(), box.uidNext(), box.highestModSeq())).containsExactly(1L, 5L, 10L);
      assertThat(box.totalBytes()).isEqualTo(store.messages(CAROL, "INBOX").getFirst().size());
    }
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(store.messages(CAROL, "INBOX")).as("durable").extracting(MessageMeta::uid).containsExactly(2L);
      assertThat(store.readMessage(CAROL, "INBOX", 1)).isEmpty();
    }
  }

  @Test
  void dropMoved_highestModSeqStays_soAssignedChangesContinue() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 1);
      put(store, CAROL, "INBOX", 2, 6);
      assertThat(store.dropMoved(CAROL, "INBOX", Map.of(2L, 6L)).join()).containsExactly(2L);
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().highestModSeq()).isEqualTo(6);
      store.updateFlags(CAROL, "INBOX", List.of(1L), SEEN, 7).join();
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::modSeq).containsExactly(7L);
    }
  }

  @Test
  void dropMoved_lastMessageOfAFragmentWithoutProfile_removesTheFragmentAndItsIndexEntry() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 1);
      put(store, CAROL, "Lists/quill", 5, 2);
      assertThat(store.dropMoved(CAROL, "Lists/quill", Map.of(5L, 2L)).join()).containsExactly(5L);

      assertThat(store.mailbox(CAROL, "Lists/quill")).isEmpty();
      assertThat(store.mailboxes(CAROL)).extracting(MailboxInfo::name).containsExactly("INBOX");
      assertThat(store.fragments(0, 0)).singleElement().satisfies(u ->
          assertThat(u.fragments()).extracting(FragmentSummary::mailbox).containsExactly("INBOX"));
      assertThat(store.hashIndexForTest()).extracting(HashIndex.Entry::mailbox).containsExactly("INBOX");

      assertThat(store.dropMoved(CAROL, "INBOX", Map.of(1L, 1L)).join()).containsExactly(1L);
      assertThat(store.fragments(0, 0)).as("nothing of carol is left here").isEmpty();
      assertThat(store.hashIndexForTest()).isEmpty();

      put(store, CAROL, "Lists/quill", 6, 3);
      assertThat(store.messages(CAROL, "Lists/quill")).as("a later store creates the fragment again")
          .extracting(MessageMeta::uid).containsExactly(6L);
    }
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(store.mailboxes(CAROL)).as("after a restart").extracting(MailboxInfo::name)
          .containsExactly("Lists/quill");
    }
  }

  @Test
  void dropMoved_emptiedFragmentWithExpungeLog_staysForQresync() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 1);
      put(store, CAROL, "INBOX", 2, 2);
      store.expunge(CAROL, "INBOX", List.of(1L), 3).join();
      assertThat(store.dropMoved(CAROL, "INBOX", Map.of(2L, 2L)).join()).containsExactly(2L);

      MailboxInfo box = store.mailbox(CAROL, "INBOX").orElseThrow();
      assertThat(box.messageCount()).isZero();
      assertThat(store.expungedSince(CAROL, "INBOX", 0)).containsExactly(1L);
    }
  }

  @Test
  void dropMoved_profileHere_keepsTheEmptyMailbox() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long uidValidity = store.mailbox(ANN, "Sent").orElseThrow().uidValidity();
      store.storeAssigned(new AssignedMessage(ANN, "Sent", uidValidity, 1, 2, TestStores.message("s", 80), Set.of(),
          Instant.EPOCH, null)).join();
      assertThat(store.dropMoved(ANN, "Sent", Map.of(1L, 2L)).join()).containsExactly(1L);
      assertThat(store.mailbox(ANN, "Sent")).hasValueSatisfying(b -> assertThat(b.messageCount()).isZero());
      assertThat(store.usage(ANN)).isZero();
    }
  }

  @Test
  void dropMoved_unknownMailbox_failsWithStoreException_andNothingMatching_changesNothing() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 1);
      try {
        store.dropMoved(CAROL, "Nowhere", Map.of(1L, 1L)).join();
        throw new AssertionError("expected a refusal");
      } catch (CompletionException e) {
        assertThat(e.getCause()).isInstanceOf(StoreException.class).hasMessageContaining("Nowhere");
      }
      MailboxInfo before = store.mailbox(CAROL, "INBOX").orElseThrow();
      assertThat(store.dropMoved(CAROL, "INBOX", Map.of(1L, 99L)).join()).isEmpty();
      assertThat(store.mailbox(CAROL, "INBOX")).hasValue(before);
    }
  }
}
