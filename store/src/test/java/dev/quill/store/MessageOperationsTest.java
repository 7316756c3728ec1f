package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.store.FlagUpdate.Mode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** APPEND, STORE (CONDSTORE), COPY/MOVE (UIDPLUS), derived data and batch loads. */
class MessageOperationsTest {
  static final String ANN = "ann@example.org";
  static final Instant DATE = Instant.parse("2025-12-24T18:00:00Z");

  @TempDir Path dir;
  RocksMailStore store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private static MessageDerived derived(String text) {
    return new MessageDerived(("structure of " + text).getBytes(StandardCharsets.UTF_8),
        text.getBytes(StandardCharsets.UTF_8));
  }

  private AppendResult append(String mailbox, String subject, Set<String> flags) {
    return store.append(ANN, mailbox, TestStores.message(subject, 200), flags, DATE, derived(subject)).join();
  }

  private FlagResult store(String mailbox, List<Long> uids, Mode mode, long unchangedSince, String... flags) {
    return store.updateFlags(ANN, mailbox, uids, new FlagUpdate(mode, Set.of(flags), unchangedSince)).join();
  }

  private static Throwable cause(Throwable t) {
    return t instanceof CompletionException ? t.getCause() : t;
  }

  @Test
  void append_storesFlagsDateAndDerived_raisesModSeq() {
    store = TestStores.withUsers(dir, "ann");
    MailboxInfo before = store.mailbox(ANN, "Drafts").orElseThrow();
    AppendResult r = append("Drafts", "draft", Set.of("\\draft", "$Label", "\\Recent"));
    assertThat(r).isEqualTo(new AppendResult(true, before.uidValidity(), 1));
    MessageMeta meta = store.messages(ANN, "Drafts").getFirst();
    assertThat(meta.flags()).containsExactlyInAnyOrder("\\Draft", "$Label");
    assertThat(meta.internalDate()).isEqualTo(DATE);
    assertThat(meta.modSeq()).isGreaterThan(before.highestModSeq());
    MailboxInfo after = store.mailbox(ANN, "Drafts").orElseThrow();
    assertThat(after.highestModSeq()).isEqualTo(meta.modSeq());
    assertThat(after.messageCount()).isEqualTo(1);
    assertThat(store.derived(ANN, "Drafts", 1)).hasValueSatisfying(d -> {
      assertThat(d.structure()).isEqualTo("structure of draft".getBytes(StandardCharsets.UTF_8));
      assertThat(d.searchText()).isEqualTo("draft".getBytes(StandardCharsets.UTF_8));
    });
    assertThat(append("Drafts", "second", Set.of()).uid()).isEqualTo(2);
  }

  @Test
  void append_overQuota_notStored() {
    store = TestStores.withUsers(dir, "ann");
    store.setQuota(ANN, 300);
    assertThat(append("INBOX", "fits", Set.of()).stored()).isTrue();
    AppendResult r = append("Sent", "too much", Set.of());
    assertThat(r.stored()).isFalse();
    assertThat(r.uid()).isZero();
    assertThat(store.mailbox(ANN, "Sent").orElseThrow().messageCount()).isZero();
  }

  @Test
  void append_unknownMailboxOrBadFlag_failsFuture() {
    store = TestStores.withUsers(dir, "ann");
    assertThatThrownBy(() -> append("Nope", "x", Set.of())).satisfies(
        t -> assertThat(cause(t)).isInstanceOf(StoreException.class).hasMessageContaining("no such mailbox Nope"));
    assertThatThrownBy(() -> append("INBOX", "x", Set.of("two words"))).satisfies(
        t -> assertThat(cause(t)).isInstanceOf(StoreException.class).hasMessageContaining("invalid flag"));
  }

  @Test
  void deliver_withoutDerived_hasNone_withDerived_keepsIt() {
    store = TestStores.withUsers(dir, "ann");
    store.deliver(List.of(ANN), "INBOX", TestStores.message("plain", 50), DATE).join();
    store.deliver(List.of(ANN), "INBOX", TestStores.message("rich", 50), DATE, derived("rich")).join();
    assertThat(store.derived(ANN, "INBOX", 1)).isEmpty();
    assertThat(store.derived(ANN, "INBOX", 2)).isPresent();
    assertThat(store.derived(ANN, "INBOX", 3)).isEmpty();
    store.expunge(ANN, "INBOX", List.of(2L)).join();
    assertThat(store.derived(ANN, "INBOX", 2)).isEmpty();
  }

