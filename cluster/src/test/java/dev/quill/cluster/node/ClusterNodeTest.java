package dev.quill.cluster.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.TestNodes;
import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.ClusterView;
import dev.quill.cluster.transport.HostPort;
import dev.quill.cluster.usermap.BucketMove;
import dev.quill.cluster.usermap.UserMap;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Three in-JVM cluster nodes, each with its own JGroups TCP transport on 127.0.0.1. */
class ClusterNodeTest {
  private static final int BUCKETS = 1024;

  private record Event(ClusterView view, UserMap map, List<BucketMove> moves) {}

  private final List<Integer> ports = new ArrayList<>();
  private final List<ClusterNode> started = new ArrayList<>();

  @AfterEach
  void closeAll() {
    started.reversed().forEach(ClusterNode::close);
  }

  private ClusterNode start(String name, int diskQueue, Supplier<NodeStats> stats) throws Exception {
    return start(name, diskQueue, stats, null);
  }

  /** A node remembering its members in {@code membersFile} (null: in memory only). */
  private ClusterNode start(String name, int diskQueue, Supplier<NodeStats> stats, Path membersFile)
      throws Exception {
    int port = TestNodes.freePort();
    List<HostPort> seeds = ports.stream().map(p -> new HostPort(TestNodes.HOST, p)).toList();
    ClusterNode node = ClusterNode.start(
        ClusterSettings.of("node-test", name, TestNodes.HOST, port, seeds).withTimeouts(TestNodes.FAST)
            .withSecurity(TestNodes.security()),
        BUCKETS, () -> diskQueue, stats, membersFile, n -> { });
    ports.add(port);
    started.add(node);
    return node;
  }

  @Test
  void threeNodes_computeOneMap_tellListenersTheMoves_andReportStatusAndStats() throws Exception {
    ClusterNode n1 = start("n1", 1, () -> new NodeStats(1, 2, 3, 4));
    List<Event> events = new CopyOnWriteArrayList<>();
    n1.addMapListener((view, map, moves) -> events.add(new Event(view, map, moves)));
    assertThat(events).hasSize(1);
    assertThat(events.getFirst().moves()).isEmpty();
    assertThat(events.getFirst().map().bucketCounts()).containsEntry("n1", BUCKETS);

    ClusterNode n2 = start("n2", 2, () -> new NodeStats(10, 20, 30, 40));
    ClusterNode n3 = start("n3", 3, () -> new NodeStats(100, 200, 300, 400));
    await().atMost(Duration.ofSeconds(15)).until(() -> started.stream().allMatch(n -> n.view().size() == 3));

    UserMap expected = UserMap.of(List.of("n1", "n2", "n3"), BUCKETS);
    assertThat(n1.map()).isEqualTo(expected);
    assertThat(n2.map()).isEqualTo(expected);
    assertThat(n3.map()).isEqualTo(expected);
    await().atMost(Duration.ofSeconds(5)).until(() -> events.getLast().map().equals(expected));
    // Every join moved buckets only to the newcomer.
    for (Event e : events.subList(1, events.size())) {
      String newest = e.view().members().getLast();
      assertThat(e.moves()).isNotEmpty().allSatisfy(m -> assertThat(m.to()).isEqualTo(newest));
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> n2.status().members().stream().allMatch(m -> m.load().isPresent()));
    ClusterStatus status = n2.status();
    assertThat(status.self()).isEqualTo("n2");
    assertThat(status.viewId()).isEqualTo(n1.view().id());
    assertThat(status.coordinator()).isEqualTo("n1");
    assertThat(status.members()).extracting(ClusterStatus.Member::name).containsExactly("n1", "n2", "n3");
    assertThat(status.members().stream().mapToInt(ClusterStatus.Member::buckets).sum()).isEqualTo(BUCKETS);
    assertThat(status.members()).allSatisfy(m -> assertThat(m.loadAge().orElseThrow()).isLessThan(Duration.ofSeconds(3)));
    assertThat(status.members().get(2).load().orElseThrow().diskQueueDepth()).isEqualTo(3);

    List<MemberStats> answers = n3.memberStats(Duration.ofSeconds(5));
    // each member adds its security layer's counts to what its supplier gives
    assertThat(answers).allSatisfy(m -> assertThat(((MemberStats.Answered) m).stats().security().sealed()).isPositive());
    assertThat(answers.stream().map(m -> m instanceof MemberStats.Answered a
        ? new MemberStats.Answered(a.node(), a.stats().withSecurity(null)) : m).toList()).containsExactly(
        new MemberStats.Answered("n1", new NodeStats(1, 2, 3, 4)),
        new MemberStats.Answered("n2", new NodeStats(10, 20, 30, 40)),
        new MemberStats.Answered("n3", new NodeStats(100, 200, 300, 400)));

    int[] n3Buckets = n3.map().bucketsOf("n3");
    n3.close(); // graceful: the others install the smaller view without waiting for failure detection
    await().atMost(Duration.ofSeconds(3)).until(() -> n1.view().size() == 2 && n2.view().size() == 2);
    await().atMost(Duration.ofSeconds(3)).until(() -> events.getLast().view().size() == 2);
    assertThat(events.getLast().moves()).hasSize(n3Buckets.length)
        .allSatisfy(m -> assertThat(m.from()).isEqualTo("n3"));
    assertThat(n1.map().bucketsOf("n3")).isEmpty();
  }

