package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerNodes.Node;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.MailboxEvent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Change notices through the users' managers, between real in-JVM nodes. */
class ChangeNoticesTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);

  @TempDir Path dir;

  @Test
  void watchOnA_hearsChangesPublishedOnB_notItsOwn_andStillAfterTheBucketMoves() throws Exception {
    String user = ManagerNodes.userMovingToN3("watch");
    try (ManagerNodes cluster = new ManagerNodes("notices-move", dir)) {
      List<Node> pair = cluster.startPair(DEADLINE);
      Node a = pair.get(0);
      Node b = pair.get(1);
      Queue<MailboxEvent> onA = new ConcurrentLinkedQueue<>();
      Queue<MailboxEvent> onB = new ConcurrentLinkedQueue<>();
      a.notices.watch(user, onA::add);
      b.notices.watch(user.toUpperCase(), onB::add); // addresses are normalised on both sides
      Node manager = a.map.managerOf(user).equals("n1") ? a : b;
      await().atMost(DEADLINE).until(() -> manager.service.watchers(user).equals(List.of("n1", "n2")));

      MailboxEvent fromA = event(user, MailboxEvent.Kind.APPENDED, 1);
      MailboxEvent fromB = event(user, MailboxEvent.Kind.FLAGS, 2);
      a.notices.publish(fromA);
      b.notices.publish(fromB);
      await().atMost(DEADLINE).until(() -> onA.contains(fromB) && onB.contains(fromA));
      // The manager forwarded A's change to B in the same step it would have sent it to A.
      Thread.sleep(300);
      assertThat(onA).containsExactly(fromB);
      assertThat(onB).containsExactly(fromA);

      Node c = cluster.join(cluster.create("n3"), true);
      await().atMost(DEADLINE).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
      assertThat(a.map.managerOf(user)).isEqualTo("n3");
      // n3 took the bucket without watches; n1 and n2 register again on their view change.
      await().atMost(DEADLINE).until(() -> c.service.watchers(user).equals(List.of("n1", "n2")));
      assertThat(manager.service.watchers(user)).isEmpty();
      MailboxEvent later = event(user, MailboxEvent.Kind.EXPUNGED, 3);
      b.notices.publish(later);
      await().atMost(DEADLINE).until(() -> onA.contains(later));
      assertThat(onB).doesNotContain(later);
    }
  }

  @Test
  void closingTheLastWatch_unregistersTheNode_andAFailingListenerDoesNotStopTheOthers() throws Exception {
    String user = "watched@example.org";
    try (ManagerNodes cluster = new ManagerNodes("notices-unwatch", dir)) {
      Node a = cluster.join(cluster.create("n1"), true);
      Node b = cluster.join(cluster.create("n2"), true);
      Node c = cluster.join(cluster.create("n3"), true);
      await().atMost(DEADLINE).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
      Node manager = List.of(a, b, c).stream().filter(n -> n.name.equals(a.map.managerOf(user))).findFirst().orElseThrow();
      Queue<MailboxEvent> first = new ConcurrentLinkedQueue<>();
      Queue<MailboxEvent> second = new ConcurrentLinkedQueue<>();
      Queue<MailboxEvent> onC = new ConcurrentLinkedQueue<>();
      AutoCloseable failing = a.notices.watch(user, e -> {
        throw new IllegalStateException("listener broke");
      });
      AutoCloseable watchFirst = a.notices.watch(user, first::add);
      AutoCloseable watchSecond = a.notices.watch(user, second::add);
      c.notices.watch(user, onC::add);
      await().atMost(DEADLINE).until(() -> manager.service.watchers(user).equals(List.of("n1", "n3")));

      MailboxEvent one = event(user, MailboxEvent.Kind.APPENDED, 10);
      b.notices.publish(one);
      await().atMost(DEADLINE).until(() -> first.contains(one) && second.contains(one) && onC.contains(one));

      // One of several watches closed (twice, harmlessly): the node still watches, the others still hear.
      watchFirst.close();
      watchFirst.close();
      MailboxEvent two = event(user, MailboxEvent.Kind.FLAGS, 11);
      b.notices.publish(two);
      await().atMost(DEADLINE).until(() -> second.contains(two) && onC.contains(two));
      assertThat(manager.service.watchers(user)).containsExactly("n1", "n3");

      // The last ones closed: the manager forgets n1, and changes reach only n3.
      watchSecond.close();
      failing.close();
      await().atMost(DEADLINE).until(() -> manager.service.watchers(user).equals(List.of("n3")));
      MailboxEvent three = event(user, MailboxEvent.Kind.EXPUNGED, 12);
      b.notices.publish(three);
      await().atMost(DEADLINE).until(() -> onC.contains(three));
      assertThat(first).containsExactly(one);
      assertThat(second).containsExactly(one, two);

      // Watching again registers again.
      Queue<MailboxEvent> again = new ConcurrentLinkedQueue<>();
      a.notices.watch(user, again::add);
      await().atMost(DEADLINE).until(() -> manager.service.watchers(user).equals(List.of("n1", "n3")));
      MailboxEvent four = event(user, MailboxEvent.Kind.CREATED, 13);
      b.notices.publish(four);
      await().atMost(DEADLINE).until(() -> again.contains(four));
    }
  }

  @Test
  void aDepartedWatcher_isForgottenByAManagerThatKeepsTheBucket() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("notices-depart", dir)) {
      Node a = cluster.join(cluster.create("n1"), true);
      Node b = cluster.join(cluster.create("n2"), true);
      Node c = cluster.join(cluster.create("n3"), true);
      await().atMost(DEADLINE).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
      // Managed by n1 with n3 and without it, so n1 keeps the bucket when n3 leaves.
      String user = userWhere(u -> a.map.managerOf(u).equals("n1")
          && UserMap.of(List.of("n1", "n2"), ManagerNodes.BUCKETS).managerOf(u).equals("n1"));
      a.notices.watch(user, e -> {});
      b.notices.watch(user, e -> {});
      c.notices.watch(user, e -> {});
      await().atMost(DEADLINE).until(() -> a.service.watchers(user).equals(List.of("n1", "n2", "n3")));
      cluster.leave(c);
      await().atMost(DEADLINE).until(() -> cluster.viewsAre(Set.of("n1", "n2")));
      assertThat(a.service.watchers(user)).containsExactly("n1", "n2");
    }
  }

  private static MailboxEvent event(String user, MailboxEvent.Kind kind, long modSeq) {
    return new MailboxEvent(user, "INBOX", kind, kind == MailboxEvent.Kind.CREATED ? List.of() : List.of(modSeq), modSeq);
  }

  private static String userWhere(java.util.function.Predicate<String> wanted) {
    for (int i = 0; ; i++) {
      String user = "watch" + i + "@example.org";
      if (wanted.test(user)) {
        return user;
      }
    }
  }
}
