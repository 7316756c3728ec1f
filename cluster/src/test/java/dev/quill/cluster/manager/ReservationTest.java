package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerNodes.Node;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.AssignedMessage;
import dev.quill.store.FragmentSummary;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4, "UIDs are never reused": managers reserve UIDs and MODSEQs on the user's profile node
 * before giving them, so a manager rebuilt while the node holding the highest UIDs is down still
 * continues above them. Real in-JVM nodes, real transports and stores.
 */
class ReservationTest {
  private static final Duration VIEWS = Duration.ofSeconds(20);

  @TempDir Path dir;

  /**
   * The bug: messages stored on x under UIDs from manager m; x leaves, then m leaves, so the bucket
   * moves to y, rebuilt from p and y alone. Before reservations, y's watermark was p's empty INBOX
   * and it gave UID 1 again. Now p's report carries the reservation, and y continues above it.
   */
  @Test
  void newManager_continuesAboveTheUidsOfADepartedHolder_withoutHearingFromIt() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("reserve-move", dir)) {
      String user = user(u -> UserMap.of(List.of("p", "x", "m", "y"), ManagerNodes.BUCKETS).managerOf(u).equals("m")
          && UserMap.of(List.of("p", "y"), ManagerNodes.BUCKETS).managerOf(u).equals("y"));
      Node p = cluster.create("p");
      Node x = cluster.create("x");
      Node m = cluster.create("m");
      Node y = cluster.create("y");
      p.store.addUser(user, "secret".toCharArray());
      MailboxInfo visibleBefore = p.store.mailbox(user, MailStore.INBOX).orElseThrow();
      for (Node node : List.of(p, x, m, y)) {
        cluster.join(node, true);
      }
      awaitComplete(cluster, p, user, Set.of("p", "x", "m", "y"));

      // Three deliveries of four messages, numbered by m and all stored on x.
      long highestUid = 0;
      long highestModSeq = 0;
      for (int i = 0; i < 3; i++) {
        UidGrant grant = p.client.allocateUids(user, MailStore.INBOX, 4).get(10, TimeUnit.SECONDS);
        for (int k = 0; k < grant.count(); k++) {
          store(x, user, grant, k);
        }
        highestUid = grant.firstUid() + grant.count() - 1;
        highestModSeq = grant.firstModSeq() + grant.count() - 1;
      }
      assertThat(highestUid).isEqualTo(12);
      // One reservation for all three: the first allocation's need (UID 4, MODSEQ 4 above p's) plus a block each.
      long modSeq0 = visibleBefore.highestModSeq();
      assertThat(reported(p, user, MailStore.INBOX)).extracting(FragmentSummary::highestUid,
          FragmentSummary::highestModSeq).containsExactly(4 + BucketState.UID_BLOCK, modSeq0 + 4 + BucketState.MODSEQ_BLOCK);
      // What clients see on p is untouched by the reservation.
      assertThat(p.store.mailbox(user, MailStore.INBOX)).contains(visibleBefore);

      cluster.leave(x);
      await().atMost(VIEWS).until(() -> cluster.viewsAre(Set.of("p", "m", "y")));
      cluster.leave(m);
      awaitComplete(cluster, p, user, Set.of("p", "y"));
      assertThat(y.map.managerOf(user)).isEqualTo("y");

      UidGrant next = p.client.allocateUids(user, MailStore.INBOX, 1).get(10, TimeUnit.SECONDS);
      assertThat(next.firstUid()).isGreaterThan(highestUid).isEqualTo(4 + BucketState.UID_BLOCK + 1);
      assertThat(next.firstModSeq()).isGreaterThan(highestModSeq).isEqualTo(modSeq0 + 4 + BucketState.MODSEQ_BLOCK + 1);
      assertThat(next.uidValidity()).isEqualTo(visibleBefore.uidValidity());
      assertThat(next.fragmentNodes()).as("reserved on p and on y (a majority of the two), but y holds no mail")
          .containsExactly("p");
      assertThat(p.store.mailbox(user, MailStore.INBOX)).contains(visibleBefore);
    }
  }

  /**
   * While no live member holds the profile, numbers already reserved on it may still be given (they
   * are durable there), but none beyond: those requests are refused, and the client gives up with
   * {@link ManagerException.Reason#UNRESERVED}. Once the profile node is back, its report brings the
   * reservation and allocation continues above it.
   */
  @Test
  void allocation_beyondTheReservation_isRefusedWhileTheProfileNodeIsDown_andWorksWhenItIsBack() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("reserve-down", dir)) {
      UserMap all = UserMap.of(List.of("p", "m", "z"), ManagerNodes.BUCKETS);
      String user = user(u -> all.managerOf(u).equals("m"));
      String ghost = user(u -> all.managerOf(u).equals("m") && !u.equals(user)); // no profile anywhere
      List<Node> started = cluster.startWithProfileOnFirst(user, "p", "m", "z");
      Node p = started.get(0);
      Node z = started.get(2);
      awaitComplete(cluster, z, user, Set.of("p", "m", "z"));
      UidGrant first = z.client.allocateUids(user, MailStore.INBOX, 1).get(10, TimeUnit.SECONDS);
      assertThat(first.firstUid()).isEqualTo(1);
      long reservedUid = 1 + BucketState.UID_BLOCK;
      long reservedModSeq = first.firstModSeq() + BucketState.MODSEQ_BLOCK;
      // Stored on z, so that INBOX stays in the mail map while p is away.
      store(z, user, first, 0);
      z.client.fragmentStored(user, MailStore.INBOX, "z").get(10, TimeUnit.SECONDS);
      // The rest of the reserved UIDs, without another reservation.
      UidGrant rest = z.client.allocateUids(user, MailStore.INBOX, (int) BucketState.UID_BLOCK).get(10, TimeUnit.SECONDS);
      assertThat(rest.firstUid() + rest.count() - 1).isEqualTo(reservedUid);
      assertThat(reported(p, user, MailStore.INBOX)).extracting(FragmentSummary::highestUid,
          FragmentSummary::highestModSeq).containsExactly(reservedUid, reservedModSeq);

      cluster.leave(p);
      awaitComplete(cluster, z, user, Set.of("m", "z"));
      Answer<UidGrant> uids = z.rpc.call("m", ManagerMessages.ALLOCATE_UIDS, new UidRequest(user, MailStore.INBOX, 1),
          Duration.ofSeconds(5)).get();
      assertThat(uids).isInstanceOf(Answer.Unreserved.class);
      assertThat(uids.describe()).contains("no live member holds the profile of " + user);
      assertThat(z.rpc.call("m", ManagerMessages.ALLOCATE_UIDS, new UidRequest(ghost, "Fresh", 1),
          Duration.ofSeconds(5)).get()).isInstanceOf(Answer.Unreserved.class);
      var impatient = new ManagerClient(z.rpc, () -> z.map, Duration.ofSeconds(5), 3, Duration.ofMillis(10));
      assertThatThrownBy(() -> impatient.allocateUids(user, MailStore.INBOX, 1).get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class).cause().isInstanceOf(ManagerException.class)
          .hasMessageContaining("not reserved")
          .extracting(e -> ((ManagerException) e).reason()).isEqualTo(ManagerException.Reason.UNRESERVED);
      // A MODSEQ inside the reserved block is durable on p already, so it is still given.
      ModSeqGrant flagChange = impatient.allocateModSeq(user, MailStore.INBOX).get(10, TimeUnit.SECONDS);
      assertThat(flagChange.modSeq()).isEqualTo(rest.firstModSeq() + rest.count()).isLessThan(reservedModSeq);
      // No UID was given meanwhile: the manager's watermark is the last grant's. (m holds a fragment: it
      // took the reservation with p, as a majority of the three members is two.)
      assertThat(inbox(z, user)).extracting(MailMap.MailboxLocation::highestUid, MailMap.MailboxLocation::nodes)
          .containsExactly(reservedUid, List.of("m", "z"));

      // p is back with its store: its report brings the reservation, and allocation continues above it.
      Node back = cluster.join(cluster.create("p"), true);
      assertThat(reported(back, user, MailStore.INBOX)).extracting(FragmentSummary::highestUid,
          FragmentSummary::highestModSeq).containsExactly(reservedUid, reservedModSeq);
      awaitComplete(cluster, z, user, Set.of("p", "m", "z"));
      UidGrant next = z.client.allocateUids(user, MailStore.INBOX, 1).get(10, TimeUnit.SECONDS);
      assertThat(next.firstUid()).isEqualTo(reservedUid + 1);
      assertThat(next.firstModSeq()).isEqualTo(reservedModSeq + 1);
      assertThat(next.fragmentNodes()).containsExactly("p", "z");
    }
  }

  /**
   * Finding 10 (docs/RELIABILITY.md, chaos seed 38): the profile is on a and b. While b is down, a
   * reservation beyond b's is made and a UID from it is given (its message stored on a alone, as a
   * delivery refused with 451 leaves it). Then a goes down and b returns: the manager rebuilt from b
   * and c alone must not give that UID again. Before, the reservation went to the live profile node
   * only (a), so the new manager knew b's older one and gave UID 1,002 a second time; now it also
   * went to c, as a majority of the three members must hold it.
   */
  @Test
  void aReservationMadeWhileAProfileNodeIsDown_isHeardByAManagerRebuiltWithoutTheNodeThatMadeIt() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("reserve-majority", dir).rememberingMembers()) {
      String user = user(u -> UserMap.of(List.of("a", "b", "c"), ManagerNodes.BUCKETS).managerOf(u).equals("a")
          && UserMap.of(List.of("a", "c"), ManagerNodes.BUCKETS).managerOf(u).equals("a")
          && UserMap.of(List.of("b", "c"), ManagerNodes.BUCKETS).managerOf(u).equals("b"));
      Node a = cluster.create("a");
      Node b = cluster.create("b");
      Node c = cluster.create("c");
      a.store.addUser(user, "secret".toCharArray());
      b.store.addUser(user, "secret".toCharArray());
      for (Node node : List.of(a, b, c)) {
        cluster.join(node, true);
      }
      awaitComplete(cluster, c, user, Set.of("a", "b", "c"));
      UidGrant first = c.client.allocateUids(user, "Work", 1).get(10, TimeUnit.SECONDS);
      assertThat(first.firstUid()).isEqualTo(1);
      assertThat(reported(b, user, "Work").highestUid()).isEqualTo(1 + BucketState.UID_BLOCK);

      cluster.leave(b);
      awaitComplete(cluster, c, user, Set.of("a", "c"));
      UidGrant whileDown = c.client.allocateUids(user, "Work", (int) BucketState.UID_BLOCK + 1).get(10, TimeUnit.SECONDS);
      long given = whileDown.firstUid() + whileDown.count() - 1;
      assertThat(given).as("beyond b's reservation").isGreaterThan(1 + BucketState.UID_BLOCK);
      store(a, user, whileDown, whileDown.count() - 1);

      cluster.leave(a);
      Node back = cluster.join(cluster.create("b"), true);
      awaitComplete(cluster, c, user, Set.of("b", "c"));
      assertThat(back.map.managerOf(user)).isEqualTo("b");
      UidGrant after = c.client.allocateUids(user, "Work", 1).get(10, TimeUnit.SECONDS);
      assertThat(after.uidValidity()).isEqualTo(first.uidValidity());
      assertThat(after.firstUid()).as("UID %d was given while b was down", given).isGreaterThan(given);
      assertThat(reported(c, user, "Work").highestUid()).as("c took that reservation with a").isGreaterThan(given);
    }
  }

  @Test
  void reservations_areMadeOncePerBlock_andNeverShowInTheClientsHighestModSeq() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("reserve-block", dir)) {
      String user = user(u -> UserMap.of(List.of("p", "m"), ManagerNodes.BUCKETS).managerOf(u).equals("m"));
      Node p = cluster.create("p");
      Node m = cluster.create("m");
      p.store.addUser(user, "secret".toCharArray());
      MailboxInfo visibleBefore = p.store.mailbox(user, MailStore.INBOX).orElseThrow();
      long modSeq0 = visibleBefore.highestModSeq();
      for (Node node : List.of(p, m)) {
        cluster.join(node, true);
      }
      awaitComplete(cluster, p, user, Set.of("p", "m"));

      // The first allocation reserves its need plus a block; the next ten fit in it.
      for (int i = 0; i < 11; i++) {
        p.client.allocateUids(user, MailStore.INBOX, 100).get(10, TimeUnit.SECONDS);
        assertThat(reported(p, user, MailStore.INBOX)).as("after allocation %d", i + 1)
            .extracting(FragmentSummary::highestUid, FragmentSummary::highestModSeq)
            .containsExactly(100 + BucketState.UID_BLOCK, modSeq0 + 100 + BucketState.MODSEQ_BLOCK);
      }
      // The twelfth needs UID 1,200: a new block of UIDs; MODSEQs are still covered and stay.
      p.client.allocateUids(user, MailStore.INBOX, 100).get(10, TimeUnit.SECONDS);
      assertThat(reported(p, user, MailStore.INBOX)).extracting(FragmentSummary::highestUid,
          FragmentSummary::highestModSeq).containsExactly(1_200 + BucketState.UID_BLOCK,
          modSeq0 + 100 + BucketState.MODSEQ_BLOCK);
      // MODSEQs for flag changes come from the same block.
      for (int i = 0; i < 5; i++) {
        m.client.allocateModSeq(user, MailStore.INBOX).get(10, TimeUnit.SECONDS);
      }
      assertThat(reported(p, user, MailStore.INBOX).highestModSeq()).isEqualTo(modSeq0 + 100 + BucketState.MODSEQ_BLOCK);

      // Clients of p see the fragment's own counters: a HIGHESTMODSEQ of 10,000 ahead would hide changes.
      assertThat(p.store.mailbox(user, MailStore.INBOX)).contains(visibleBefore);
      assertThat(p.store.mailboxes(user)).extracting(MailboxInfo::highestModSeq).allMatch(s -> s == modSeq0);
      // The manager's mail map shows what it gave, not what it reserved.
      assertThat(inbox(m, user)).extracting(MailMap.MailboxLocation::highestUid, MailMap.MailboxLocation::highestModSeq)
          .containsExactly(1_200L, modSeq0 + 1_200 + 5);

      // Only the user's manager may reserve: an old manager must not make numbers durable unheard.
      FragmentSummary before = reported(p, user, MailStore.INBOX);
      var bogus = new ReservedWatermarks(user, MailStore.INBOX, visibleBefore.uidValidity(), 50_000, 50_000);
      assertThatThrownBy(() -> p.rpc.call("p", ManagerMessages.RESERVE_WATERMARKS, bogus, Duration.ofSeconds(5)).get())
          .isInstanceOf(ExecutionException.class).cause().isInstanceOf(RpcException.class)
          .hasMessageContaining("only from its manager")
          .extracting(e -> ((RpcException) e).code()).isEqualTo(RpcException.Code.HANDLER_FAILED);
      assertThat(reported(p, user, MailStore.INBOX)).isEqualTo(before);
      m.rpc.call("p", ManagerMessages.RESERVE_WATERMARKS, bogus, Duration.ofSeconds(5)).get();
      assertThat(reported(p, user, MailStore.INBOX)).extracting(FragmentSummary::highestUid,
          FragmentSummary::highestModSeq).containsExactly(50_000L, 50_000L);
    }
  }

  /** Some user whose address satisfies {@code wanted} (probed in a fixed order). */
  private static String user(Predicate<String> wanted) {
    for (int i = 0; ; i++) {
      String user = "r" + i + "@example.org";
      if (wanted.test(user)) {
        return user;
      }
    }
  }

  private static void awaitComplete(ManagerNodes cluster, Node asker, String user, Set<String> names) {
    await().atMost(VIEWS).until(() -> cluster.viewsAre(names));
    await().atMost(VIEWS).until(() -> asker.client.mailMap(user).get(5, TimeUnit.SECONDS).complete());
  }

  private static MailMap.MailboxLocation inbox(Node asker, String user) throws Exception {
    return asker.client.mailMap(user).get(5, TimeUnit.SECONDS).mailboxes().stream()
        .filter(b -> b.name().equals(MailStore.INBOX)).findFirst().orElseThrow();
  }

  /** The fragment as {@code node}'s store reports it to managers. */
  private static FragmentSummary reported(Node node, String user, String mailbox) {
    return node.held().stream().filter(u -> u.user().equals(user)).flatMap(u -> u.fragments().stream())
        .filter(f -> f.mailbox().equals(mailbox)).findFirst().orElseThrow();
  }

  /** Stores message {@code k} of a grant on {@code node}, as a delivery would. */
  private static void store(Node node, String user, UidGrant grant, int k) {
    long uid = grant.firstUid() + k;
    byte[] body = ("Subject: " + uid + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
    node.store.storeAssigned(new AssignedMessage(user, grant.mailbox(), grant.uidValidity(), uid, grant.firstModSeq() + k,
        body, Set.of(), null, null)).join();
  }
}
