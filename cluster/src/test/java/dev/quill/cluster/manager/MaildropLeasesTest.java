package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerNodes.Node;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.MaildropLock;
import dev.quill.store.StoreException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POP3 maildrop locks at the users' managers between real in-JVM nodes: one session in the cluster,
 * the lock carried to a new manager by the reports when its bucket moves, and a take the caller gave
 * up on given back even when the manager grants it late.
 */
class MaildropLeasesTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void oneSessionInTheCluster_andTheLockGoesWithItsBucketToANewManager() throws Exception {
    String user = ManagerNodes.userMovingToN3("pop");
    try (ManagerNodes cluster = new ManagerNodes("maildrop-move", dir)) {
      List<Node> pair = cluster.startPair(DEADLINE);
      Node a = pair.get(0);
      Node b = pair.get(1);

      Optional<MaildropLock> held = a.leases.lock(user);
      assertThat(held).isPresent();
      assertThat(b.leases.lock(user)).as("another node").isEmpty();
      assertThat(a.leases.lock(user.toUpperCase())).as("the same node, the address normalised").isEmpty();
      assertThat(a.leases.held()).containsOnlyKeys(user);
      assertThat(b.leases.held()).as("a refused take is not kept").isEmpty();

      Node c = cluster.join(cluster.create("n3"), true);
      await().atMost(DEADLINE).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
      await().atMost(DEADLINE).until(() -> c.service.maildropHolders(user).equals(List.of("n1")));
      assertThat(b.leases.lock(user)).as("the new manager heard of it from n1's report").isEmpty();

      held.get().close();
      held.get().close(); // twice: nothing more
      await().atMost(DEADLINE).until(() -> c.service.maildropHolders(user).isEmpty());
      Optional<MaildropLock> next = b.leases.lock(user);
      assertThat(next).isPresent();
      next.get().close();
    }
  }

  @Test
  void aTakeGrantedAfterTheCallerGaveUp_isGivenBack() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("maildrop-late", dir)) {
      Node a = cluster.join(cluster.create("n1"), true);
      Node m = cluster.join(cluster.create("m"), false); // a manager that answers takes late
      BucketState state = new BucketState("m", 0, List.of(), List.of());
      m.rpc.register(ManagerMessages.MAILDROP_LOCK, (from, request) -> {
        if (!request.lock()) {
          return state.unlockMaildrop(request.user(), from, request.token());
        }
        Thread.sleep(1_500);
        return state.lockMaildrop(request.user(), from, request.token());
      });
      // n1 routes the user to m by its view's map; m has no manager service, only the slow handler
      await().atMost(DEADLINE).until(() -> a.map != null && Set.copyOf(a.map.members()).equals(Set.of("n1", "m")));
      String user = ManagerNodes.userWhere("pop", u -> a.map.managerOf(u).equals("m"));
      MaildropLeases impatient = new MaildropLeases("n1", a.client, Duration.ofMillis(300));

      assertThatThrownBy(() -> impatient.lock(user)).isInstanceOf(StoreException.class).hasMessageContaining("cannot");
      assertThat(impatient.held()).isEmpty();
      // granted at 1.5 s, after the first give-back found nothing; the second one takes it back
      await().atMost(DEADLINE).pollDelay(Duration.ofMillis(1_700)).until(() -> state.maildropHolders(user).isEmpty());
    }
  }

  @Test
  void aSessionsEnd_waitsUntilTheManagerHasTheLockBack() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("maildrop-end", dir)) {
      Node a = cluster.join(cluster.create("n1"), true);
      Node m = cluster.join(cluster.create("m"), false); // a manager slow to take locks back
      BucketState state = new BucketState("m", 0, List.of(), List.of());
      m.rpc.register(ManagerMessages.MAILDROP_LOCK, (from, request) -> {
        if (request.lock()) {
          return state.lockMaildrop(request.user(), from, request.token());
        }
        Thread.sleep(500);
        return state.unlockMaildrop(request.user(), from, request.token());
      });
      await().atMost(DEADLINE).until(() -> a.map != null && Set.copyOf(a.map.members()).equals(Set.of("n1", "m")));
      String user = ManagerNodes.userWhere("pop", u -> a.map.managerOf(u).equals("m"));

      MaildropLock held = a.leases.lock(user).orElseThrow();
      assertThat(state.maildropHolders(user)).containsExactly("n1");
      held.close();
      assertThat(state.maildropHolders(user)).as("given back before close returned: a QUIT's +OK comes after")
          .isEmpty();
    }
  }

  /**
   * A node of this release next to a manager of the earlier one (an upgrade, one node at a time): its
   * reports reach that manager in the version it serves, without the locks, and a lock of a user it
   * manages holds on the asking node alone, as it did before cluster-wide locks.
   */
  @Test
  void nextToAManagerOfAnEarlierRelease_reportsGoInItsVersion_andLocksStayOnTheNode() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("maildrop-upgrade", dir)) {
      // m serves FRAGMENT_REPORT version 2 only, and no MAILDROP_LOCK
      List<FragmentReport> reports = oldManager(cluster, ManagerMessages.FRAGMENT_REPORT_V2);
      String user = userManagedByM("pop");
      Node a = n1Holding(cluster, user); // the profile in n1's first report
      await().atMost(DEADLINE).until(() -> a.map != null && a.map.members().size() == 2);

      await().atMost(DEADLINE).until(() -> reports.stream().anyMatch(r -> r.users().stream()
          .anyMatch(u -> u.user().equals(user) && u.holdsProfile())));

      Optional<MaildropLock> held = a.leases.lock(user);
      assertThat(held).as("locked on n1 alone").isPresent();
      assertThat(a.leases.lock(user)).as("still one session on n1").isEmpty();
      held.get().close();
      assertThat(a.leases.held()).isEmpty();
      assertThat(a.leases.lock(user)).isPresent();
    }
  }

  /**
   * Next to a manager of the previous release (FRAGMENT_REPORT version 3, without each fragment's
   * emptiness), reports reach it in that version, the maildrop locks still in them.
   */
  @Test
  void nextToAManagerOfThePreviousRelease_reportsGoInVersion3() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("report-v3", dir)) {
      List<FragmentReport> reports = oldManager(cluster, ManagerMessages.FRAGMENT_REPORT_V3);
      String user = userManagedByM("v3-");
      n1Holding(cluster, user);
      await().atMost(DEADLINE).until(() -> reports.stream().anyMatch(r -> r.users().stream()
          .anyMatch(u -> u.user().equals(user) && u.holdsProfile() && !u.fragments().isEmpty())));
      assertThat(reports).flatMap(FragmentReport::users).filteredOn(u -> u.user().equals(user))
          .flatMap(FragmentReport.ReportedUser::fragments).as("version 3 does not say a fragment is empty")
          .noneMatch(FragmentReport.ReportedFragment::empty);
    }
  }

  private static String userManagedByM(String prefix) {
    return ManagerNodes.userWhere(prefix, u -> UserMap.of(List.of("n1", "m"), ManagerNodes.BUCKETS)
        .managerOf(u).equals("m"));
  }

  /** Starts n1, with its services and {@code user}'s profile. */
  private static Node n1Holding(ManagerNodes cluster, String user) throws Exception {
    Node a = cluster.create("n1");
    a.store.addUser(user, "pw".toCharArray());
    return cluster.join(a, true);
  }

  /** Starts m as a manager of an earlier release: it serves only {@code served}, and keeps what it is sent. */
  private static List<FragmentReport> oldManager(ManagerNodes cluster,
      dev.quill.cluster.rpc.MessageType<FragmentReport, Answer<Void>> served) throws Exception {
    Node old = cluster.join(cluster.create("m"), false);
    List<FragmentReport> reports = new java.util.concurrent.CopyOnWriteArrayList<>();
    old.rpc.register(served, (from, report) -> {
      reports.add(report);
      return new Answer.Ok<>(null);
    });
    return reports;
  }
}
