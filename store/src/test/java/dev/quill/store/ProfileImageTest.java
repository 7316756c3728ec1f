package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Versions of replicated records and profile images moved between two real stores ({@link MailStore#importProfile}). */
class ProfileImageTest {
  static final String ANN = "ann@example.org";

  @TempDir Path a;
  @TempDir Path b;

  private static RocksMailStore withDomain(Path dir) {
    RocksMailStore store = TestStores.open(dir);
    store.addDomain("example.org");
    return store;
  }

  @Test
  void image_copiesProfileCatalogSubscriptionsAndReservations_toAnotherStore() {
    try (RocksMailStore primary = TestStores.withUsers(a, "ann"); RocksMailStore replica = withDomain(b)) {
      primary.createMailbox(ANN, "Projects/2026", Set.of("\\Archive"));
      primary.setSubscribed(ANN, "Trash", false);
      primary.setQuota(ANN, 5_000);
      long inbox = primary.mailbox(ANN, "INBOX").orElseThrow().uidValidity();
      primary.reserveWatermarks(ANN, "INBOX", inbox, 500, 900).join();
      primary.setVersion(Versioned.PROFILE, ANN, 42);

      ProfileImage image = primary.exportProfile(ANN).orElseThrow();
      assertThat(image.version()).isEqualTo(42);
      assertThat(replica.importProfile(image)).isTrue();

      assertThat(replica.user(ANN)).isEqualTo(primary.user(ANN));
      assertThat(replica.authenticate(ANN, "secret-ann".toCharArray()))
          .isEqualTo(primary.authenticate(ANN, "secret-ann".toCharArray()));
      assertThat(replica.mailboxes(ANN)).extracting(MailboxInfo::name, MailboxInfo::uidValidity, MailboxInfo::specialUse)
          .containsExactlyElementsOf(primary.mailboxes(ANN).stream()
              .map(m -> org.assertj.core.groups.Tuple.tuple(m.name(), m.uidValidity(), m.specialUse())).toList());
      assertThat(replica.subscriptions(ANN)).isEqualTo(primary.subscriptions(ANN)).doesNotContain("Trash");
      assertThat(replica.version(Versioned.PROFILE, ANN)).isEqualTo(42);
      assertThat(replica.exportProfile(ANN)).contains(image);
      // the reservation counts on the replica too, for a manager rebuilt from it
      FragmentSummary f = replica.fragments(0, 0).stream().flatMap(u -> u.fragments().stream())
          .filter(x -> x.mailbox().equals("INBOX")).findFirst().orElseThrow();
      assertThat(f.highestUid()).isEqualTo(500);
    }
  }

  @Test
  void olderOrEqualImage_isIgnored_lastWriterWins() {
    try (RocksMailStore primary = TestStores.withUsers(a, "ann"); RocksMailStore replica = withDomain(b)) {
      primary.setVersion(Versioned.PROFILE, ANN, 10);
      ProfileImage old = primary.exportProfile(ANN).orElseThrow();
      primary.setQuota(ANN, 7_000);
      primary.setVersion(Versioned.PROFILE, ANN, 11);
      ProfileImage newer = primary.exportProfile(ANN).orElseThrow();

      assertThat(replica.importProfile(newer)).isTrue();
      assertThat(replica.importProfile(old)).isFalse();
      assertThat(replica.importProfile(newer)).isFalse();
      assertThat(replica.user(ANN).orElseThrow().quotaBytes()).isEqualTo(7_000);
    }
  }

  @Test
  void tombstone_deletesTheUserAndItsMail_andOutlivesIt() {
    try (RocksMailStore primary = TestStores.withUsers(a, "ann"); RocksMailStore replica = withDomain(b)) {
      copiedWithAMessage(primary, replica, 1, 2, "hi");

      primary.deleteUser(ANN);
      assertThat(primary.version(Versioned.PROFILE, ANN)).as("the version outlives the user").isEqualTo(10);
      primary.setVersion(Versioned.PROFILE, ANN, 20);
      ProfileImage tombstone = primary.exportProfile(ANN).orElseThrow();
      assertThat(tombstone.tombstone()).isTrue();

      assertThat(replica.importProfile(tombstone)).isTrue();
      assertThat(replica.user(ANN)).isEmpty();
      assertThat(replica.mailboxes(ANN)).isEmpty();
      assertThat(replica.versions(Versioned.PROFILE)).containsEntry(ANN, 20L);
      // an older image of the live user does not bring it back
      assertThat(replica.importProfile(new ProfileImage(ANN, 15, primary.exportProfile(ANN).flatMap(
          ProfileImage::profile), java.util.List.of(), Set.of()))).isFalse();
      assertThat(replica.user(ANN)).isEmpty();
    }
  }

  @Test
  void image_neverDeletesAMailboxHeldHere() {
    try (RocksMailStore primary = TestStores.withUsers(a, "ann"); RocksMailStore replica = withDomain(b)) {
      replica.storeAssigned(new AssignedMessage(ANN, "Late", 77, 1, 2, TestStores.message("hi", 10), Set.of(),
          Instant.EPOCH, null)).join();
      primary.setVersion(Versioned.PROFILE, ANN, 5);

      assertThat(replica.importProfile(primary.exportProfile(ANN).orElseThrow())).isTrue();

      assertThat(replica.mailbox(ANN, "Late")).isPresent();
      assertThat(replica.messages(ANN, "Late")).hasSize(1);
    }
  }

  @Test
  void versions_ofEachKind_areApart_andSurviveReopening() {
    try (RocksMailStore store = TestStores.open(a)) {
      store.setVersion(Versioned.DOMAIN, "example.org", 3);
      store.setVersion(Versioned.ALIAS, "sales@example.org", 4);
      store.setVersion(Versioned.PROFILE, "sales@example.org", 5);
    }
    try (RocksMailStore store = TestStores.open(a)) {
      assertThat(store.versions(Versioned.DOMAIN)).containsExactly(java.util.Map.entry("example.org", 3L));
      assertThat(store.version(Versioned.ALIAS, "Sales@Example.org")).isEqualTo(4);
      assertThat(store.version(Versioned.PROFILE, "sales@example.org")).isEqualTo(5);
      assertThat(store.version(Versioned.PROFILE, "nobody@example.org")).isZero();
    }
  }

  @Test
  void pruneTombstone_dropsOnlyTheSameStampOfAnAbsentRecord() {
    try (RocksMailStore store = TestStores.withUsers(a, "ann")) {
      store.setVersion(Versioned.PROFILE, ANN, 10);
      assertThat(store.pruneTombstone(Versioned.PROFILE, ANN, 10)).as("the user is live").isFalse();
      store.deleteUser(ANN);
      assertThat(store.pruneTombstone(Versioned.PROFILE, ANN, 9)).as("another stamp").isFalse();
      assertThat(store.pruneTombstone(Versioned.PROFILE, ANN, 10)).isTrue();
      assertThat(store.versions(Versioned.PROFILE)).doesNotContainKey(ANN);
      assertThat(store.exportProfile(ANN)).as("no tombstone left").isEmpty();

      store.setVersion(Versioned.ALIAS, "sales@example.org", 4);
      store.putAlias("sales@example.org", "bob@example.org");
      assertThat(store.pruneTombstone(Versioned.ALIAS, "sales@example.org", 4)).as("the alias is live").isFalse();
      store.deleteAlias("sales@example.org");
      assertThat(store.pruneTombstone(Versioned.ALIAS, "Sales@Example.org", 4)).isTrue();
      store.setVersion(Versioned.DOMAIN, "example.org", 3);
      assertThat(store.pruneTombstone(Versioned.DOMAIN, "example.org", 3)).as("the domain is live").isFalse();
      store.setVersion(Versioned.DOMAIN, "gone.org", 3);
      assertThat(store.pruneTombstone(Versioned.DOMAIN, "gone.org", 3)).isTrue();
      assertThat(store.version(Versioned.DOMAIN, "gone.org")).isZero();
    }
  }

  @Test
  void digest_equalOnAnImportedCopy_whateverItsReservations_andChangesWithTheContent() {
    try (RocksMailStore primary = TestStores.withUsers(a, "ann"); RocksMailStore replica = withDomain(b)) {
      primary.createMailbox(ANN, "Projects", Set.of("\\Archive"));
      primary.setVersion(Versioned.PROFILE, ANN, 10);
      replica.importProfile(primary.exportProfile(ANN).orElseThrow());
      long inbox = primary.mailbox(ANN, "INBOX").orElseThrow().uidValidity();
      primary.reserveWatermarks(ANN, "INBOX", inbox, 500, 900).join(); // on one holder only
      String digest = primary.exportProfile(ANN).orElseThrow().digest();

      assertThat(replica.exportProfile(ANN).orElseThrow().digest()).as("the copy").isEqualTo(digest);
      primary.setQuota(ANN, 1234);
      assertThat(primary.exportProfile(ANN).orElseThrow().digest()).as("another quota").isNotEqualTo(digest);
      String quota = primary.exportProfile(ANN).orElseThrow().digest();
      primary.setSubscribed(ANN, "Projects", !primary.subscriptions(ANN).contains("Projects"));
      assertThat(primary.exportProfile(ANN).orElseThrow().digest()).as("another subscription").isNotEqualTo(quota);
    }
  }

  /** Gives {@code copy} the primary's profile at stamp 10 and stores one message in its INBOX; the INBOX's UIDVALIDITY. */
  private static long copiedWithAMessage(RocksMailStore primary, RocksMailStore copy, long uid, long modSeq,
      String subject) {
    primary.setVersion(Versioned.PROFILE, ANN, 10);
    copy.importProfile(primary.exportProfile(ANN).orElseThrow());
    long inbox = copy.mailbox(ANN, "INBOX").orElseThrow().uidValidity();
    copy.storeAssigned(new AssignedMessage(ANN, "INBOX", inbox, uid, modSeq, TestStores.message(subject, 10), Set.of(),
        Instant.EPOCH, null)).join();
    return inbox;
  }

  @Test
  void dropProfile_leavesAPlainFragmentHolder_withItsMailAndNumbers_butNoHolderRecord() {
    try (RocksMailStore primary = TestStores.withUsers(a, "ann"); RocksMailStore copy = withDomain(b)) {
      long inbox = copiedWithAMessage(primary, copy, 7, 9, "kept");
      copy.reserveWatermarks(ANN, "INBOX", inbox, 1_000, 2_000, java.util.Optional.of(Set.of("a", "b"))).join();

      assertThat(copy.dropProfile(ANN, 9)).as("another stamp: a change reached this copy since").isFalse();
      assertThat(copy.user(ANN)).isPresent();
      assertThat(copy.dropProfile(ANN, 10)).isTrue();
      assertThat(copy.dropProfile(ANN, 10)).as("nothing left to drop").isFalse();

      assertThat(copy.user(ANN)).isEmpty();
      assertThat(copy.authenticate(ANN, "secret-ann".toCharArray())).isFalse();
      assertThat(copy.version(Versioned.PROFILE, ANN)).as("no tombstone: as if never held").isZero();
      assertThat(copy.exportProfile(ANN)).isEmpty();
      UserFragments held = copy.fragments(0, 0).stream().filter(u -> u.user().equals(ANN)).findFirst().orElseThrow();
      assertThat(held.holdsProfile()).isFalse();
      FragmentSummary f = held.fragments().stream().filter(x -> x.mailbox().equals("INBOX")).findFirst().orElseThrow();
      assertThat(f.highestUid()).as("the reservation stays").isEqualTo(1_000);
      assertThat(f.highestModSeq()).isEqualTo(2_000);
      assertThat(f.holders()).as("the holder record goes").isEmpty();
      assertThat(copy.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(7L);
      assertThat(copy.mailboxes(ANN)).extracting(MailboxInfo::name).contains("INBOX", "Sent");
      assertThat(copy.deleteMailbox(ANN, "INBOX")).as("INBOX of a plain holder can go").isTrue();
    }
    try (RocksMailStore reopened = TestStores.open(b)) {
      assertThat(reopened.user(ANN)).as("after a restart").isEmpty();
      assertThat(reopened.mailboxes(ANN)).extracting(MailboxInfo::name).contains("Sent").doesNotContain("INBOX");
    }
  }

  @Test
  void aDroppedCopy_canBeImportedAgain() {
    try (RocksMailStore primary = TestStores.withUsers(a, "ann"); RocksMailStore copy = withDomain(b)) {
      primary.setVersion(Versioned.PROFILE, ANN, 10);
      copy.importProfile(primary.exportProfile(ANN).orElseThrow());
      assertThat(copy.dropProfile(ANN, 10)).isTrue();
      primary.setQuota(ANN, 3_000);
      primary.setVersion(Versioned.PROFILE, ANN, 11);

      assertThat(copy.importProfile(primary.exportProfile(ANN).orElseThrow())).isTrue();
      assertThat(copy.user(ANN).orElseThrow().quotaBytes()).isEqualTo(3_000);
      assertThat(copy.fragments(0, 0).getFirst().holdsProfile()).isTrue();
      assertThat(copy.authenticate(ANN, "secret-ann".toCharArray())).isTrue();
    }
  }
}
