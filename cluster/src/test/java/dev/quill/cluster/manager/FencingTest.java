package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.mail.FragmentService;
import dev.quill.cluster.manager.ManagerNodes.Node;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.MailboxInfo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One writer per mailbox, fenced by the view: real nodes, real transports; the storing nodes check
 * each write's {@link Fence} against the user's manager in their own view ({@link ManagerService#check}).
 */
class FencingTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final UserMap TWO = UserMap.of(List.of("n1", "n2"), ManagerNodes.BUCKETS);
  private static final UserMap THREE = UserMap.of(List.of("n1", "n2", "n3"), ManagerNodes.BUCKETS);

  @TempDir Path dir;

  @Test
  void aDeposedManagersNumbers_areRefusedEverywhere_beforeAnythingIsWritten_andAfterItRegainsTheBucket()
      throws Exception {
    String moving = userWhere("moving", u -> THREE.managerOf(u).equals("n3"));
    String staying = userWhere("staying", u -> TWO.managerOf(u).equals(THREE.managerOf(u)));
    try (ManagerNodes cluster = new ManagerNodes("fencing", dir)) {
      Node a = cluster.create("n1");
      Node b = cluster.create("n2");
      for (String user : List.of(moving, staying)) {
        a.store.addUser(user, "secret".toCharArray());
      }
      cluster.join(a, true);
      cluster.join(b, true);
      await().atMost(DEADLINE).until(() -> cluster.viewsAre(Set.of("n1", "n2")));
      awaitComplete(a, moving, staying);
      Map<String, FragmentService> storing = new TreeMap<>();
      storing.put("n1", new FragmentService(a.rpc, a.store, a.service));
      storing.put("n2", new FragmentService(b.rpc, b.store, b.service));

      UidGrant old = a.client.allocateUids(moving, "INBOX", 1).get(10, TimeUnit.SECONDS);
      UidGrant kept = a.client.allocateUids(staying, "INBOX", 1).get(10, TimeUnit.SECONDS);
      ModSeqGrant oldModSeq = a.client.allocateModSeq(moving, "INBOX").get(10, TimeUnit.SECONDS);
      assertThat(old.fence().manager()).isEqualTo(TWO.managerOf(moving));
      assertThat(oldModSeq.fence()).isEqualTo(old.fence());

      // n3 joins: the moving user's bucket goes to n3, the staying user's stays where it was.
      Node c = cluster.join(cluster.create("n3"), true);
      storing.put("n3", new FragmentService(c.rpc, c.store, c.service));
      await().atMost(DEADLINE).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
      awaitComplete(a, moving, staying);

      // Every node refuses the deposed manager's numbers — through its own store (n1 -> n1) and over
      // the wire (n1 -> n2, n3) — and writes nothing.
      for (String target : storing.keySet()) {
        assertThatThrownBy(() -> storing.get("n1").store(target, message(moving, old), old.fence(), TIMEOUT).join())
            .as("store on " + target).isInstanceOf(CompletionException.class)
            .cause().isInstanceOf(FencedException.class).hasMessageContaining("n3");
      }
      for (Node n : List.of(a, b, c)) {
        assertThat(messages(n, moving)).as(n.name + " wrote nothing").isZero();
        assertThatThrownBy(() -> n.service.check(moving, oldModSeq.fence())).isInstanceOf(FencedException.class);
      }

      // The new manager's numbers are taken, and above the deposed one's (never given twice).
      UidGrant fresh = b.client.allocateUids(moving, "INBOX", 1).get(10, TimeUnit.SECONDS);
      assertThat(fresh.fence().manager()).isEqualTo("n3");
      assertThat(fresh.firstUid()).isGreaterThan(old.firstUid());
      AppendResult stored = storing.get("n2").store("n1", message(moving, fresh), fresh.fence(), TIMEOUT).join();
      assertThat(stored.stored()).isTrue();
      assertThat(messages(a, moving)).isOne();

      // A manager that kept its bucket through the view change keeps its numbers: no needless refusal.
      assertThat(storing.get("n1").store("n3", message(staying, kept), kept.fence(), TIMEOUT).join().stored())
          .isTrue();
      // A numbering from a view newer than the storing node's is taken: that node has not installed it yet.
      Fence ahead = new Fence("n2", c.transport.view().sequence() + 100);
      b.service.check(moving, ahead);

      // n3 leaves: the bucket returns to its old manager, but numbers it gave before n3 managed the user
      // stay refused — another manager numbered in between.
      cluster.leave(c);
      await().atMost(DEADLINE).until(() -> cluster.viewsAre(Set.of("n1", "n2")));
      assertThat(a.map.managerOf(moving)).isEqualTo(old.fence().manager());
      for (Node n : List.of(a, b)) {
        assertThatThrownBy(() -> n.service.check(moving, old.fence())).as(n.name).isInstanceOf(FencedException.class);
      }
      awaitComplete(a, moving);
      UidGrant again = a.client.allocateUids(moving, "INBOX", 1).get(10, TimeUnit.SECONDS);
      assertThat(again.fence().manager()).isEqualTo(old.fence().manager());
      assertThat(again.fence().viewSequence()).isGreaterThan(fresh.fence().viewSequence());
      assertThat(storing.get("n2").store("n2", message(moving, again), again.fence(), TIMEOUT).join().stored())
          .isTrue();
    }
  }

  private static void awaitComplete(Node node, String... users) {
    for (String user : users) {
      await().atMost(DEADLINE).ignoreExceptions()
          .until(() -> node.client.mailMap(user).get(5, TimeUnit.SECONDS).complete());
    }
  }

  private static long messages(Node node, String user) {
    return node.store.mailbox(user, "INBOX").map(MailboxInfo::messageCount).orElse(0);
  }

  private static AssignedMessage message(String user, UidGrant grant) {
    byte[] body = ("Subject: fenced " + grant.firstUid() + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
    return new AssignedMessage(user, grant.mailbox(), grant.uidValidity(), grant.firstUid(), grant.firstModSeq(), body,
        Set.of(), Instant.now(), null);
  }

  private static String userWhere(String prefix, Predicate<String> wanted) {
    for (int i = 0; ; i++) {
      String user = prefix + i + "@example.org";
      if (wanted.test(user)) {
        return user;
      }
    }
  }
}
