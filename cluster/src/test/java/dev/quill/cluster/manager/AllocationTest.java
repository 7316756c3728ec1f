package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.FragmentReport.ReportedFragment;
import dev.quill.cluster.manager.FragmentReport.ReportedUser;
import dev.quill.cluster.manager.ManagerNodes.Node;
import dev.quill.cluster.transport.ClusterView;
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

/** UID allocation by managers: never twice, only when complete, and reports of old views ignored. */
class AllocationTest {
  private static final String USER = "busy@example.org";

  @TempDir Path dir;

  @Test
  void concurrentAllocationsFromEveryNode_neverShareAUid_andStayAboveTheFragments() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("mgr-alloc", dir)) {
      List<Node> nodes = List.of(cluster.create("n1"), cluster.create("n2"), cluster.create("n3"));
      nodes.get(0).store.addUser(USER, "secret".toCharArray());
      long inbox = nodes.get(0).uidValidity(USER, "INBOX");
      nodes.get(1).storeAssigned(USER, "INBOX", inbox, 7);
      nodes.get(2).storeAssigned(USER, "INBOX", inbox, 12);
      for (Node node : nodes) {
        cluster.join(node, true);
      }
      await().atMost(Duration.ofSeconds(15)).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
      await().atMost(Duration.ofSeconds(15)).until(() -> nodes.get(1).client.mailMap(USER).get(5, TimeUnit.SECONDS)
          .mailboxes().stream().anyMatch(m -> m.name().equals("INBOX") && m.nodes().size() == 3));

      List<CompletableFuture<UidGrant>> calls = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        calls.add(nodes.get(i % 3).client.allocateUids(USER, "INBOX", 1 + i % 3));
      }
      Set<Long> uids = new HashSet<>();
      Set<Long> modSeqs = new HashSet<>();
      int given = 0;
      for (CompletableFuture<UidGrant> call : calls) {
        UidGrant grant = call.get(20, TimeUnit.SECONDS);
        assertThat(grant.uidValidity()).isEqualTo(inbox);
        assertThat(grant.firstUid()).isGreaterThan(12);
        for (int k = 0; k < grant.count(); k++) {
          uids.add(grant.firstUid() + k);
          modSeqs.add(grant.firstModSeq() + k);
        }
        given += grant.count();
      }
      assertThat(given).isEqualTo(600);
      assertThat(uids).hasSize(given);
      assertThat(modSeqs).hasSize(given);
      // Allocated UIDs count as known: the map's highest UID is the last one given.
      assertThat(nodes.get(2).client.mailMap(USER).get(5, TimeUnit.SECONDS).mailboxes())
          .filteredOn(m -> m.name().equals("INBOX")).extracting(MailMap.MailboxLocation::highestUid)
          .containsExactly(12L + 600);
    }
  }

  @Test
  void reportOfAnOlderView_isIgnored_whileOneOfTheCurrentViewIsApplied() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("mgr-stale", dir)) {
      List<Node> nodes = List.of(cluster.create("n1"), cluster.create("n2"));
      nodes.get(0).store.addUser(USER, "secret".toCharArray());
      for (Node node : nodes) {
        cluster.join(node, true);
      }
      await().atMost(Duration.ofSeconds(15)).until(() -> cluster.viewsAre(Set.of("n1", "n2")));
      await().atMost(Duration.ofSeconds(15)).until(() -> nodes.get(0).client.mailMap(USER).get(5, TimeUnit.SECONDS)
          .complete());
      String manager = nodes.get(0).map.managerOf(USER);
      Node reporter = nodes.get(0).name.equals(manager) ? nodes.get(1) : nodes.get(0);
      ClusterView view = reporter.transport.view();
      int bucket = reporter.map.bucketOf(USER);
      List<ReportedUser> bogus = List.of(new ReportedUser(USER, false, List.of(new ReportedFragment("Bogus", 5, 9_999, 9_999))));

      Answer<Void> stale = reporter.rpc.call(manager, ManagerMessages.FRAGMENT_REPORT,
          new FragmentReport(view.id(), view.sequence() - 1, ManagerNodes.BUCKETS, List.of(bucket), bogus),
          Duration.ofSeconds(5)).get();
      assertThat(stale).isEqualTo(new Answer.Stale<Void>(view.id()));
      MailMap after = reporter.client.mailMap(USER).get(5, TimeUnit.SECONDS);
      assertThat(after.mailboxes()).extracting(MailMap.MailboxLocation::name).doesNotContain("Bogus");

      // The same report under the current view is applied: the stale one was refused for its view alone.
      Answer<Void> current = reporter.rpc.call(manager, ManagerMessages.FRAGMENT_REPORT,
          new FragmentReport(view.id(), view.sequence(), ManagerNodes.BUCKETS, List.of(bucket), bogus),
          Duration.ofSeconds(5)).get();
      assertThat(current).isInstanceOf(Answer.Ok.class);
      MailMap applied = reporter.client.mailMap(USER).get(5, TimeUnit.SECONDS);
      assertThat(applied.mailboxes()).extracting(MailMap.MailboxLocation::name).contains("Bogus");
    }
  }

  @Test
  void allocation_isRefusedWhileAMemberHasNotReported_andSucceedsOnceItHas() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("mgr-incomplete", dir)) {
      UserMap both = UserMap.of(List.of("n1", "n2"), ManagerNodes.BUCKETS);
      String user = userManagedBy(both, "n1");
      String other = userManagedBy(both, "n2");
      Node n1 = cluster.create("n1");
      n1.store.addUser(user, "secret".toCharArray()); // the profile node, where allocations are reserved
      cluster.join(n1, true);
      // n2 is a member without a manager service yet: it reports nothing, so n1's buckets stay incomplete.
      Node n2 = cluster.join(cluster.create("n2"), false);
      n2.store.addUser("late@example.org", "secret".toCharArray());
      await().atMost(Duration.ofSeconds(15)).until(() -> cluster.viewsAre(Set.of("n1", "n2")));

      Answer<UidGrant> refused = n1.rpc.call("n1", ManagerMessages.ALLOCATE_UIDS, new UidRequest(user, "INBOX", 1),
          Duration.ofSeconds(5)).get();
      int bucket = n1.map.bucketOf(user);
      assertThat(refused).isEqualTo(new Answer.Incomplete<UidGrant>(bucket, List.of("n2")));
      assertThat(refused.describe()).isEqualTo("mail map of bucket " + bucket + " not complete: waiting for n2");
      MailMap partial = n1.client.mailMap(user).get(5, TimeUnit.SECONDS);
      assertThat(partial.complete()).isFalse();
      assertThat(partial.waitingFor()).containsExactly("n2");
      var impatient = new ManagerClient(n1.rpc, () -> n1.map, Duration.ofSeconds(5), 2, Duration.ofMillis(10));
      assertThatThrownBy(() -> impatient.allocateUids(user, "INBOX", 1).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).cause().isInstanceOf(ManagerException.class)
          .hasMessageContaining("waiting for n2")
          .extracting(e -> ((ManagerException) e).reason()).isEqualTo(ManagerException.Reason.INCOMPLETE);
      // A node that does not manage a user says who does.
      assertThat(n1.rpc.call("n1", ManagerMessages.MAIL_MAP, other, Duration.ofSeconds(5)).get())
          .isEqualTo(new Answer.NotManager<MailMap>("n2", n1.transport.view().id()));

      // A patient client started now succeeds once n2 runs its service and reports.
      CompletableFuture<UidGrant> waiting = n1.client.allocateUids(user, "Fresh", 1);
      cluster.startService(n2);
      UidGrant grant = waiting.get(15, TimeUnit.SECONDS);
      assertThat(grant.firstUid()).isEqualTo(1);
      assertThat(grant.uidValidity()).isEqualTo(ManagerNodes.CLOCK.instant().getEpochSecond());
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        MailMap late = n1.client.mailMap("late@example.org").get(5, TimeUnit.SECONDS);
        assertThat(late.complete()).isTrue();
        assertThat(late.profileNodes()).containsExactly("n2");
      });
    }
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
