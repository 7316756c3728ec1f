package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flag changes and expunges under manager-allocated MODSEQs, and the mailbox calls the cluster
 * layer makes on fragments of users whose profile lives on another node.
 */
class FragmentOperationsTest {
  static final String ANN = "ann@example.org"; // profile here
  static final String CAROL = "carol@example.org"; // fragments only
  static final long UIDVALIDITY = 1_700_000_000L;
  static final FlagUpdate SEEN = new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Seen"), -1);
  static final FlagUpdate FLAGGED = new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Flagged"), -1);

  @TempDir Path dir;

  /** Stores {@code uid} under MODSEQ {@code modSeq} with no flags. */
  private static byte[] put(RocksMailStore store, String user, String box, long uid, long modSeq) {
    byte[] bytes = TestStores.message(box + " " + uid, 150);
    store.storeAssigned(new AssignedMessage(user, box, UIDVALIDITY, uid, modSeq, bytes, Set.of(), Instant.EPOCH,
        new MessageDerived(new byte[] {(byte) uid}, ("text " + uid).getBytes()))).join();
    return bytes;
  }

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
  void updateFlags_assignedModSeq_givenToEveryChangedMessageAndTheFragment() throws Exception {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 3);
      put(store, CAROL, "INBOX", 4, 5);
      put(store, CAROL, "INBOX", 9, 7);
      store.updateFlags(CAROL, "INBOX", List.of(9L), SEEN, 8).join();
      var events = new LinkedBlockingQueue<MailboxEvent>();
      try (AutoCloseable handle = store.watch(CAROL, events::add)) {
        FlagResult result = store.updateFlags(CAROL, "INBOX", List.of(1L, 4L, 9L, 77L), SEEN, 20).join();

        assertThat(result.updated()).extracting(MessageMeta::uid, MessageMeta::modSeq, MessageMeta::flags).containsExactly(
            tuple(1L, 20L, Set.of("\\Seen")), tuple(4L, 20L, Set.of("\\Seen")), tuple(9L, 8L, Set.of("\\Seen")));
        assertThat(result.modified()).isEmpty();
        assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid, MessageMeta::modSeq)
            .containsExactly(tuple(1L, 20L), tuple(4L, 20L), tuple(9L, 8L));
        assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().highestModSeq()).isEqualTo(20);
        assertThat(take(events, 1)).containsExactly(new MailboxEvent(CAROL, "INBOX", Kind.FLAGS, List.of(1L, 4L), 20));
      }
      assertThat(store.user(CAROL)).as("no profile was needed").isEmpty();
    }
  }

  @Test
  void updateFlags_nothingChanged_leavesHighestModSeq() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 3);
      store.updateFlags(CAROL, "INBOX", List.of(1L), SEEN, 4).join();
      FlagResult again = store.updateFlags(CAROL, "INBOX", List.of(1L), SEEN, 10).join();
      assertThat(again.updated()).extracting(MessageMeta::modSeq).containsExactly(4L);
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().highestModSeq()).isEqualTo(4);
    }
  }

  @Test
  void updateFlags_unchangedSince_reportsNewerMessagesAsModified() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 3);
      put(store, CAROL, "INBOX", 2, 6);
      FlagResult result = store.updateFlags(CAROL, "INBOX", List.of(1L, 2L),
          new FlagUpdate(FlagUpdate.Mode.REPLACE, Set.of("$Work"), 5), 9).join();
      assertThat(result.modified()).containsExactly(2L);
      assertThat(result.updated()).extracting(MessageMeta::uid, MessageMeta::modSeq).containsExactly(tuple(1L, 9L));
    }
  }

  @Test
  void updateFlags_staleModSeq_refusedAndNothingChanged() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 3);
      put(store, CAROL, "INBOX", 2, 6);
      for (long stale : new long[] {6, 5, 0, -1}) {
        assertThat(TestStores.failure(store.updateFlags(CAROL, "INBOX", List.of(1L, 2L), SEEN, stale)))
            .isInstanceOf(StoreException.class).hasMessageContaining("stale MODSEQ " + stale)
            .hasMessageContaining("HIGHESTMODSEQ 6");
      }
      assertThat(TestStores.failure(store.updateFlags(CAROL, "INBOX", List.of(404L), SEEN, 2)))
          .as("refused even when no message would change").hasMessageContaining("stale MODSEQ");
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::flags, MessageMeta::modSeq)
          .containsExactly(tuple(Set.of(), 3L), tuple(Set.of(), 6L));
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().highestModSeq()).isEqualTo(6);

      store.updateFlags(CAROL, "INBOX", List.of(1L), SEEN, 7).join();
      assertThat(TestStores.failure(store.updateFlags(CAROL, "INBOX", List.of(2L), FLAGGED, 7)))
          .as("a MODSEQ is used once").hasMessageContaining("stale MODSEQ 7");
    }
  }

  @Test
  void updateFlags_assignedOnALocalUser_andLocalAllocationContinuesAboveIt() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      store.deliver(List.of(ANN), "INBOX", TestStores.message("a", 50), Instant.EPOCH).join();
      store.updateFlags(ANN, "INBOX", List.of(1L), SEEN, 40).join();
      assertThat(store.mailbox(ANN, "INBOX").orElseThrow().highestModSeq()).isEqualTo(40);
      FlagResult local = store.updateFlags(ANN, "INBOX", List.of(1L), FLAGGED).join();
      assertThat(local.updated()).extracting(MessageMeta::modSeq).containsExactly(41L);
    }
  }

  @Test
  void expunge_assignedModSeq_recordedForExpungedSince() throws Exception {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 2, 2);
      put(store, CAROL, "INBOX", 5, 4);
      put(store, CAROL, "INBOX", 8, 6);
      store.expunge(CAROL, "INBOX", List.of(2L), 10).join();
      var events = new LinkedBlockingQueue<MailboxEvent>();
      try (AutoCloseable handle = store.watch(CAROL, events::add)) {
        store.expunge(CAROL, "INBOX", List.of(5L, 99L), 30).join();
        assertThat(take(events, 1)).containsExactly(new MailboxEvent(CAROL, "INBOX", Kind.EXPUNGED, List.of(5L), 30));
      }
      MailboxInfo box = store.mailbox(CAROL, "INBOX").orElseThrow();
      assertThat(List.of(box.highestModSeq(), (long) box.messageCount(), box.uidNext())).containsExactly(30L, 1L, 9L);
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(8L);
      assertThat(store.expungedSince(CAROL, "INBOX", 9)).containsExactly(2L, 5L);
      assertThat(store.expungedSince(CAROL, "INBOX", 10)).containsExactly(5L);
      assertThat(store.expungedSince(CAROL, "INBOX", 29)).containsExactly(5L);
      assertThat(store.expungedSince(CAROL, "INBOX", 30)).isEmpty();
      assertThat(store.usage(CAROL)).isEqualTo(store.messages(CAROL, "INBOX").getFirst().size());

      store.expunge(CAROL, "INBOX", List.of(404L), 31).join();
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().highestModSeq()).as("nothing removed").isEqualTo(30);
    }
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(store.expungedSince(CAROL, "INBOX", 10)).as("after a restart").containsExactly(5L);
    }
  }

  @Test
  void expunge_staleModSeq_refusedAndNothingRemoved() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 5);
      assertThat(TestStores.failure(store.expunge(CAROL, "INBOX", List.of(1L), 5))).isInstanceOf(StoreException.class)
          .hasMessageContaining("stale MODSEQ 5").hasMessageContaining("HIGHESTMODSEQ 5");
      store.expunge(CAROL, "INBOX", List.of(7L), 3).join(); // nothing to remove: its number does not matter
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().highestModSeq()).isEqualTo(5);
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L);
      assertThat(store.expungedSince(CAROL, "INBOX", 0)).isEmpty();
      assertThat(TestStores.failure(store.expunge(CAROL, "Nowhere", List.of(1L), 9))).hasMessageContaining("no mailbox Nowhere");
    }
  }

  @Test
  void reads_workOnFragmentsWithoutAProfile() throws Exception {
    try (RocksMailStore store = TestStores.open(dir)) {
      byte[] one = put(store, CAROL, "INBOX", 1, 1);
      put(store, CAROL, "Lists/quill", 3, 2);
      put(store, CAROL, "Archive", 4, 3);
      put(store, CAROL, "INBOX", 2, 4);
      store.expunge(CAROL, "INBOX", List.of(2L), 5).join();

      assertThat(store.mailboxes(CAROL)).extracting(MailboxInfo::name).containsExactly("INBOX", "Archive", "Lists/quill");
      assertThat(store.mailbox(CAROL, "inbox")).hasValueSatisfying(b -> assertThat(b.uidValidity()).isEqualTo(UIDVALIDITY));
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L);
      assertThat(store.readMessage(CAROL, "INBOX", 1)).hasValue(one);
      assertThat(store.readMessage(CAROL, "INBOX", 2)).isEmpty();
      assertThat(store.derived(CAROL, "Lists/quill", 3)).hasValueSatisfying(d -> assertThat(d.structure()).containsExactly(3));
      List<LoadedMessage> loaded = store.load(CAROL, "INBOX", List.of(2L, 1L),
          Set.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED));
      assertThat(loaded).singleElement().satisfies(m -> {
        assertThat(m.body()).isEqualTo(one);
        assertThat(m.derived().searchText()).asString().isEqualTo("text 1");
      });
      assertThat(store.expungedSince(CAROL, "INBOX", 1)).containsExactly(2L);
      long bytes = store.mailboxes(CAROL).stream().mapToLong(MailboxInfo::totalBytes).sum();
      assertThat(store.usage(CAROL)).isEqualTo(bytes).isPositive();
      assertThat(store.mailboxes("nobody@example.org")).isEmpty();
    }
  }

  @Test
  void deleteMailbox_ofAFragmentWithoutAProfile() throws Exception {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 1);
      put(store, CAROL, "Lists", 2, 2);
      put(store, CAROL, "Lists/quill", 3, 3);
      var events = new LinkedBlockingQueue<MailboxEvent>();
      try (AutoCloseable handle = store.watch(CAROL, events::add)) {
        assertThat(store.deleteMailbox(CAROL, "Lists")).isTrue();
        assertThat(take(events, 1)).extracting(MailboxEvent::kind, MailboxEvent::mailbox).containsExactly(tuple(Kind.DELETED, "Lists"));
      }
      assertThat(store.deleteMailbox(CAROL, "Lists")).isFalse();
      assertThat(store.mailboxes(CAROL)).extracting(MailboxInfo::name).containsExactly("INBOX", "Lists/quill");
      assertThat(store.fragments(0, 0)).singleElement().satisfies(u ->
          assertThat(u.fragments()).extracting(FragmentSummary::mailbox).containsExactly("INBOX", "Lists/quill"));
      assertThat(store.messages(CAROL, "Lists")).isEmpty();
      // Without the profile here, the INBOX fragment goes too (the cluster deletes a user's fragments so).
      assertThat(store.deleteMailbox(CAROL, "INBOX")).isTrue();
      assertThat(store.mailboxes(CAROL)).extracting(MailboxInfo::name).containsExactly("Lists/quill");
    }
  }

  @Test
  void renameMailbox_ofFragmentsWithoutAProfile_movesFragmentAndInferiors_createsNoSuperiors() throws Exception {
    try (RocksMailStore store = TestStores.open(dir)) {
      byte[] bytes = put(store, CAROL, "Lists", 2, 2);
      put(store, CAROL, "Lists/quill", 3, 3);
      put(store, CAROL, "Listsx", 4, 4);
      var events = new LinkedBlockingQueue<MailboxEvent>();
      try (AutoCloseable handle = store.watch(CAROL, events::add)) {
        store.renameMailbox(CAROL, "Lists", "Old/Lists");
        assertThat(take(events, 4)).extracting(MailboxEvent::kind, MailboxEvent::mailbox).containsExactly(
            tuple(Kind.RENAMED, "Lists"), tuple(Kind.CREATED, "Old/Lists"),
            tuple(Kind.RENAMED, "Lists/quill"), tuple(Kind.CREATED, "Old/Lists/quill"));
      }
      assertThat(store.mailboxes(CAROL)).extracting(MailboxInfo::name, MailboxInfo::uidValidity).containsExactly(
          tuple("Listsx", UIDVALIDITY), tuple("Old/Lists", UIDVALIDITY), tuple("Old/Lists/quill", UIDVALIDITY));
      assertThat(store.readMessage(CAROL, "Old/Lists", 2)).hasValue(bytes);
      assertThat(store.fragments(0, 0)).singleElement().satisfies(u -> assertThat(u.fragments())
          .extracting(FragmentSummary::mailbox).containsExactly("Listsx", "Old/Lists", "Old/Lists/quill"));
      put(store, CAROL, "Old/Lists", 5, 5);
      assertThat(store.mailbox(CAROL, "Old/Lists").orElseThrow().messageCount()).isEqualTo(2);
    }
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(store.mailboxes(CAROL)).extracting(MailboxInfo::name).as("after a restart")
          .containsExactly("Listsx", "Old/Lists", "Old/Lists/quill");
    }
  }

  @Test
  void renameMailbox_withoutAProfile_movesInferiorFragmentsWhenTheMailboxItselfIsElsewhere() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "Lists/quill", 3, 3);
      put(store, CAROL, "Lists/rocks", 4, 4);
      store.renameMailbox(CAROL, "Lists", "Feeds");
      assertThat(store.mailboxes(CAROL)).extracting(MailboxInfo::name).containsExactly("Feeds/quill", "Feeds/rocks");
      assertThatThrownBy(() -> store.renameMailbox(CAROL, "Nothing", "Else"))
          .isInstanceOf(StoreException.class).hasMessageContaining("no such mailbox Nothing");
    }
  }

  @Test
  void renameMailbox_withoutAProfile_refusals() {
    try (RocksMailStore store = TestStores.open(dir)) {
      put(store, CAROL, "INBOX", 1, 1);
      put(store, CAROL, "A", 2, 2);
      put(store, CAROL, "A/b", 3, 3);
      put(store, CAROL, "C/b", 4, 4);
      assertThatThrownBy(() -> store.renameMailbox(CAROL, "inbox", "Old"))
          .isInstanceOf(StoreException.class).hasMessageContaining("cannot rename INBOX fragment");
      assertThatThrownBy(() -> store.renameMailbox(CAROL, "A", "C")).hasMessageContaining("mailbox C/b already exists");
      assertThatThrownBy(() -> store.renameMailbox(CAROL, "A", "A/x")).hasMessageContaining("below itself");
      assertThat(store.mailboxes(CAROL)).extracting(MailboxInfo::name).containsExactly("INBOX", "A", "A/b", "C/b");
      assertThat(store.messages(CAROL, "INBOX")).hasSize(1);
    }
  }

  @Test
  void renameMailbox_withAProfile_stillCreatesSuperiors() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      store.createMailbox(ANN, "Work", Set.of());
      store.renameMailbox(ANN, "Work", "Old/Work");
      assertThat(store.mailboxes(ANN)).extracting(MailboxInfo::name).contains("Old", "Old/Work").doesNotContain("Work");
      assertThatThrownBy(() -> store.renameMailbox(ANN, "Missing", "X")).hasMessageContaining("no such mailbox Missing");
    }
  }

  @Test
  void renameFragments_withAProfile_createsNoSuperior_andKeepsEachUidValidity() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long work = store.createMailbox(ANN, "Work", Set.of()).uidValidity();
      long child = store.createMailbox(ANN, "Work/Q1", Set.of()).uidValidity();
      store.renameFragments(ANN, "Work", "Old/Work");
      assertThat(store.mailboxes(ANN)).extracting(MailboxInfo::name, MailboxInfo::uidValidity)
          .contains(tuple("Old/Work", work), tuple("Old/Work/Q1", child));
      assertThat(store.mailboxes(ANN)).extracting(MailboxInfo::name).doesNotContain("Old", "Work", "Work/Q1");
      assertThatThrownBy(() -> store.renameFragments(ANN, "INBOX", "Old/Inbox"))
          .isInstanceOf(StoreException.class).hasMessageContaining("cannot rename INBOX fragment");
      assertThat(store.mailbox(ANN, MailStore.INBOX)).isPresent();
    }
  }
}
