package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** CREATE, DELETE, RENAME, LIST and subscriptions. */
class MailboxCatalogTest {
  static final String ANN = "ann@example.org";

  @TempDir Path dir;
  RocksMailStore store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private List<String> names() {
    return store.mailboxes(ANN).stream().map(MailboxInfo::name).toList();
  }

  private long deliver(String mailbox, String subject) {
    return store.deliver(List.of(ANN), mailbox, TestStores.message(subject, 100), Instant.EPOCH).join().getFirst().uid();
  }

  @Test
  void newUser_hasInboxAndSpecialUseMailboxes_allSubscribed() {
    store = TestStores.withUsers(dir, "ann");
    assertThat(names()).containsExactly("INBOX", "Archive", "Drafts", "Junk", "Sent", "Trash");
    assertThat(store.mailbox(ANN, "Sent").orElseThrow().specialUse()).containsExactly("\\Sent");
    assertThat(store.mailbox(ANN, "Junk").orElseThrow().specialUse()).containsExactly("\\Junk");
    assertThat(store.mailbox(ANN, "INBOX").orElseThrow().specialUse()).isEmpty();
    assertThat(store.mailboxes(ANN)).allMatch(MailboxInfo::subscribed);
    assertThat(store.subscriptions(ANN)).containsExactly("Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash");
    assertThat(store.mailboxes(ANN).stream().map(MailboxInfo::uidValidity).distinct()).hasSize(6);
  }

  @Test
  void mailboxes_unknownUser_empty() {
    store = TestStores.withUsers(dir, "ann");
    assertThat(store.mailboxes("ghost@example.org")).isEmpty();
  }

  @Test
  void create_nested_createsSuperiors() {
    store = TestStores.withUsers(dir, "ann");
    MailboxInfo c = store.createMailbox(ANN, "a/b/c", Set.of());
    assertThat(c.name()).isEqualTo("a/b/c");
    assertThat(c.uidNext()).isEqualTo(1);
    assertThat(names()).contains("a", "a/b", "a/b/c");
    store.createMailbox(ANN, "a/x", Set.of("\\Flagged"));
    assertThat(store.mailbox(ANN, "a/x").orElseThrow().specialUse()).containsExactly("\\Flagged");
  }