  @Test
  void updateFlags_modes_caseInsensitive_keepFirstSpelling() {
    store = TestStores.withUsers(dir, "ann");
    append("INBOX", "m", Set.of("Work"));
    assertThat(store("INBOX", List.of(1L), Mode.ADD, -1, "\\SEEN", "work").updated().getFirst().flags())
        .containsExactlyInAnyOrder("Work", "\\Seen");
    assertThat(store("INBOX", List.of(1L), Mode.REMOVE, -1, "WORK").updated().getFirst().flags())
        .containsExactly("\\Seen");
    assertThat(store("INBOX", List.of(1L), Mode.REPLACE, -1, "\\flagged", "$Todo", "\\Recent").updated().getFirst().flags())
        .containsExactlyInAnyOrder("\\Flagged", "$Todo");
    assertThat(store.messages(ANN, "INBOX").getFirst().flags()).containsExactlyInAnyOrder("\\Flagged", "$Todo");
  }

  @Test
  void updateFlags_changedGetOneNewModSeq_unchangedKeepTheirs() {
    store = TestStores.withUsers(dir, "ann");
    append("INBOX", "a", Set.of("\\Seen"));
    append("INBOX", "b", Set.of());
    append("INBOX", "c", Set.of());
    List<MessageMeta> before = store.messages(ANN, "INBOX");
    long highest = store.mailbox(ANN, "INBOX").orElseThrow().highestModSeq();

    FlagResult r = store("INBOX", List.of(1L, 2L, 3L, 99L), Mode.ADD, -1, "\\Seen");

    assertThat(r.modified()).isEmpty();
    assertThat(r.updated()).extracting(MessageMeta::uid).containsExactly(1L, 2L, 3L);
    assertThat(r.updated().get(0).modSeq()).isEqualTo(before.get(0).modSeq());
    assertThat(r.updated().get(1).modSeq()).isEqualTo(highest + 1);
    assertThat(r.updated().get(2).modSeq()).isEqualTo(highest + 1);
    assertThat(store.mailbox(ANN, "INBOX").orElseThrow().highestModSeq()).isEqualTo(highest + 1);
    assertThat(store.messages(ANN, "INBOX")).isEqualTo(r.updated());

    // nothing changes: no new modseq
    store("INBOX", List.of(1L, 2L), Mode.ADD, -1, "\\seen");
    assertThat(store.mailbox(ANN, "INBOX").orElseThrow().highestModSeq()).isEqualTo(highest + 1);
  }

  @Test
  void updateFlags_unchangedSince_conflictsReportedNotChanged() {
    store = TestStores.withUsers(dir, "ann");
    append("INBOX", "a", Set.of());
    append("INBOX", "b", Set.of());
    long seen = store.mailbox(ANN, "INBOX").orElseThrow().highestModSeq();
    store("INBOX", List.of(2L), Mode.ADD, -1, "$Other"); // another session changes 2

    FlagResult r = store("INBOX", List.of(1L, 2L), Mode.ADD, seen, "\\Deleted");

    assertThat(r.modified()).containsExactly(2L);
    assertThat(r.updated()).extracting(MessageMeta::uid).containsExactly(1L);
    assertThat(store.messages(ANN, "INBOX").get(1).flags()).containsExactly("$Other");
    assertThat(store.messages(ANN, "INBOX").get(0).flags()).containsExactly("\\Deleted");
  }

  @Test
  void updateFlags_queuedBackToBack_noLostUpdate() {
    store = TestStores.withUsers(dir, "ann");
    append("INBOX", "a", Set.of());
    var first = store.updateFlags(ANN, "INBOX", List.of(1L), new FlagUpdate(Mode.ADD, Set.of("\\Seen"), -1));
    var second = store.updateFlags(ANN, "INBOX", List.of(1L), new FlagUpdate(Mode.ADD, Set.of("\\Flagged"), -1));
    first.join();
    second.join();
    assertThat(store.messages(ANN, "INBOX").getFirst().flags()).containsExactlyInAnyOrder("\\Seen", "\\Flagged");
  }

  @Test
  void copy_mapsUidsInSourceOrder_keepsFlagsDateDerived() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    for (String s : List.of("a", "b", "c", "d")) {
      append("INBOX", s, Set.of("$" + s));
    }
    append("Archive", "existing", Set.of());
    MailboxInfo archive = store.mailbox(ANN, "Archive").orElseThrow();

    CopyResult r = store.copy(ANN, "INBOX", List.of(4L, 2L, 77L, 3L), "Archive", false).join();

