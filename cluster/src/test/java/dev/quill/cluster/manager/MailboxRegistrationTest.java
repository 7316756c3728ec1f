package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerNodes.Node;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.usermap.UserMap;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MODSEQ allocation and the registration of mailboxes created, dropped and renamed, at real managers. */
class MailboxRegistrationTest {
  private static final String USER = "flags@example.org";

  @TempDir Path dir;

  @Test
  void modSeqs_riseStrictly_acrossUidAndModSeqAllocationsFromEveryNode() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("mgr-modseq", dir)) {
      List<Node> nodes = List.of(cluster.create("n1"), cluster.create("n2"), cluster.create("n3"));
      nodes.get(0).store.addUser(USER, "secret".toCharArray());
      long inbox = nodes.get(0).uidValidity(USER, "INBOX");
      nodes.get(1).storeAssigned(USER, "INBOX", inbox, 9); // MODSEQ 9 in n2's fragment
      for (Node node : nodes) {
        cluster.join(node, true);
      }
      awaitComplete(cluster, nodes, Set.of("n1", "n2", "n3"));

      // Concurrent and interleaved: no MODSEQ is given twice, all above the fragments'.
      List<CompletableFuture<List<Long>>> calls = new ArrayList<>();
      for (int i = 0; i < 120; i++) {
        ManagerClient client = nodes.get(i % 3).client;
        calls.add(i % 2 == 0
            ? client.allocateModSeq(USER, "INBOX").thenApply(g -> List.of(g.modSeq()))
            : client.allocateUids(USER, "INBOX", 2).thenApply(g -> List.of(g.firstModSeq(), g.firstModSeq() + 1)));
      }
      Set<Long> given = new HashSet<>();
      for (CompletableFuture<List<Long>> call : calls) {
        for (long modSeq : call.get(20, TimeUnit.SECONDS)) {
          assertThat(modSeq).isGreaterThan(9);
          assertThat(given.add(modSeq)).as("MODSEQ %d given twice", modSeq).isTrue();
        }
      }
      assertThat(given).hasSize(60 + 60 * 2);

      // One after the other from alternating nodes: each is above everything given before.
      long last = given.stream().mapToLong(Long::longValue).max().orElseThrow();
      for (int i = 0; i < 12; i++) {
        ManagerClient client = nodes.get(i % 3).client;
        long next;
        if (i % 2 == 0) {
          ModSeqGrant grant = client.allocateModSeq(USER, "INBOX").get(10, TimeUnit.SECONDS);
          assertThat(grant.uidValidity()).isEqualTo(inbox);
          assertThat(grant.fragmentNodes()).containsExactly("n1", "n2");
          next = grant.modSeq();
        } else {
          next = client.allocateUids(USER, "INBOX", 1).get(10, TimeUnit.SECONDS).firstModSeq();
        }
        assertThat(next).isEqualTo(last + 1);
        last = next;
      }
      long highest = last;
      assertThat(nodes.get(2).client.mailMap(USER).get(5, TimeUnit.SECONDS).mailboxes())
          .filteredOn(m -> m.name().equals("INBOX")).extracting(MailMap.MailboxLocation::highestModSeq)
          .containsExactly(highest);

      assertThatThrownBy(() -> nodes.get(1).client.allocateModSeq(USER, "Nowhere").get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).cause().isInstanceOf(RpcException.class)
          .hasMessageContaining("mailbox " + USER + "/Nowhere is unknown to its manager")
          .extracting(e -> ((RpcException) e).code()).isEqualTo(RpcException.Code.HANDLER_FAILED);
    }
  }

  @Test
  void allocateModSeq_isRefusedWhileAMemberHasNotReported() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("mgr-modseq-incomplete", dir)) {
      String user = userManagedBy(UserMap.of(List.of("n1", "n2"), ManagerNodes.BUCKETS), "n1");
      Node n1 = cluster.create("n1");
      n1.store.addUser(user, "secret".toCharArray()); // the profile node, where allocations are reserved
      cluster.join(n1, true);
      Node n2 = cluster.join(cluster.create("n2"), false); // never reports
      await().atMost(Duration.ofSeconds(15)).until(() -> cluster.viewsAre(Set.of("n1", "n2")));
      n1.client.mailboxCreated(user, "Box", 77, "n1").get(10, TimeUnit.SECONDS);

      Answer<ModSeqGrant> refused = n1.rpc.call("n1", ManagerMessages.ALLOCATE_MODSEQ, new ModSeqRequest(user, "Box"),
          Duration.ofSeconds(5)).get();
      assertThat(refused).isEqualTo(new Answer.Incomplete<ModSeqGrant>(n1.map.bucketOf(user), List.of("n2")));

      CompletableFuture<ModSeqGrant> waiting = n1.client.allocateModSeq(user, "Box");
      cluster.startService(n2);
      ModSeqGrant grant = waiting.get(15, TimeUnit.SECONDS);
      // Reserved on the profile node n1 and on n2 (a majority of the two members), whose fragment holds no mail.
      assertThat(grant)
          .isEqualTo(new ModSeqGrant(77, 1, List.of("n1"), new Fence("n1", n1.transport.view().sequence())));
    }
  }

  @Test
  void mailboxCreated_givesItsUidValidityToAllocation_andDeleteThenCreateStartsANewUidSpace() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("mgr-created", dir)) {
      List<Node> nodes = List.of(cluster.create("n1"), cluster.create("n2"), cluster.create("n3"));
      nodes.get(1).store.addUser(USER, "secret".toCharArray()); // the profile node, where allocations are reserved
      for (Node node : nodes) {
        cluster.join(node, true);
      }
      awaitComplete(cluster, nodes, Set.of("n1", "n2", "n3"));
      ManagerClient client = nodes.get(1).client;

      client.mailboxCreated(USER, "Projects", 4242, "n2").get(10, TimeUnit.SECONDS);
      UidGrant first = client.allocateUids(USER, "Projects", 5).get(10, TimeUnit.SECONDS);
      assertThat(first.uidValidity()).isEqualTo(4242);
      assertThat(first.firstUid()).isEqualTo(1);
      assertThat(first.firstModSeq()).isEqualTo(1);
      // Reserved on the profile node n2 and on the manager n3 (a majority of three is two): both hold a
      // fragment now, but n3's holds no mail, so a delivery is not steered there.
      assertThat(first.fragmentNodes()).containsExactly("n2");
      // The same UIDVALIDITY from another node adds a holder; nothing is reset.
      client.mailboxCreated(USER, "Projects", 4242, "n1").get(10, TimeUnit.SECONDS);
      assertThat(location(client, "Projects")).isEqualTo(
          new MailMap.MailboxLocation("Projects", 4242, 5, 5, false, List.of("n1", "n2", "n3")));

      // Deleted on both nodes: gone from the map, watermarks kept. (The reservation had created a fragment
      // on the profile node n2; its deletion takes the reservation with it.)
      nodes.get(1).store.deleteMailbox(USER, "Projects");
      nodes.get(2).store.deleteMailbox(USER, "Projects");
      for (String node : List.of("n1", "n2", "n3")) {
        client.fragmentDropped(USER, "Projects", node).get(10, TimeUnit.SECONDS);
      }
      assertThat(client.mailMap(USER).get(5, TimeUnit.SECONDS).mailboxes())
          .extracting(MailMap.MailboxLocation::name).doesNotContain("Projects");

      // Created again with a higher UIDVALIDITY: UIDs start over, MODSEQs continue; reserved again on the
      // profile node under the new UIDVALIDITY, which creates the fragment there.
      client.mailboxCreated(USER, "Projects", 5000, "n1").get(10, TimeUnit.SECONDS);
      UidGrant again = nodes.get(2).client.allocateUids(USER, "Projects", 1).get(10, TimeUnit.SECONDS);
      assertThat(again.uidValidity()).isEqualTo(5000);
      assertThat(again.firstUid()).isEqualTo(1);
      assertThat(again.firstModSeq()).isEqualTo(6);
      assertThat(again.fragmentNodes()).containsExactly("n1", "n2");
      assertThat(nodes.get(1).uidValidity(USER, "Projects")).isEqualTo(5000);

      // Another UIDVALIDITY while n1 holds a fragment is a conflict: the higher one is kept.
      client.mailboxCreated(USER, "Projects", 4999, "n3").get(10, TimeUnit.SECONDS);
      assertThat(location(client, "Projects")).isEqualTo(
          new MailMap.MailboxLocation("Projects", 5000, 1, 6, true, List.of("n1", "n2", "n3")));
    }
  }

  @Test
  void mailboxRenamed_movesTheMailboxAndItsInferiors_withTheirWatermarks() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("mgr-renamed", dir)) {
      List<Node> nodes = List.of(cluster.create("n1"), cluster.create("n2"));
      nodes.get(1).store.addUser(USER, "secret".toCharArray()); // the profile node, where allocations are reserved
      for (Node node : nodes) {
        cluster.join(node, true);
      }
      awaitComplete(cluster, nodes, Set.of("n1", "n2"));
      ManagerClient client = nodes.get(0).client;
      client.mailboxCreated(USER, "Work", 10, "n1").get(10, TimeUnit.SECONDS);
      client.mailboxCreated(USER, "Work/A", 11, "n2").get(10, TimeUnit.SECONDS);
      client.mailboxCreated(USER, "Work/A/B", 12, "n1").get(10, TimeUnit.SECONDS);
      client.mailboxCreated(USER, "Workshop", 13, "n2").get(10, TimeUnit.SECONDS);
      client.allocateUids(USER, "Work/A", 3).get(10, TimeUnit.SECONDS);
      // An old entry without fragments at a target is replaced.
      client.mailboxCreated(USER, "Archive/Work", 5, "n2").get(10, TimeUnit.SECONDS);
      client.fragmentDropped(USER, "Archive/Work", "n2").get(10, TimeUnit.SECONDS);

      nodes.get(1).client.mailboxRenamed(USER, "Work", "Archive/Work").get(10, TimeUnit.SECONDS);
      // Work/A's reservation went to the profile node n2 and to n1, a majority of the two members.
      assertThat(workMailboxes(client)).containsExactly(
          new MailMap.MailboxLocation("Archive/Work", 10, 0, 0, false, List.of("n1")),
          new MailMap.MailboxLocation("Archive/Work/A", 11, 3, 3, false, List.of("n1", "n2")),
          new MailMap.MailboxLocation("Archive/Work/A/B", 12, 0, 0, false, List.of("n1")),
          new MailMap.MailboxLocation("Workshop", 13, 0, 0, false, List.of("n2")));
      UidGrant next = client.allocateUids(USER, "Archive/Work/A", 1).get(10, TimeUnit.SECONDS);
      assertThat(next.uidValidity()).isEqualTo(11);
      assertThat(next.firstUid()).isEqualTo(4);

      // Into its own inferior: the source in the way (Archive/Work/A/B) moves on in the same step.
      client.mailboxRenamed(USER, "Archive/Work/A", "Archive/Work/A/B").get(10, TimeUnit.SECONDS);
      // A target with fragments fails the whole rename and changes nothing.
      assertThatThrownBy(() -> client.mailboxRenamed(USER, "Workshop", "Archive/Work").get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).cause().isInstanceOf(RpcException.class)
          .hasMessageContaining("Archive/Work exists with fragments on n1");
      assertThatThrownBy(() -> client.mailboxRenamed(USER, "INBOX", "Old").get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).cause().hasMessageContaining("renaming INBOX");
      assertThat(workMailboxes(client)).containsExactly(
          new MailMap.MailboxLocation("Archive/Work", 10, 0, 0, false, List.of("n1")),
          new MailMap.MailboxLocation("Archive/Work/A/B", 11, 4, 4, false, List.of("n1", "n2")),
          new MailMap.MailboxLocation("Archive/Work/A/B/B", 12, 0, 0, false, List.of("n1")),
          new MailMap.MailboxLocation("Workshop", 13, 0, 0, false, List.of("n2")));
    }
  }

  /** The mailboxes the rename test made, without the profile's default ones. */
  private static List<MailMap.MailboxLocation> workMailboxes(ManagerClient client) throws Exception {
    return client.mailMap(USER).get(5, TimeUnit.SECONDS).mailboxes().stream()
        .filter(m -> m.name().startsWith("Archive/") || m.name().startsWith("Work")).toList();
  }

  private static MailMap.MailboxLocation location(ManagerClient client, String mailbox) throws Exception {
    return client.mailMap(USER).get(5, TimeUnit.SECONDS).mailboxes().stream()
        .filter(m -> m.name().equals(mailbox)).findFirst().orElseThrow();
  }

  private static void awaitComplete(ManagerNodes cluster, List<Node> nodes, Set<String> names) {
    await().atMost(Duration.ofSeconds(15)).until(() -> cluster.viewsAre(names));
    await().atMost(Duration.ofSeconds(15)).until(() -> nodes.getFirst().client.mailMap(USER).get(5, TimeUnit.SECONDS)
        .complete());
  }

  /** Some test user whose bucket {@code manager} manages in {@code map}. */
  private static String userManagedBy(UserMap map, String manager) {
    for (int i = 0; ; i++) {
      String user = "probe" + i + "@example.org";
      if (map.managerOf(user).equals(manager)) {
        return user;
      }
    }
  }
}