  @Test
  void create_existingOrInboxInAnyCase_refused() {
    store = TestStores.withUsers(dir, "ann");
    store.createMailbox(ANN, "Work", Set.of());
    assertThatThrownBy(() -> store.createMailbox(ANN, "Work", Set.of())).isInstanceOf(StoreException.class)
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> store.createMailbox(ANN, "iNbOx", Set.of())).isInstanceOf(StoreException.class)
        .hasMessageContaining("already exists");
    store.createMailbox(ANN, "work", Set.of()); // other names are case-sensitive
    assertThat(names()).contains("Work", "work");
  }

  @Test
  void create_inboxInferiorInAnyCase_storedUnderInbox() {
    store = TestStores.withUsers(dir, "ann");
    store.createMailbox(ANN, "inbox/Lists", Set.of());
    assertThat(names()).contains("INBOX/Lists");
    assertThat(store.mailbox(ANN, "Inbox/Lists")).isPresent();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "/a", "a/", "a//b", "a*", "a%b", "tab\there", "nul\u0000", "del\u007f"})
  void create_invalidName_refused(String name) {
    store = TestStores.withUsers(dir, "ann");
    assertThatThrownBy(() -> store.createMailbox(ANN, name, Set.of()))
        .isInstanceOf(StoreException.class).hasMessageContaining("invalid mailbox name");
  }

  @Test
  void create_tooLongOrUnknownUser_refused() {
    store = TestStores.withUsers(dir, "ann");
    assertThatThrownBy(() -> store.createMailbox(ANN, "é".repeat(128), Set.of()))
        .isInstanceOf(StoreException.class).hasMessageContaining("256 octets long, the maximum is 255");
    assertThat(store.createMailbox(ANN, "Ünïcödé ✓", Set.of()).name()).isEqualTo("Ünïcödé ✓");
    assertThatThrownBy(() -> store.createMailbox("ghost@example.org", "x", Set.of()))
        .isInstanceOf(StoreException.class).hasMessageContaining("unknown user");
  }

  @Test
  void delete_inbox_refusedWhereTheProfileIs_butAFragmentOnlyUsersInboxGoes() {
    store = TestStores.withUsers(dir, "ann");
    assertThatThrownBy(() -> store.deleteMailbox(ANN, "inbox")).isInstanceOf(StoreException.class)
        .hasMessageContaining("INBOX cannot be deleted");
    // A cluster holder of another user's INBOX (no profile here): deleting the user deletes it here too.
    String carol = "carol@example.org";
    store.addDomain("example.org");
    store.storeAssigned(new AssignedMessage(carol, "INBOX", 7, 1, 1, TestStores.message("m", 40), Set.of(), null,
        null)).join();
    assertThat(store.deleteMailbox(carol, "INBOX")).isTrue();
    assertThat(store.mailbox(carol, "INBOX")).isEmpty();
    assertThat(store.mailbox(ANN, "INBOX")).isPresent();
  }

  @Test
  void delete_removesMessagesKeepsInferiorsAndUsage() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    store.createMailbox(ANN, "a/b", Set.of());
    deliver("a", "one");
    long inferior = deliver("a/b", "two");
    long kept = store.usage(ANN);
    long inA = store.mailbox(ANN, "a").orElseThrow().totalBytes();

    assertThat(store.deleteMailbox(ANN, "a")).isTrue();
    assertThat(store.deleteMailbox(ANN, "a")).isFalse();
    assertThat(names()).doesNotContain("a").contains("a/b");
    assertThat(store.readMessage(ANN, "a/b", inferior)).isPresent();
    assertThat(store.usage(ANN)).isEqualTo(kept - inA);

    MailboxInfo again = store.createMailbox(ANN, "a", Set.of());
    assertThat(again.messageCount()).isZero();
    assertThat(store.messages(ANN, "a")).isEmpty();
    assertThat(store.readMessage(ANN, "a", 1)).isEmpty();
  }

  @Test
  void delete_thenRecreate_newUidValidity() {
    store = TestStores.withUsers(dir, "ann");
    long before = store.createMailbox(ANN, "x", Set.of()).uidValidity();
    store.deleteMailbox(ANN, "x");
    assertThat(store.createMailbox(ANN, "x", Set.of()).uidValidity()).isGreaterThan(before);
  }

  @Test
  void rename_movesInferiorsWithMessagesAndSubscriptions() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    store.createMailbox(ANN, "a/b/c", Set.of());
    store.setSubscribed(ANN, "a/b", true);
    long uid = deliver("a/b", "kept");
    MailboxInfo before = store.mailbox(ANN, "a/b").orElseThrow();

    store.renameMailbox(ANN, "a", "x/y");

    assertThat(names()).doesNotContain("a", "a/b", "a/b/c").contains("x", "x/y", "x/y/b", "x/y/b/c");
    MailboxInfo after = store.mailbox(ANN, "x/y/b").orElseThrow();
    assertThat(after.id()).isEqualTo(before.id());
    assertThat(after.uidValidity()).isEqualTo(before.uidValidity());
    assertThat(after.messageCount()).isEqualTo(1);
    assertThat(after.subscribed()).isTrue();
    assertThat(store.subscriptions(ANN)).contains("x/y/b").doesNotContain("a/b");
    assertThat(store.readMessage(ANN, "x/y/b", uid)).isPresent();
    // the renamed mailbox keeps taking mail under its new name
    assertThat(deliver("x/y/b", "more")).isEqualTo(uid + 1);
  }

  @Test
  void rename_conflictsAndBelowItself_refused() {
    store = TestStores.withUsers(dir, "ann");
    store.createMailbox(ANN, "a/b", Set.of());
    store.createMailbox(ANN, "t/b", Set.of());
    store.deleteMailbox(ANN, "t"); // t/b remains
    assertThatThrownBy(() -> store.renameMailbox(ANN, "a", "Sent")).isInstanceOf(StoreException.class)
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> store.renameMailbox(ANN, "a", "t")).isInstanceOf(StoreException.class)
        .hasMessageContaining("t/b already exists");
    assertThatThrownBy(() -> store.renameMailbox(ANN, "a", "a/b/c")).isInstanceOf(StoreException.class)
        .hasMessageContaining("below itself");
    assertThatThrownBy(() -> store.renameMailbox(ANN, "nope", "z")).isInstanceOf(StoreException.class)
        .hasMessageContaining("no such mailbox");
    assertThat(names()).contains("a", "a/b", "t/b").doesNotContain("t");
  }

  @Test
  void renameInbox_movesMessagesToNewMailbox_inboxStaysEmpty() throws Exception {
    store = TestStores.withUsers(dir, "ann");
    store.createMailbox(ANN, "INBOX/keep", Set.of());
    deliver("INBOX", "one");
    deliver("INBOX", "two");
    deliver("INBOX", "three");
    store.expunge(ANN, "INBOX", List.of(2L)).join();
    store.updateFlags(ANN, "INBOX", List.of(3L), new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Seen"), -1)).join();
    MailboxInfo inboxBefore = store.mailbox(ANN, "INBOX").orElseThrow();

    store.renameMailbox(ANN, "INBOX", "Old");

    MailboxInfo old = store.mailbox(ANN, "Old").orElseThrow();
    assertThat(old.uidValidity()).isNotEqualTo(inboxBefore.uidValidity());
    assertThat(old.messageCount()).isEqualTo(2);
    assertThat(store.messages(ANN, "Old")).extracting(MessageMeta::uid).containsExactly(1L, 2L);
    assertThat(store.messages(ANN, "Old").get(1).flags()).containsExactly("\\Seen");
    assertThat(new String(store.readMessage(ANN, "Old", 2).orElseThrow())).contains("Subject: three");
    MailboxInfo inbox = store.mailbox(ANN, "INBOX").orElseThrow();
    assertThat(inbox.messageCount()).isZero();
    assertThat(inbox.totalBytes()).isZero();
    assertThat(inbox.uidValidity()).isEqualTo(inboxBefore.uidValidity());
    assertThat(inbox.uidNext()).isEqualTo(inboxBefore.uidNext());
    assertThat(store.messages(ANN, "INBOX")).isEmpty();
    assertThat(names()).contains("INBOX/keep");
    assertThat(store.expungedSince(ANN, "INBOX", inboxBefore.highestModSeq())).containsExactly(1L, 3L);
    assertThat(deliver("INBOX", "four")).isEqualTo(4);
  }

  @Test
  void subscriptions_mayNameMissingMailboxes_andSurviveDelete() {
    store = TestStores.withUsers(dir, "ann");
    store.setSubscribed(ANN, "future/box", true);
    assertThat(store.subscriptions(ANN)).contains("future/box");
    assertThat(store.createMailbox(ANN, "future/box", Set.of()).subscribed()).isTrue();
    assertThat(store.mailbox(ANN, "future").orElseThrow().subscribed()).isFalse();

    store.deleteMailbox(ANN, "future/box");
    assertThat(store.subscriptions(ANN)).contains("future/box");

    store.setSubscribed(ANN, "Sent", false);
    assertThat(store.mailbox(ANN, "Sent").orElseThrow().subscribed()).isFalse();
    assertThat(store.subscriptions(ANN)).doesNotContain("Sent");
    store.setSubscribed(ANN, "inbox", false);
    assertThat(store.subscriptions(ANN)).doesNotContain("INBOX");
  }

  @Test
  void catalog_survivesRestart() {
    store = TestStores.withUsers(dir, "ann");
    store.createMailbox(ANN, "Work/2026", Set.of("\\Important"));
    store.setSubscribed(ANN, "Trash", false);
    store.renameMailbox(ANN, "Work", "Job");
    List<MailboxInfo> before = store.mailboxes(ANN);
    store.close();
    store = TestStores.open(dir);
    assertThat(store.mailboxes(ANN)).isEqualTo(before);
    assertThat(store.subscriptions(ANN)).doesNotContain("Trash");
    MailboxInfo fresh = store.createMailbox(ANN, "Another", Set.of());
    assertThat(before).allMatch(b -> b.id() != fresh.id() && b.uidValidity() != fresh.uidValidity());
  }

  @Test
  void deleteUser_removesSubscriptionsAndMailboxes() {
    store = TestStores.withUsers(dir, "ann");
    store.createMailbox(ANN, "Work", Set.of());
    store.setSubscribed(ANN, "ghost", true);
    store.deleteUser(ANN);
    store.addUser(ANN, "pw".toCharArray());
    assertThat(names()).doesNotContain("Work");
    assertThat(store.subscriptions(ANN)).doesNotContain("ghost");
  }

  @Test
  void version1MailboxRecords_upgradedAtOpen_subscribed() {
    store = TestStores.withUsers(dir, "ann");
    store.setSubscribed(ANN, "INBOX", false);
    MailboxInfo inbox = store.mailbox(ANN, "INBOX").orElseThrow();
    store.putMailboxRecordForTest(ANN, "INBOX", RecordCodec.encodeMailboxV1(inbox));
    store.close();
    store = TestStores.open(dir);
    assertThat(store.mailbox(ANN, "INBOX").orElseThrow().subscribed()).isTrue();
    assertThat(store.subscriptions(ANN)).contains("INBOX");
    assertThat(store.mailbox(ANN, "INBOX").orElseThrow().uidValidity()).isEqualTo(inbox.uidValidity());
  }
}