    assertThat(r).isEqualTo(new CopyResult(archive.uidValidity(), List.of(2L, 3L, 4L), List.of(2L, 3L, 4L)));
    List<MessageMeta> copies = store.messages(ANN, "Archive");
    assertThat(copies).extracting(MessageMeta::uid).containsExactly(1L, 2L, 3L, 4L);
    assertThat(copies.get(1).flags()).containsExactly("$b");
    assertThat(copies.get(1).internalDate()).isEqualTo(DATE);
    assertThat(copies.get(1).modSeq()).isGreaterThan(archive.highestModSeq());
    assertThat(store.readMessage(ANN, "Archive", 3)).hasValue(store.readMessage(ANN, "INBOX", 3).orElseThrow());
    assertThat(store.derived(ANN, "Archive", 4).orElseThrow().searchText())
        .isEqualTo("d".getBytes(StandardCharsets.UTF_8));
    assertThat(store.mailbox(ANN, "INBOX").orElseThrow().messageCount()).isEqualTo(4);
    assertThat(store.mailbox(ANN, "Archive").orElseThrow().messageCount()).isEqualTo(4);
    assertThat(store.usage(ANN)).isEqualTo(store.mailboxes(ANN).stream().mapToLong(MailboxInfo::totalBytes).sum());
  }

  @Test
  void move_expungesSourceRaisesModSeq_usageUnchanged() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    append("INBOX", "a", Set.of());
    append("INBOX", "b", Set.of());
    long usage = store.usage(ANN);
    MailboxInfo inbox = store.mailbox(ANN, "INBOX").orElseThrow();
    store.setQuota(ANN, usage); // full: a move must still work

    CopyResult r = store.copy(ANN, "INBOX", List.of(1L), "Trash", true).join();

    assertThat(r.sourceUids()).containsExactly(1L);
    assertThat(r.destinationUids()).containsExactly(1L);
    assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);
    MailboxInfo after = store.mailbox(ANN, "INBOX").orElseThrow();
    assertThat(after.highestModSeq()).isGreaterThan(inbox.highestModSeq());
    assertThat(after.messageCount()).isEqualTo(1);
    assertThat(store.usage(ANN)).isEqualTo(usage);
    assertThat(store.readMessage(ANN, "INBOX", 1)).isEmpty();
    assertThat(store.derived(ANN, "INBOX", 1)).isEmpty();
    assertThat(store.derived(ANN, "Trash", 1)).isPresent();
    assertThat(store.expungedSince(ANN, "INBOX", inbox.highestModSeq())).containsExactly(1L);
  }

  @Test
  void copy_overQuota_refusedAndNothingChanged() {
    store = TestStores.withUsers(dir, "ann");
    append("INBOX", "a", Set.of());
    append("INBOX", "b", Set.of());
    store.setQuota(ANN, store.usage(ANN) + 300);
    List<MailboxInfo> before = store.mailboxes(ANN);
    assertThatThrownBy(() -> store.copy(ANN, "INBOX", List.of(1L, 2L), "Archive", false).join())
        .satisfies(t -> assertThat(cause(t)).isInstanceOf(StoreException.class).hasMessageContaining("over quota"));
    assertThat(store.mailboxes(ANN)).isEqualTo(before);
    assertThat(store.messages(ANN, "Archive")).isEmpty();
  }

  @Test
  void copy_toMissingMailbox_noSuchMailbox() {
    store = TestStores.withUsers(dir, "ann");
    append("INBOX", "a", Set.of());
    assertThatThrownBy(() -> store.copy(ANN, "INBOX", List.of(1L), "Missing", true).join())
        .satisfies(t -> assertThat(cause(t)).isInstanceOf(StoreException.class).hasMessageContaining("no such mailbox"));
    assertThat(store.messages(ANN, "INBOX")).hasSize(1);
  }

  @Test
  void move_withinSameMailbox_newUidsOldOnesGone() {
    store = TestStores.withUsers(dir, "ann");
    append("INBOX", "a", Set.of());
    append("INBOX", "b", Set.of());
    CopyResult r = store.copy(ANN, "INBOX", List.of(1L), "INBOX", true).join();
    assertThat(r.destinationUids()).containsExactly(3L);
    assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L, 3L);
    MailboxInfo inbox = store.mailbox(ANN, "INBOX").orElseThrow();
    assertThat(inbox.messageCount()).isEqualTo(2);
    assertThat(inbox.uidNext()).isEqualTo(4);
  }

  @Test
  void counters_exactAfterRestart() {
    store = TestStores.withUsers(dir, "ann");
    append("INBOX", "a", Set.of());
    append("INBOX", "b", Set.of());
    store.copy(ANN, "INBOX", List.of(1L, 2L), "Archive", false).join();
    store.copy(ANN, "Archive", List.of(1L), "Trash", true).join();
    store("INBOX", List.of(2L), Mode.ADD, -1, "\\Seen");
    store.expunge(ANN, "INBOX", List.of(1L)).join();
    List<MailboxInfo> before = store.mailboxes(ANN);
    long usage = store.usage(ANN);
    store.close();
    store = TestStores.open(dir);
    assertThat(store.mailboxes(ANN)).isEqualTo(before);
    assertThat(store.usage(ANN)).isEqualTo(usage);
    assertThat(append("INBOX", "c", Set.of()).uid()).isEqualTo(3);
  }

  // ---- load: several messages in one consistent read, verified like readMessage ----------------

  private byte[] appendForLoad(String subject, boolean withDerived) {
    byte[] m = TestStores.message(subject, 100);
    store.append(ANN, "INBOX", m, Set.of("\\Seen"), Instant.EPOCH, withDerived ? derived(subject) : null).join();
    return m;
  }

  @Test
  void load_readsWhatIsAsked_inRequestOrder_skippingUnknownUids() {
    store = TestStores.withUsers(dir, "ann");
    byte[] one = appendForLoad("one", true);
    byte[] two = appendForLoad("two", false);
    byte[] three = appendForLoad("three", true);

    List<LoadedMessage> all = store.load(ANN, "INBOX", List.of(3L, 99L, 1L, 2L),
        EnumSet.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED));
    assertThat(all).extracting(m -> m.meta().uid()).containsExactly(3L, 1L, 2L);
    assertThat(all.get(0).body()).isEqualTo(three);
    assertThat(all.get(1).body()).isEqualTo(one);
    assertThat(all.get(2).body()).isEqualTo(two);
    assertThat(all.get(0).derived().structure()).isEqualTo(derived("three").structure());
    assertThat(all.get(1).derived().searchText()).isEqualTo(derived("one").searchText());
    assertThat(all.get(2).derived()).as("stored without derived data").isNull();
    assertThat(all).allSatisfy(m -> {
      assertThat(m.problem()).isNull();
      assertThat(m.meta().flags()).containsExactly("\\Seen");
    });

    List<LoadedMessage> metaOnly = store.load(ANN, "INBOX", List.of(1L, 2L), LoadedMessage.META_ONLY);
    assertThat(metaOnly).extracting(m -> m.meta().uid()).containsExactly(1L, 2L);
    assertThat(metaOnly).allSatisfy(m -> {
      assertThat(m.body()).isNull();
      assertThat(m.derived()).isNull();
    });
    assertThat(store.load(ANN, "INBOX", List.of(1L), EnumSet.of(LoadedMessage.Part.DERIVED)).getFirst().body()).isNull();
  }

  @Test
  void load_unknownMailboxOrNoUids_isEmpty() {
    store = TestStores.withUsers(dir, "ann");
    appendForLoad("one", false);
    assertThat(store.load(ANN, "Nowhere", List.of(1L), EnumSet.of(LoadedMessage.Part.BODY))).isEmpty();
    assertThat(store.load(ANN, "INBOX", List.of(), EnumSet.of(LoadedMessage.Part.BODY))).isEmpty();
  }

  @Test
  void load_corruptBody_isReportedAndQuarantined_othersStillRead() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    byte[] good = appendForLoad("good", false);
    appendForLoad("bad", false);
    byte[] damaged = store.readMessage(ANN, "INBOX", 2).orElseThrow().clone();
    damaged[10] ^= 0x20;
    store.overwriteBodyForTest(ANN, "INBOX", 2, damaged);

    List<LoadedMessage> loaded = store.load(ANN, "INBOX", List.of(1L, 2L), EnumSet.of(LoadedMessage.Part.BODY));
    assertThat(loaded).hasSize(2);
    assertThat(loaded.get(0).body()).isEqualTo(good);
    assertThat(loaded.get(1).body()).isNull();
    assertThat(loaded.get(1).problem()).startsWith("crc32c");
    assertThat(store.stats().quarantined()).isEqualTo(1);
    assertThat(store.quarantinedMessages().getFirst().body()).isEqualTo(damaged);
    assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L);
  }
}