  @Test
  void memberThatDoesNotAnswerInTime_isUnreachable() throws Exception {
    ClusterNode n1 = start("s1", 0, () -> new NodeStats(0, 0, 0, 0));
    start("s2", 0, () -> {
      try {
        Thread.sleep(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new NodeStats(0, 0, 0, 0);
    });
    await().atMost(Duration.ofSeconds(15)).until(() -> n1.view().size() == 2);
    List<MemberStats> answers = n1.memberStats(Duration.ofMillis(500));
    assertThat(answers.get(0)).isInstanceOfSatisfying(MemberStats.Answered.class,
        a -> assertThat(a.stats().withSecurity(null)).isEqualTo(new NodeStats(0, 0, 0, 0)));
    assertThat(answers.get(1)).isInstanceOfSatisfying(MemberStats.Unreachable.class,
        u -> assertThat(u.reason()).contains("did not answer"));
  }

  @Test
  void aCrashedMemberIsMissingUntilItReturns_aGracefulLeaveIsNot() throws Exception {
    ClusterNode n1 = start("n1", 0, () -> new NodeStats(0, 0, 0, 0));
    ClusterNode n2 = start("n2", 0, () -> new NodeStats(0, 0, 0, 0));
    ClusterNode n3 = start("n3", 0, () -> new NodeStats(0, 0, 0, 0));
    await().atMost(Duration.ofSeconds(15)).until(() -> started.stream().allMatch(n -> n.view().size() == 3));

    n3.announceLeaving();
    await().atMost(Duration.ofSeconds(5)).until(() -> n1.leavingMembers().equals(Set.of("n3")));
    n3.close();
    started.remove(n3);
    await().atMost(Duration.ofSeconds(10)).until(() -> n1.view().size() == 2);
    assertThat(n1.missingMembers()).as("a graceful leave is not a failure").isEmpty();
    assertThat(n1.leavingMembers()).isEmpty();

    n2.closeSilently();
    started.remove(n2);
    await().atMost(Duration.ofSeconds(15)).until(() -> n1.view().size() == 1);
    assertThat(n1.missingMembers()).containsExactly("n2");

    start("n2", 0, () -> new NodeStats(0, 0, 0, 0));
    await().atMost(Duration.ofSeconds(15)).until(() -> n1.view().size() == 2);
    assertThat(n1.missingMembers()).as("back").isEmpty();
  }

  /**
   * Chaos seed 2: a node restarted while the others were out of reach formed a cluster of one that
   * knew of no one missing, so writes needed one copy. With a members file it still counts the members
   * it knew — but not one that left gracefully — until they return.
   */
  @Test
  void aNodeRestartedAlone_stillCountsTheCrashedMembersItKnew_notTheOnesThatLeftGracefully(
      @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    NodeStats none = new NodeStats(0, 0, 0, 0);
    ClusterNode n1 = start("n1", 0, () -> none, dir.resolve("n1-members"));
    ClusterNode n2 = start("n2", 0, () -> none, dir.resolve("n2-members"));
    ClusterNode n3 = start("n3", 0, () -> none, dir.resolve("n3-members"));
    await().atMost(Duration.ofSeconds(15)).until(() -> started.stream().allMatch(n -> n.view().size() == 3));

    n3.announceLeaving();
    await().atMost(Duration.ofSeconds(5)).until(() -> n1.leavingMembers().equals(Set.of("n3")));
    n3.close();
    started.remove(n3);
    await().atMost(Duration.ofSeconds(10)).until(() -> n1.view().size() == 2);
    n1.closeSilently();
    started.remove(n1);
    n2.closeSilently();
    started.remove(n2);

    ClusterNode again = start("n1", 0, () -> none, dir.resolve("n1-members"));
    assertThat(again.view().members()).as("nobody to join: a cluster of one").containsExactly("n1");
    assertThat(again.missingMembers()).as("n2 crashed and is presumed down; n3 left gracefully").containsExactly("n2");
    assertThat(again.membersSeen()).as("a graceful leaver may come back with its data: still seen")
        .containsExactlyInAnyOrder("n1", "n2", "n3");
    again.forget("n3", Duration.ofSeconds(5)).values().forEach(java.util.concurrent.CompletableFuture::join);
    assertThat(again.membersSeen()).as("forgotten for good").containsExactlyInAnyOrder("n1", "n2");

    start("n2", 0, () -> none, dir.resolve("n2-members"));
    await().atMost(Duration.ofSeconds(15)).until(() -> again.view().size() == 2);
    assertThat(again.missingMembers()).as("back").isEmpty();

    ClusterNode forgetful = start("n9", 0, () -> none, null);
    await().atMost(Duration.ofSeconds(15)).until(() -> again.view().size() == 3);
    forgetful.closeSilently();
    started.remove(forgetful);
    await().atMost(Duration.ofSeconds(15)).until(() -> again.missingMembers().contains("n9"));
    ClusterNode back = start("n9", 0, () -> none, null);
    await().atMost(Duration.ofSeconds(15)).until(() -> again.view().size() == 3);
    assertThat(back.missingMembers()).as("without a file a restart knows no one").isEmpty();
  }
}
