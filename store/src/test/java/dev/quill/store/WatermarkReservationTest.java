package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Managers' UID and MODSEQ reservations on the profile node ({@link MailStore#reserveWatermarks}). */
class WatermarkReservationTest {
  static final String ANN = "ann@example.org"; // profile here
  static final String CAROL = "carol@example.org"; // fragments only
  static final long UIDVALIDITY = 1_700_000_000L;

  @TempDir Path dir;

  /** The fragment as {@link MailStore#fragments} reports it to managers. */
  private static FragmentSummary reported(MailStore store, String user, String mailbox) {
    return store.fragments(0, 0).stream().filter(u -> u.user().equals(user)).flatMap(u -> u.fragments().stream())
        .filter(f -> f.mailbox().equals(mailbox)).findFirst().orElseThrow();
  }

  private static long inbox(MailStore store) {
    return store.mailbox(ANN, "INBOX").orElseThrow().uidValidity();
  }

  private static void store(MailStore store, String user, String box, long uidValidity, long uid, long modSeq) {
    store.storeAssigned(new AssignedMessage(user, box, uidValidity, uid, modSeq, TestStores.message("m" + uid, 50),
        Set.of(), Instant.EPOCH, null)).join();
  }

  @Test
  void reservation_isReportedToManagers_butNotShownToClients() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long uv = inbox(store);
      store(store, ANN, "INBOX", uv, 3, 3);
      MailboxInfo before = store.mailbox(ANN, "INBOX").orElseThrow();

      store.reserveWatermarks(ANN, "INBOX", uv, 1_003, 10_003).join();

