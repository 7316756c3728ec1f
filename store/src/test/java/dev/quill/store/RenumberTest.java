package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A fragment's messages given new UIDs under another UIDVALIDITY ({@link MailStore#renumber}). */
class RenumberTest {
  static final String ANN = "ann@example.org"; // profile here
  static final String CAROL = "carol@example.org"; // fragments only
  static final long OLD = 1_600_000_000L;
  static final long NEW = 1_700_000_000L;

  @TempDir Path dir;

  private static void store(MailStore store, String user, long uidValidity, long uid, Set<String> flags) {
    store.storeAssigned(new AssignedMessage(user, "INBOX", uidValidity, uid, uid, TestStores.message("m" + uid, 60),
        flags, Instant.ofEpochSecond(1_000 + uid), null)).join();
  }

  private static String subject(MailStore store, String user, long uid) throws CorruptMessageException {
    return new String(store.readMessage(user, "INBOX", uid).orElseThrow(), StandardCharsets.US_ASCII).lines()
        .filter(l -> l.startsWith("Subject: ")).findFirst().orElseThrow();
  }

  private static FragmentRenumbering order(String user, long from, long to, List<Long> oldUids, long first,
      long modSeq, Optional<FragmentRenumbering.Reservation> reservation) {
    return new FragmentRenumbering(user, "INBOX", from, to, oldUids, first, modSeq, reservation);
  }

