package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hash index follows every change of the records it indexes, and is built for an older store. */
class HashIndexTest {
  static final String ANN = "ann@example.org";
  static final String BOB = "bob@example.org";
  static final String CAROL = "carol@example.org"; // fragments only: her profile is on another node
  static final List<String> DEFAULTS = List.of("Archive", "Drafts", "INBOX", "Junk", "Sent", "Trash");

  @TempDir Path dir;

  /** The index as "user" (profile) and "user/mailbox" strings, in index order. */
  private static List<String> index(RocksMailStore store) {
    return store.hashIndexForTest().stream()
        .map(e -> e.mailbox() == null ? e.user() : e.user() + "/" + e.mailbox()).toList();
  }

  /** What the index should hold, recomputed from the records through the public API. */
  private static List<String> expected(RocksMailStore store, List<String> users) {
    var out = new ArrayList<String>();
    for (String u : users) {
      if (store.user(u).isPresent()) {
        out.add(u);
      }
      store.mailboxes(u).forEach(b -> out.add(u + "/" + b.name()));
    }
    return out;
  }

  private static AssignedMessage assigned(String user, String mailbox, long uid) {
    return new AssignedMessage(user, mailbox, 777, uid, uid, TestStores.message("m" + uid, 100), Set.of(), Instant.EPOCH, null);
  }

  @Test
  void index_followsUsersAndMailboxesThroughEveryPath() {
    try (var store = TestStores.withUsers(dir, "ann", "bob")) {
      List<String> users = List.of(ANN, BOB, CAROL);
      assertThat(index(store)).containsExactlyInAnyOrderElementsOf(expected(store, users))
          .contains(ANN, ANN + "/INBOX", BOB + "/Trash").hasSize(2 * (1 + DEFAULTS.size()));

      store.createMailbox(ANN, "a/b", Set.of());
      assertThat(index(store)).contains(ANN + "/a", ANN + "/a/b");
      store.renameMailbox(ANN, "a", "c");
      assertThat(index(store)).contains(ANN + "/c", ANN + "/c/b").doesNotContain(ANN + "/a", ANN + "/a/b");
      store.deleteMailbox(ANN, "c/b");
      assertThat(index(store)).contains(ANN + "/c").doesNotContain(ANN + "/c/b");
      store.deliver(List.of(ANN), "INBOX", TestStores.message("x", 100), Instant.EPOCH).join();
      store.renameMailbox(ANN, "INBOX", "Old");
      assertThat(index(store)).contains(ANN + "/INBOX", ANN + "/Old");

      store.storeAssigned(assigned(CAROL, "INBOX", 5)).join(); // a fragment created by a delivery
      assertThat(index(store)).contains(CAROL + "/INBOX").doesNotContain(CAROL);
      assertThat(index(store)).containsExactlyInAnyOrderElementsOf(expected(store, users));

      assertThat(store.deleteUser(BOB)).isTrue();
      assertThat(index(store)).noneMatch(e -> e.startsWith(BOB));
      assertThat(store.deleteUser(CAROL)).as("fragments only are deleted too").isTrue();
      assertThat(index(store)).noneMatch(e -> e.startsWith(CAROL));
      assertThat(index(store)).containsExactlyInAnyOrderElementsOf(expected(store, users));
    }
  }

  @Test
  void index_isInUserHashOrder() {
    try (var store = TestStores.withUsers(dir, "ann", "bob", "dave", "erin")) {
      List<Long> hashes = store.hashIndexForTest().stream().map(HashIndex.Entry::hash).toList();
      assertThat(hashes).isSortedAccordingTo(Long::compareUnsigned);
      assertThat(store.hashIndexForTest()).allSatisfy(e -> assertThat(e.hash()).isEqualTo(UserHash.of(e.user())));
    }
  }

  @Test
  void olderStore_withoutIndex_getsItBuiltOnceAtOpen() {
    List<String> before;
    try (var store = TestStores.withUsers(dir, "ann", "bob")) {
      store.createMailbox(ANN, "Projects/Quill", Set.of());
      store.storeAssigned(assigned(CAROL, "Lists", 3)).join();
      before = index(store);
      store.dropHashIndexForTest();
      assertThat(index(store)).isEmpty();
      assertThat(store.fragments(0, 0)).isEmpty();
    }
    try (var store = TestStores.open(dir)) {
      assertThat(index(store)).isEqualTo(before).contains(CAROL + "/Lists", ANN + "/Projects/Quill");
      assertThat(store.fragments(0, 0)).extracting(UserFragments::user).containsExactlyInAnyOrder(ANN, BOB, CAROL);
    }
  }

  @Test
  void fragments_summariseProfilesAndMailboxesWithoutReadingMessages() {
    try (var store = TestStores.withUsers(dir, "ann")) {
      store.deliver(List.of(ANN), "INBOX", TestStores.message("a", 300), Instant.EPOCH).join();
      store.deliver(List.of(ANN), "INBOX", TestStores.message("b", 500), Instant.EPOCH).join();
      store.storeAssigned(new AssignedMessage(CAROL, "INBOX", 42, 17, 90, TestStores.message("c", 200),
          Set.of(), Instant.EPOCH, null)).join();
      MailboxInfo annInbox = store.mailbox(ANN, "INBOX").orElseThrow();

      List<UserFragments> all = store.fragments(0, 0);
      UserFragments ann = all.stream().filter(f -> f.user().equals(ANN)).findFirst().orElseThrow();
      assertThat(ann.hash()).isEqualTo(UserHash.of(ANN));
      assertThat(ann.holdsProfile()).isTrue();
      assertThat(ann.profileCreated()).isEqualTo(store.user(ANN).orElseThrow().created());
      assertThat(ann.fragments()).extracting(FragmentSummary::mailbox).containsExactlyElementsOf(DEFAULTS);
      assertThat(ann.fragments()).filteredOn(f -> f.mailbox().equals("INBOX")).singleElement().isEqualTo(
          new FragmentSummary("INBOX", annInbox.uidValidity(), 3, annInbox.highestModSeq(), 2, annInbox.totalBytes()));

      UserFragments carol = all.stream().filter(f -> f.user().equals(CAROL)).findFirst().orElseThrow();
      assertThat(carol.holdsProfile()).isFalse();
      assertThat(carol.fragments()).singleElement().satisfies(f -> {
        assertThat(f.uidValidity()).isEqualTo(42);
        assertThat(f.highestUid()).isEqualTo(17);
        assertThat(f.highestModSeq()).isEqualTo(90);
        assertThat(f.messageCount()).isEqualTo(1);
      });

      long h = UserHash.of(CAROL);
      assertThat(store.fragments(h, h + 1)).extracting(UserFragments::user).containsExactly(CAROL);
      assertThat(store.fragments(h + 1, h + 1)).isEmpty();
    }
  }
}
