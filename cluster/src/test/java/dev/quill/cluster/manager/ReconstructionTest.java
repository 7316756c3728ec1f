package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerNodes.Node;
import dev.quill.cluster.usermap.UserMap;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Mail maps rebuilt from the nodes' stores as nodes start, join and leave (real transports, real stores). */
class ReconstructionTest {
  private static final List<String> USERS = IntStream.range(0, 30).mapToObj(i -> "u" + i + "@example.org").toList();

  @TempDir Path dir;

  @Test
  void mailMaps_followStartJoinAndLeave_andNewManagersAllocateAboveEveryFragment() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("mgr-recon", dir)) {
      Node n1 = cluster.create("n1");
      Node n2 = cluster.create("n2");
      Node n3 = cluster.create("n3");
      List<Node> three = List.of(n1, n2, n3);
      // Profile on one node, INBOX fragments on it and the next, an Old fragment on the third for even users.
      for (int i = 0; i < USERS.size(); i++) {
        String user = USERS.get(i);
        Node home = three.get(i % 3);
        home.store.addUser(user, "secret".toCharArray());
        long inbox = home.uidValidity(user, "INBOX");
        for (int k = 0; k < 2; k++) {
          int holder = (i + k) % 3;
          three.get(holder).storeAssigned(user, "INBOX", inbox, 1 + holder * 5L + i % 4);
        }
        if (i % 2 == 0) {
          three.get((i + 2) % 3).storeAssigned(user, "Old", 777, 3);
        }
      }
      for (Node node : three) {
        cluster.join(node, true);
      }
      await().atMost(Duration.ofSeconds(15)).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
      awaitMapsAsInStores(three, three);

      // A fourth node joins holding fragments: more INBOX mail, a new mailbox, a UIDVALIDITY conflict, a profile.
      Node n4 = cluster.create("n4");
      for (int i = 0; i < USERS.size(); i++) {
        String user = USERS.get(i);
        long inbox = three.get(i % 3).uidValidity(user, "INBOX");
        if (i == 3) {
          n4.storeAssigned(user, "INBOX", inbox + 1, 60);
        } else if (i % 5 == 0) {
          n4.storeAssigned(user, "INBOX", inbox, 40 + i);
        } else if (i % 5 == 1) {
          n4.storeAssigned(user, "Lists", 999, 2);
        }
      }
      n4.store.addUser("solo@example.org", "secret".toCharArray());
      cluster.join(n4, true);
      List<Node> four = List.of(n1, n2, n3, n4);
      await().atMost(Duration.ofSeconds(15)).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3", "n4")));
      Map<String, MailMap> withN4 = awaitMapsAsInStores(four, four);
      assertThat(withN4.get(USERS.get(3)).conflict()).isTrue();
      assertThat(withN4.get("solo@example.org").profileNodes()).containsExactly("n4");
      ManagerStatus n4Status = n4.service.status();
      assertThat(n4Status.managedBuckets()).isPositive().isEqualTo(n4Status.completeBuckets());

      // n3 leaves: its fragments and profiles drop out of the maps (a manager that kept the bucket lists
      // n3 as a missing holder), which become complete again.
      UserMap beforeLeave = n1.map;
      cluster.leave(n3);
      List<Node> live = List.of(n1, n2, n4);
      await().atMost(Duration.ofSeconds(15)).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n4")));
      Map<String, MailMap> expectedLive = ExpectedMaps.of(live);
      await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
        for (String user : expectedLive.keySet()) {
          MailMap got = live.get(Math.floorMod(user.hashCode(), 3)).client.mailMap(user).get(5, TimeUnit.SECONDS);
          MailMap want = expectedLive.get(user);
          assertThat(got.complete()).as(user).isTrue();
          assertThat(got.profileNodes()).as(user).isEqualTo(want.profileNodes());
          // A mailbox held only by n3 stays listed, with n3 missing, where the manager kept the bucket.
          assertThat(got.mailboxes()).as(user).filteredOn(m -> m.nodes().isEmpty())
              .allSatisfy(m -> assertThat(m.missing()).containsExactly("n3"));
          assertThat(got.mailboxes()).allSatisfy(m -> assertThat(m.missing()).isSubsetOf("n3"));
          List<MailMap.MailboxLocation> held = got.mailboxes().stream().filter(m -> !m.nodes().isEmpty()).toList();
          assertThat(held).as(user).hasSameSizeAs(want.mailboxes());
          for (int b = 0; b < want.mailboxes().size(); b++) {
            var g = held.get(b);
            var w = want.mailboxes().get(b);
            assertThat(g.name()).isEqualTo(w.name());
            assertThat(g.nodes()).as(user + "/" + w.name()).isEqualTo(w.nodes()).doesNotContain("n3");
            assertThat(g.uidValidity()).isEqualTo(w.uidValidity());
            // A manager that kept the bucket remembers n3's higher UIDs; a new one knows only the live fragments.
            assertThat(g.highestUid()).isBetween(w.highestUid(), withN4.get(user).mailboxes().stream()
                .filter(m -> m.name().equals(w.name())).findFirst().orElseThrow().highestUid());
          }
        }
      });

      // Users n3 managed have new managers, which give UIDs above every live fragment's highest UID.
      // (Only users whose profile node is live: the others' allocations wait for it; see ReservationTest.)
      List<String> movedUsers = USERS.stream().filter(u -> beforeLeave.managerOf(u).equals("n3"))
          .filter(u -> USERS.indexOf(u) % 3 != 2).toList();
      assertThat(movedUsers).isNotEmpty();
      for (String user : movedUsers) {
        UidGrant grant = n2.client.allocateUids(user, "INBOX", 2).get(10, TimeUnit.SECONDS);
        MailMap.MailboxLocation inbox = expectedLive.get(user).mailboxes().stream()
            .filter(m -> m.name().equals("INBOX")).findFirst().orElseThrow();
        assertThat(grant.firstUid()).as(user).isGreaterThan(inbox.highestUid());
        assertThat(grant.uidValidity()).isEqualTo(inbox.uidValidity());
        assertThat(grant.fragmentNodes()).isEqualTo(inbox.nodes());
      }

      // A mailbox nobody holds yet gets a fresh UIDVALIDITY (the clock's seconds) and UIDs from 1; the
      // reservation on the profile node (n1) and on n2 (a majority of the three members needs two)
      // created their fragments there; n2's holds no mail and is not offered for placement.
      UidGrant fresh = n4.client.allocateUids(USERS.get(0), "Fresh", 1).get(10, TimeUnit.SECONDS);
      assertThat(fresh).usingRecursiveComparison().ignoringFields("fence")
          .isEqualTo(new UidGrant("Fresh", 1_700_000_000L, 1, 1, 1, List.of("n1")));
      // numbered by the user's manager, in the view it manages the user in: what storing nodes check
      assertThat(fresh.fence().manager()).isEqualTo(n4.map.managerOf(USERS.get(0)));
      assertThat(fresh.fence().viewSequence()).isPositive();
      assertThat(n1.client.allocateUids(USERS.get(0), "Fresh", 3).get(10, TimeUnit.SECONDS).firstUid()).isEqualTo(2);
    }
  }

  /** Waits until every user's mail map, asked from the askers in turn, is complete and equals what the stores hold. */
  private static Map<String, MailMap> awaitMapsAsInStores(List<Node> holders, List<Node> askers) {
    Map<String, MailMap> expected = ExpectedMaps.of(holders);
    assertThat(expected.keySet()).containsAll(USERS);
    await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
      List<MailMap> got = new ArrayList<>();
      int i = 0;
      for (String user : expected.keySet()) {
        got.add(askers.get(i++ % askers.size()).client.mailMap(user).get(5, TimeUnit.SECONDS));
      }
      assertThat(got).containsExactlyElementsOf(expected.values());
    });
    return expected;
  }
}