  @Test
  void renumbering_movesEveryMessage_toItsNewUid_withItsBytesFlagsAndDate() throws Exception {
    try (RocksMailStore store = TestStores.withUsers(dir)) {
      store.addDomain("example.org");
      for (long uid : List.of(2L, 5L, 9L)) {
        store(store, CAROL, OLD, uid, uid == 5 ? Set.of("\\Seen") : Set.of());
      }
      store.expunge(CAROL, "INBOX", List.of(9L), 10).join();
      assertThat(store.expungedSince(CAROL, "INBOX", 0)).containsExactly(9L);
      String two = subject(store, CAROL, 2);
      String five = subject(store, CAROL, 5);
      BlockingQueue<MailboxEvent> seen = new LinkedBlockingQueue<>();
      MailboxEvent appended;
      try (MailboxWatch watch = store.watch(CAROL, seen::add)) {
        // The order lists UID 7 (a copy elsewhere) and 9 (expunged here): 2 becomes 10 and 5 becomes 11.
        store.renumber(order(CAROL, OLD, NEW, List.of(2L, 5L, 7L, 9L), 10, 40, Optional.empty())).join();
        appended = seen.poll(10, TimeUnit.SECONDS);
      }
      assertThat(appended).isNotNull();
      assertThat(appended.kind()).isEqualTo(MailboxEvent.Kind.APPENDED);
      assertThat(appended.uids()).containsExactly(10L, 11L);

      MailboxInfo box = store.mailbox(CAROL, "INBOX").orElseThrow();
      assertThat(box.uidValidity()).isEqualTo(NEW);
      assertThat(box.uidNext()).isEqualTo(14);
      assertThat(box.highestModSeq()).isEqualTo(40);
      assertThat(box.messageCount()).isEqualTo(2);
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(10L, 11L);
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::modSeq).containsOnly(40L);
      assertThat(store.messages(CAROL, "INBOX").get(1).flags()).containsExactly("\\Seen");
      assertThat(store.messages(CAROL, "INBOX").get(0).internalDate()).isEqualTo(Instant.ofEpochSecond(1_002));
      assertThat(subject(store, CAROL, 10)).isEqualTo(two);
      assertThat(subject(store, CAROL, 11)).isEqualTo(five);
      assertThat(store.readMessage(CAROL, "INBOX", 2)).isEmpty();
      // The old UIDs' expunges mean nothing under the new UIDVALIDITY.
      assertThat(store.expungedSince(CAROL, "INBOX", 0)).isEmpty();
      // New messages go on above the renumbered ones, under the new UIDVALIDITY only.
      store(store, CAROL, NEW, 14, Set.of());
      assertThat(TestStores.failure(store.storeAssigned(new AssignedMessage(CAROL, "INBOX", OLD, 15, 41,
          TestStores.message("late", 10), Set.of(), Instant.EPOCH, null)))).isInstanceOf(StoreException.class);
    }
    // Durable: the same after reopening.
    try (RocksMailStore store = TestStores.open(dir)) {
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().uidValidity()).isEqualTo(NEW);
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(10L, 11L, 14L);
    }
  }

  @Test
  void anExpungeTakenUnderTheOldUidValidity_isRefusedAfterTheRenumbering_andRemovesNothing() throws Exception {
    try (RocksMailStore store = TestStores.withUsers(dir)) {
      store.addDomain("example.org");
      for (long uid : List.of(1L, 2L, 3L)) {
        store(store, CAROL, OLD, uid, Set.of());
      }
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().uidValidity()).isEqualTo(OLD);
      // A session took UIDs 1 and 2 under OLD; the mailbox is renumbered before its expunge arrives:
      // 1, 2, 3 become 1, 2, 3 again, other messages under the same numbers as far as the session knows.
      store.renumber(order(CAROL, OLD, NEW, List.of(1L, 2L, 3L), 1, 20, Optional.empty())).join();
      assertThat(TestStores.failure(store.expungeUnder(CAROL, "INBOX", OLD, List.of(1L, 2L))))
          .isInstanceOf(UidValidityChangedException.class).hasMessageContaining("has UIDVALIDITY " + NEW);
      assertThat(TestStores.failure(store.expunge(CAROL, "INBOX", List.of(1L), 30, OLD)))
          .as("the same check under a manager's MODSEQ").isInstanceOf(UidValidityChangedException.class);
      FlagUpdate deleted = new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Deleted"), -1);
      assertThat(TestStores.failure(store.updateFlagsUnder(CAROL, "INBOX", OLD, List.of(3L), deleted)))
          .as("a STORE taken under OLD").isInstanceOf(UidValidityChangedException.class);
      assertThat(TestStores.failure(store.updateFlags(CAROL, "INBOX", List.of(3L), deleted, 30, OLD)))
          .isInstanceOf(UidValidityChangedException.class);
      assertThat(store.messages(CAROL, "INBOX")).allSatisfy(m -> assertThat(m.flags()).isEmpty());
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).as("nothing removed")
          .containsExactly(1L, 2L, 3L);
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().highestModSeq()).as("nor a MODSEQ used").isEqualTo(20);

      assertThat(store.updateFlagsUnder(CAROL, "INBOX", NEW, List.of(3L), deleted).join().updated())
          .extracting(MessageMeta::uid).containsExactly(3L);
      store.expungeUnder(CAROL, "INBOX", NEW, List.of(1L)).join();
      store.expunge(CAROL, "INBOX", List.of(2L), 30, NEW).join();
      store.expunge(CAROL, "INBOX", List.of(99L), 31, 0).join(); // 0: nothing checked
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(3L);
      assertThatThrownBy(() -> store.expungeUnder(CAROL, "INBOX", 0, List.of(3L)))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void readsAndCopiesTakenUnderTheOldUidValidity_areRefusedAfterTheRenumbering() throws Exception {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long old = store.mailbox(ANN, "INBOX").orElseThrow().uidValidity();
      for (int i = 1; i <= 3; i++) {
        store.deliver(List.of(ANN), "INBOX", TestStores.message("m" + i, 60), Instant.ofEpochSecond(1_000 + i)).join();
      }
      assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L, 2L, 3L);
      store.createMailbox(ANN, "Projects", Set.of());
      Set<LoadedMessage.Part> body = Set.of(LoadedMessage.Part.BODY);
      assertThat(store.loadUnder(ANN, "INBOX", old, List.of(2L), body)).singleElement()
          .satisfies(m -> assertThat(new String(m.body(), StandardCharsets.US_ASCII)).contains("Subject: m2"));
      // 1, 2, 3 become 2, 3, 4: under the session's old numbering UID 2 would now read m1's bytes.
      long now = old + 1;
      store.renumber(new FragmentRenumbering(ANN, "INBOX", old, now, List.of(1L, 2L, 3L), 2, 20,
          Optional.empty())).join();
      assertThat(subject(store, ANN, 2)).isEqualTo("Subject: m1");
      assertThatThrownBy(() -> store.loadUnder(ANN, "INBOX", old, List.of(2L), body))
          .isInstanceOf(UidValidityChangedException.class).hasMessageContaining("has UIDVALIDITY " + now);
      assertThatThrownBy(() -> store.loadUnder(ANN, "INBOX", old, List.of(), Set.of()))
          .as("metadata only, or nothing at all, is refused the same").isInstanceOf(UidValidityChangedException.class);
      assertThat(TestStores.failure(store.copyUnder(ANN, "INBOX", old, List.of(2L), "Projects", false)))
          .isInstanceOf(UidValidityChangedException.class);
      assertThat(TestStores.failure(store.copyUnder(ANN, "INBOX", old, List.of(2L), "Projects", true)))
          .isInstanceOf(UidValidityChangedException.class);
      assertThat(store.messages(ANN, "Projects")).as("nothing copied").isEmpty();
      assertThat(store.messages(ANN, "INBOX")).as("nothing moved away").hasSize(3);

      // Under the new UIDVALIDITY, the same calls read and move the messages they name now.
      assertThat(store.loadUnder(ANN, "INBOX", now, List.of(2L), body)).singleElement()
          .satisfies(m -> assertThat(new String(m.body(), StandardCharsets.US_ASCII)).contains("Subject: m1"));
      CopyResult moved = store.copyUnder(ANN, "INBOX", now, List.of(2L), "Projects", true).join();
      assertThat(moved.sourceUids()).containsExactly(2L);
      assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(3L, 4L);
      assertThat(store.loadUnder(ANN, "Nowhere", now, List.of(1L), body)).as("no such mailbox: nothing").isEmpty();
      assertThatThrownBy(() -> store.loadUnder(ANN, "INBOX", 0, List.of(1L), body))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void newUidsOverlappingOldOnes_keepEveryMessage() throws Exception {
    try (RocksMailStore store = TestStores.withUsers(dir)) {
      store.addDomain("example.org");
      for (long uid = 1; uid <= 4; uid++) {
        store(store, CAROL, OLD, uid, Set.of());
      }
      List<String> subjects = new ArrayList<>();
      for (long uid = 1; uid <= 4; uid++) {
        subjects.add(subject(store, CAROL, uid));
      }
      store.renumber(order(CAROL, OLD, NEW, List.of(1L, 2L, 3L, 4L), 3, 5, Optional.empty())).join();
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(3L, 4L, 5L, 6L);
      for (int i = 0; i < 4; i++) {
        assertThat(subject(store, CAROL, 3 + i)).isEqualTo(subjects.get(i));
      }
    }
  }

  @Test
  void aRepeatedOrder_changesNothing_andOtherUidValidities_orUnlistedMessages_areRefused() {
    try (RocksMailStore store = TestStores.withUsers(dir)) {
      store.addDomain("example.org");
      store(store, CAROL, OLD, 1, Set.of());
      store(store, CAROL, OLD, 2, Set.of());

      // UID 2 is not in the order: the fragment changed since the manager listed it.
      Throwable unlisted = TestStores.failure(store.renumber(order(CAROL, OLD, NEW, List.of(1L), 1, 3, Optional.empty())));
      assertThat(unlisted).isInstanceOf(StoreException.class).hasMessageContaining("UID 2");
      Throwable third = TestStores.failure(store.renumber(order(CAROL, OLD + 1, NEW, List.of(1L, 2L), 1, 3, Optional.empty())));
      assertThat(third).isInstanceOf(StoreException.class).hasMessageContaining("has UIDVALIDITY " + OLD);
      assertThat(store.mailbox(CAROL, "INBOX").orElseThrow().uidValidity()).isEqualTo(OLD);
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L, 2L);

      store.renumber(order(CAROL, OLD, NEW, List.of(1L, 2L), 5, 3, Optional.empty())).join();
      store.renumber(order(CAROL, OLD, NEW, List.of(1L, 2L), 5, 3, Optional.empty())).join();
      assertThat(store.messages(CAROL, "INBOX")).extracting(MessageMeta::uid).containsExactly(5L, 6L);
      // A node holding nothing of the mailbox has nothing to do.
      store.renumber(new FragmentRenumbering(CAROL, "Archive", OLD, NEW, List.of(1L), 1, 1, Optional.empty())).join();
      assertThat(store.mailbox(CAROL, "Archive")).isEmpty();
    }
  }

  @Test
  void onTheProfileNode_theReservationOfTheNewUidValidity_isWrittenWithIt() {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      long uv = store.mailbox(ANN, "INBOX").orElseThrow().uidValidity();
      store.reserveWatermarks(ANN, "INBOX", uv, 1_000, 5_000).join();
      store.storeAssigned(new AssignedMessage(ANN, "INBOX", uv, 7, 7, TestStores.message("x", 10), Set.of(),
          Instant.EPOCH, null)).join();
      long to = uv + 1;
      store.renumber(new FragmentRenumbering(ANN, "INBOX", uv, to, List.of(3L, 7L), 1, 6_000,
          Optional.of(new FragmentRenumbering.Reservation(1_002, 16_000, Set.of("n1", "n2"))))).join();
      FragmentSummary f = store.fragments(0, 0).stream().filter(u -> u.user().equals(ANN))
          .flatMap(u -> u.fragments().stream()).filter(b -> b.mailbox().equals("INBOX")).findFirst().orElseThrow();
      assertThat(f.uidValidity()).isEqualTo(to);
      assertThat(f.highestUid()).isEqualTo(1_002);
      assertThat(f.highestModSeq()).isEqualTo(16_000);
      assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(2L);
      // Further reservations build on it under the new UIDVALIDITY.
      store.reserveWatermarks(ANN, "INBOX", to, 3_000, 20_000).join();
      assertThat(TestStores.failure(store.reserveWatermarks(ANN, "INBOX", uv, 3_000, 20_000)))
          .isInstanceOf(StoreException.class);

      // A reservation for a fragment that is not here (deleted since it was listed) is refused, not made.
      assertThat(TestStores.failure(store.renumber(new FragmentRenumbering(ANN, "Projects", 5, 9, List.of(1L), 1, 2,
          Optional.of(new FragmentRenumbering.Reservation(1_001, 10_002, Set.of("n2")))))))
          .isInstanceOf(StoreException.class).hasMessageContaining("no such fragment");
      assertThat(store.mailbox(ANN, "Projects")).isEmpty();
      // A node without the profile takes the reservation too (a manager reserves on a majority of members).
      store.addDomain("example.org");
      store(store, CAROL, OLD, 1, Set.of());
      store.renumber(order(CAROL, OLD, NEW, List.of(1L), 1, 2,
          Optional.of(new FragmentRenumbering.Reservation(10, 10, Set.of("n3"))))).join();
      FragmentSummary carol = store.fragments(0, 0).stream().filter(u -> u.user().equals(CAROL))
          .flatMap(u -> u.fragments().stream()).filter(b -> b.mailbox().equals("INBOX")).findFirst().orElseThrow();
      assertThat(carol).extracting(FragmentSummary::uidValidity, FragmentSummary::highestUid, FragmentSummary::holders)
          .containsExactly(NEW, 10L, Optional.of(Set.of("n3")));
    }
  }

  @Test
  void badOrders_areRefusedWhenMade() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> order(CAROL, OLD, OLD, List.of(1L), 1, 1, Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> order(CAROL, OLD, NEW, List.of(2L, 2L), 1, 1,
        Optional.empty())).isInstanceOf(IllegalArgumentException.class);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> order(CAROL, OLD, NEW, List.of(1L, 2L), 0xffff_ffffL, 1,
        Optional.empty())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of range");
    assertThat(order(CAROL, OLD, NEW, List.of(1L, 4L), 0xffff_fffeL, 1, Optional.empty()).lastUid())
        .isEqualTo(0xffff_ffffL);
  }
}