      assertThat(store.mailbox(ANN, "INBOX")).contains(before);
      assertThat(store.mailboxes(ANN)).filteredOn(b -> b.name().equals("INBOX")).containsExactly(before);
      FragmentSummary f = reported(store, ANN, "INBOX");
      assertThat(f.highestUid()).isEqualTo(1_003);
      assertThat(f.highestModSeq()).isEqualTo(10_003);
      assertThat(f.messageCount()).isEqualTo(1);
      // Messages stored above the reservation count as they are: the report is the higher of the two.
      store(store, ANN, "INBOX", uv, 2_000, 20_000);
      assertThat(reported(store, ANN, "INBOX")).extracting(FragmentSummary::highestUid, FragmentSummary::highestModSeq)
          .containsExactly(2_000L, 20_000L);
    }
  }

  @Test
  void reservation_onlyRises_eachNumberOnItsOwn() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long uv = inbox(store);
      store.reserveWatermarks(ANN, "INBOX", uv, 100, 1_000).join();
      store.reserveWatermarks(ANN, "INBOX", uv, 50, 5_000).join();
      assertThat(reported(store, ANN, "INBOX")).extracting(FragmentSummary::highestUid, FragmentSummary::highestModSeq)
          .containsExactly(100L, 5_000L);
      store.reserveWatermarks(ANN, "INBOX", uv, 10, 10).join();
      assertThat(reported(store, ANN, "INBOX")).extracting(FragmentSummary::highestUid, FragmentSummary::highestModSeq)
          .containsExactly(100L, 5_000L);
    }
  }

  @Test
  void reservation_survivesARestart() {
    long uv;
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      uv = inbox(store);
      store.reserveWatermarks(ANN, "INBOX", uv, 1_000, 10_000).join();
    }
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(reported(store, ANN, "INBOX")).extracting(FragmentSummary::highestUid, FragmentSummary::highestModSeq)
          .containsExactly(1_000L, 10_000L);
      // Still only rising after the reload.
      store.reserveWatermarks(ANN, "INBOX", uv, 999, 10_001).join();
      assertThat(reported(store, ANN, "INBOX")).extracting(FragmentSummary::highestUid, FragmentSummary::highestModSeq)
          .containsExactly(1_000L, 10_001L);
    }
  }

  /**
   * The holder record (which nodes may hold messages of the mailbox) goes with the reservation: absent
   * until a manager records one, then only growing, in the same synced write as the numbers, and kept
   * over a restart and a rename; a mailbox created again starts without one.
   */
  @Test
  void holders_accumulate_withTheReservation_andSurviveARestartAndARename() {
    long uv;
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      uv = inbox(store);
      assertThat(reported(store, ANN, "INBOX").holders()).as("none recorded yet").isEmpty();
      store.reserveWatermarks(ANN, "INBOX", uv, 1_000, 10_000, Optional.of(Set.of("b", "a"))).join();
      assertThat(reported(store, ANN, "INBOX").holders()).contains(Set.of("a", "b"));
      // Lower numbers change nothing, a new holder is still added; no holders given keeps the record.
      store.reserveWatermarks(ANN, "INBOX", uv, 10, 10, Optional.of(Set.of("c"))).join();
      store.reserveWatermarks(ANN, "INBOX", uv, 2_000, 20_000).join();
      FragmentSummary f = reported(store, ANN, "INBOX");
      assertThat(f.holders()).contains(Set.of("a", "b", "c"));
      assertThat(f.highestUid()).isEqualTo(2_000);
      assertThat(TestStores.failure(store.reserveWatermarks(ANN, "INBOX", uv, 1, 1, Optional.of(Set.of("")))))
          .isInstanceOf(StoreException.class).hasMessageContaining("node name");
    }
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(reported(store, ANN, "INBOX").holders()).as("after a restart").contains(Set.of("a", "b", "c"));
      MailboxInfo work = store.createMailbox(ANN, "Work", Set.of());
      store.reserveWatermarks(ANN, "Work", work.uidValidity(), 1, 1, Optional.of(Set.of("d"))).join();
      store.renameMailbox(ANN, "Work", "Old");
      assertThat(reported(store, ANN, "Old").holders()).contains(Set.of("d"));
      assertThat(store.deleteMailbox(ANN, "Old")).isTrue();
      store.createMailbox(ANN, "Old", Set.of());
      assertThat(reported(store, ANN, "Old").holders()).as("created again").isEmpty();
    }
  }

  @Test
  void absentFragment_isCreatedWithTheGivenUidValidity_whenTheProfileIsHere() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      store.reserveWatermarks(ANN, "Lists/quill", 4242, 1_000, 10_000).join();
      MailboxInfo box = store.mailbox(ANN, "Lists/quill").orElseThrow();
      assertThat(box.uidValidity()).isEqualTo(4242);
      assertThat(box.uidNext()).isEqualTo(1);
      assertThat(box.messageCount()).isZero();
      assertThat(store.mailbox(ANN, "Lists")).as("no superiors, as for storeAssigned").isEmpty();
      assertThat(reported(store, ANN, "Lists/quill")).isEqualTo(new FragmentSummary("Lists/quill", 4242, 1_001, 10_000, 0, 0));
    }
  }

  /**
   * A node without the user's profile keeps a reservation too: managers write each one to a majority of
   * the members, profile nodes first and others after, and every later rebuild hears those members.
   */
  @Test
  void withoutTheProfile_theReservationIsKept_andReported_inAFragmentOfItsOwnWhenThereIsNone() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      store(store, CAROL, "INBOX", UIDVALIDITY, 1, 1);
      store.reserveWatermarks(CAROL, "INBOX", UIDVALIDITY, 100, 200, Optional.of(Set.of("a"))).join();
      FragmentSummary held = reported(store, CAROL, "INBOX");
      assertThat(held).extracting(FragmentSummary::highestUid, FragmentSummary::highestModSeq).containsExactly(100L, 200L);
      assertThat(held.holders()).contains(Set.of("a"));
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().uidNext()).as("clients see the message only").isEqualTo(2);
      store.reserveWatermarks("nobody@example.org", "Work", UIDVALIDITY, 100, 100).join();
      assertThat(reported(store, "nobody@example.org", "Work")).extracting(FragmentSummary::uidValidity,
          FragmentSummary::highestUid, FragmentSummary::messageCount).containsExactly(UIDVALIDITY, 100L, 0);
    }
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(reported(store, CAROL, "INBOX").highestUid()).as("after a restart").isEqualTo(100);
      assertThat(reported(store, "nobody@example.org", "Work").highestUid()).isEqualTo(100);
    }
  }

  @Test
  void refused_withAnotherUidValidity_andOutOfRange() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long uv = inbox(store);
      assertThat(TestStores.failure(store.reserveWatermarks(ANN, "INBOX", uv + 1, 100, 100)))
          .isInstanceOf(StoreException.class).hasMessageContaining("UIDVALIDITY " + (uv + 1) + " given");
      assertThat(TestStores.failure(store.reserveWatermarks(ANN, "INBOX", uv, 0x1_0000_0000L, 100)))
          .isInstanceOf(StoreException.class).hasMessageContaining("out of range");
      assertThat(TestStores.failure(store.reserveWatermarks(ANN, "INBOX", uv, 1, -1))).isInstanceOf(StoreException.class);
      assertThat(TestStores.failure(store.reserveWatermarks(ANN, "bad*name", uv, 1, 1))).isInstanceOf(StoreException.class);
      assertThat(reported(store, ANN, "INBOX").highestUid()).as("nothing reserved by the refused calls").isZero();
    }
  }

  @Test
  void deleteMailbox_dropsIt_andAMailboxCreatedAgainStartsWithout() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      MailboxInfo work = store.createMailbox(ANN, "Work", Set.of());
      store.reserveWatermarks(ANN, "Work", work.uidValidity(), 1_000, 10_000).join();
      assertThat(store.deleteMailbox(ANN, "Work")).isTrue();
      MailboxInfo again = store.createMailbox(ANN, "Work", Set.of());
      assertThat(again.uidValidity()).isNotEqualTo(work.uidValidity());
      assertThat(reported(store, ANN, "Work")).isEqualTo(
          new FragmentSummary("Work", again.uidValidity(), 1, again.highestModSeq(), 0, 0));
    }
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(reported(store, ANN, "Work").highestUid()).as("after a restart too").isZero();
    }
  }

  @Test
  void renameMailbox_movesIt_withItsInferiors() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      MailboxInfo work = store.createMailbox(ANN, "Work", Set.of());
      MailboxInfo sub = store.createMailbox(ANN, "Work/Sub", Set.of());
      store.reserveWatermarks(ANN, "Work", work.uidValidity(), 1_000, 10_000).join();
      store.reserveWatermarks(ANN, "Work/Sub", sub.uidValidity(), 2_000, 20_000).join();
      store.renameMailbox(ANN, "Work", "Old/Work");
      assertThat(reported(store, ANN, "Old/Work")).extracting(FragmentSummary::highestUid, FragmentSummary::highestModSeq)
          .containsExactly(1_000L, 10_000L);
      assertThat(reported(store, ANN, "Old/Work/Sub")).extracting(FragmentSummary::highestUid,
          FragmentSummary::highestModSeq).containsExactly(2_000L, 20_000L);
      assertThat(reported(store, ANN, "Old").highestUid()).isZero();
      // A new mailbox under the old name has its own (none).
      store.createMailbox(ANN, "Work", Set.of());
      assertThat(reported(store, ANN, "Work").highestUid()).isZero();
    }
  }

  @Test
  void renameInbox_leavesTheReservationWithInbox() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long uv = inbox(store);
      store(store, ANN, "INBOX", uv, 5, 5);
      store.reserveWatermarks(ANN, "INBOX", uv, 1_000, 10_000).join();
      store.renameMailbox(ANN, "INBOX", "Moved");
      assertThat(reported(store, ANN, "INBOX")).extracting(FragmentSummary::uidValidity, FragmentSummary::highestUid,
          FragmentSummary::highestModSeq).containsExactly(uv, 1_000L, 10_000L);
      FragmentSummary moved = reported(store, ANN, "Moved");
      assertThat(moved.highestUid()).as("the moved messages' new UIDs, nothing reserved").isEqualTo(1);
      assertThat(moved.highestModSeq()).isLessThan(10_000);
    }
  }

  @Test
  void deleteUser_dropsReservations_andTheUserAddedAgainStartsWithout() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      store.reserveWatermarks(ANN, "INBOX", inbox(store), 1_000, 10_000).join();
      assertThat(store.deleteUser(ANN)).isTrue();
      store.addUser(ANN, "secret".toCharArray());
      assertThat(reported(store, ANN, "INBOX").highestUid()).isZero();
      assertThat(store.fragments(0, 0)).flatExtracting(UserFragments::fragments)
          .extracting(FragmentSummary::highestModSeq).allMatch(m -> m < 10_000);
    }
  }

  @Test
  void queuedReservations_endAtTheHighest() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long uv = inbox(store);
      List<CompletableFuture<Void>> calls = new java.util.ArrayList<>();
      for (int i = 1; i <= 50; i++) {
        calls.add(store.reserveWatermarks(ANN, "INBOX", uv, i * 10L, 1_000L - i));
      }
      calls.forEach(CompletableFuture::join);
      assertThat(reported(store, ANN, "INBOX")).extracting(FragmentSummary::highestUid, FragmentSummary::highestModSeq)
          .containsExactly(500L, 999L);
    }
  }
}
