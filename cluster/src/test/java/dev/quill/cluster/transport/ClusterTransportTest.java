package dev.quill.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.TestNodes;
import dev.quill.cluster.usermap.UserMap;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class ClusterTransportTest {
  private static final Duration VIEW_WAIT = Duration.ofSeconds(15);

  @Test
  void singleNode_withoutSeeds_isAClusterOfOne() throws Exception {
    try (TestNodes nodes = new TestNodes("solo")) {
      ClusterTransport n1 = nodes.start("n1");
      assertThat(n1.view().members()).containsExactly("n1");
      assertThat(n1.view().coordinator()).isEqualTo("n1");
    }
  }

  @Test
  void aMembersNameTravelsInItsAddress_soViewsNameItEvenWhenTheNameCacheDoesNot() {
    // Seen in a 4-JVM test: a member that joined a moment ago was missing from JGroups' logical-name
    // cache on two nodes, whose view then listed its UUID and gave its buckets to a node that does
    // not exist. Every address the transport generates carries the node name itself.
    org.jgroups.util.ExtendedUUID named = ClusterTransport.newAddress("n7");
    org.jgroups.util.NameCache.remove(named);
    assertThat(ClusterTransport.nameOf(named)).isEqualTo("n7");
    org.jgroups.util.UUID plain = org.jgroups.util.UUID.randomUUID();
    assertThat(ClusterTransport.nameOf(plain)).as("an address without a name: its UUID, as a last resort")
        .isEqualTo(plain.toString());
  }

  @Test
  void framesArrivingBeforeAListenerIsSet_areKeptAndHandedOverInOrder() throws Exception {
    try (TestNodes nodes = new TestNodes("early")) {
      ClusterTransport n1 = nodes.start("n1");
      ClusterTransport n2 = nodes.start("n2");
      await().atMost(VIEW_WAIT).until(() -> n1.view().size() == 2 && n2.view().size() == 2);
      for (int i = 0; i < 50; i++) {
        n1.send("n2", new byte[] {(byte) i});
      }
      Thread.sleep(300); // let them arrive while n2 has no listener (the point of the test)
      List<Integer> got = new CopyOnWriteArrayList<>();
      n2.setFrameListener((from, principal, buffer, offset, length) -> got.add((int) buffer[offset]));
      n1.send("n2", new byte[] {50});
      await().atMost(Duration.ofSeconds(5)).until(() -> got.size() == 51);
      assertThat(got).isEqualTo(java.util.stream.IntStream.rangeClosed(0, 50).boxed().toList());
    }
  }

  @Test
  void aNodeWhoseNameIsTaken_refusesToJoin_andTheOthersKeepTheirView() throws Exception {
    try (TestNodes nodes = new TestNodes("names")) {
      ClusterTransport n1 = nodes.start("n1");
      ClusterTransport n2 = nodes.start("n2");
      await().atMost(VIEW_WAIT).until(() -> n1.view().size() == 2 && n2.view().size() == 2);
      assertThatThrownBy(() -> nodes.start("n2")).isInstanceOf(ClusterException.class)
          .hasMessageContaining("node name n2 is already used");
      await().atMost(VIEW_WAIT).until(() -> n1.view().members().equals(List.of("n1", "n2")));
      assertThat(n2.view().members()).containsExactly("n1", "n2");
    }
  }

  @Test
  void portAlreadyTaken_orWildcardBindHost_failsWithAClearError() throws Exception {
    try (var taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(TestNodes.HOST))) {
      ClusterSettings busy = ClusterSettings.of("busy", "n1", TestNodes.HOST, taken.getLocalPort(), List.of())
          .withTimeouts(TestNodes.FAST);
      assertThatThrownBy(() -> ClusterTransport.start(busy)).isInstanceOf(ClusterException.class)
          .hasMessageContaining("n1").hasMessageContaining(String.valueOf(taken.getLocalPort()));
    }
    ClusterSettings wildcard = ClusterSettings.of("any", "n1", "0.0.0.0", 7800, List.of());
    assertThatThrownBy(() -> ClusterTransport.start(wildcard)).isInstanceOf(ClusterException.class)
        .hasMessageContaining("concrete address");
  }

  @Test
  void nodesJoinAndLeave_everyNodeSeesTheSameViewsAndUserMap() throws Exception {
    try (TestNodes nodes = new TestNodes("grow")) {
      ClusterTransport n1 = nodes.start("n1");
      List<ClusterView> seenByN1 = new CopyOnWriteArrayList<>();
      n1.addViewListener(seenByN1::add);
      ClusterTransport n2 = nodes.start("n2");
      ClusterTransport n3 = nodes.start("n3");
      List<ClusterTransport> three = List.of(n1, n2, n3);
      await().atMost(VIEW_WAIT).until(() -> three.stream().allMatch(n -> n.view().size() == 3));
      assertThat(n3.view().members()).containsExactly("n1", "n2", "n3");
      assertThat(n3.view().coordinator()).isEqualTo("n1");

      ClusterTransport n4 = nodes.start("n4");
      List<ClusterTransport> four = List.of(n1, n2, n3, n4);
      await().atMost(VIEW_WAIT).until(() -> four.stream().allMatch(n -> n.view().size() == 4));
      assertSameViewAndUserMap(four);

      n2.close();
      List<ClusterTransport> rest = List.of(n1, n3, n4);
      await().atMost(VIEW_WAIT).until(() -> rest.stream().allMatch(n -> n.view().members().equals(
          List.of("n1", "n3", "n4"))));
      assertSameViewAndUserMap(rest);

      // The listener saw every view once, in rising order, ending with the current one.
      await().atMost(VIEW_WAIT).until(() -> seenByN1.getLast().equals(n1.view()));
      assertThat(seenByN1).extracting(ClusterView::sequence).isSorted().doesNotHaveDuplicates();
      assertThat(seenByN1.getFirst().members()).containsExactly("n1");
    }
  }

  @Test
  void anotherClusterName_onTheSameSeeds_staysSeparate() throws Exception {
    try (TestNodes nodes = new TestNodes("blue")) {
      ClusterTransport blue1 = nodes.start("b1");
      ClusterTransport blue2 = nodes.start("b2");
      ClusterTransport red1 = nodes.start("r1", "red");
      ClusterTransport red2 = nodes.start("r2", "red");
      // Long enough for discovery, heartbeats and at least one merge round (FAST: 1-2 s).
      await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() ->
          blue1.view().members().equals(List.of("b1", "b2"))
              && blue2.view().members().equals(List.of("b1", "b2"))
              && red1.view().members().equals(List.of("r1", "r2"))
              && red2.view().members().equals(List.of("r1", "r2")));
    }
  }

  private static void assertSameViewAndUserMap(List<ClusterTransport> nodes) {
    ClusterView first = nodes.getFirst().view();
    UserMap expected = UserMap.of(first.members(), UserMap.DEFAULT_BUCKETS);
    for (ClusterTransport node : nodes) {
      assertThat(node.view()).isEqualTo(first);
      assertThat(UserMap.of(node.view().members(), UserMap.DEFAULT_BUCKETS)).isEqualTo(expected);
    }
  }
}
