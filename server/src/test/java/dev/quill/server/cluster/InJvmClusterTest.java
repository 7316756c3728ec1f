package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.ManagerStatus;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.cli.QuillCli;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole {@link QuillNode}s in this JVM ({@link InJvmCluster}): membership, managers and status,
 * faster than the JVM suite for what does not need a process boundary.
 */
class InJvmClusterTest {
  @TempDir
  Path dir;

  private InJvmCluster cluster;
  private List<QuillNode> nodes;

  @BeforeEach
  void setUp() {
    cluster = new InJvmCluster(dir, "injvm");
    nodes = cluster.nodes();
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private QuillNode start(String name) throws Exception {
    return cluster.start(name);
  }

  private NodeConfig config(String name) {
    return cluster.config(name);
  }

  @Test
  void threeNodes_shareOneMap_reportEveryMember_andAGracefulLeaveMovesOnlyItsBuckets() throws Exception {
    QuillNode a = start("a");
    QuillNode b = start("b");
    QuillNode c = start("c");
    await().atMost(Duration.ofSeconds(15)).until(() -> nodes.stream().allMatch(n -> n.cluster().view().size() == 3));
    a.store().addDomain("example.test");
    a.store().addUser("u1@example.test", "pw".toCharArray());
    a.store().addUser("u2@example.test", "pw".toCharArray());

    UserMap three = UserMap.of(List.of("a", "b", "c"), 1024);
    assertThat(nodes).allSatisfy(n -> assertThat(n.cluster().map()).isEqualTo(three));
    ClusterReport report = c.clusterReport();
    assertThat(report.clustered()).isTrue();
    assertThat(report.clusterName()).isEqualTo("injvm");
    assertThat(report.nodes()).extracting(ClusterReport.Node::name).containsExactly("a", "b", "c");
    assertThat(report.nodes().getFirst().counts()).isEqualTo(new ClusterReport.Counts(2, 12, 0, 0));
    assertThat(report.nodes().get(1).counts()).isEqualTo(new ClusterReport.Counts(0, 0, 0, 0));

    int[] before = a.cluster().map().bucketsOf("a");
    c.close(); // SIGTERM path: listeners, then a graceful leave, then the store
    await().atMost(Duration.ofSeconds(2)).until(() -> a.cluster().view().size() == 2 && b.cluster().view().size() == 2);
    UserMap two = a.cluster().map();
    assertThat(two).isEqualTo(UserMap.of(List.of("a", "b"), 1024));
    assertThat(two.bucketsOf("a")).contains(before); // a keeps its buckets and takes some of c's
    assertThat(b.clusterReport().nodes()).extracting(ClusterReport.Node::name).containsExactly("a", "b");
  }

  @Test
  void nodeWithoutClusterPort_runsWithoutJGroups_andStatusSaysStandalone() throws Exception {
    QuillNode solo = QuillNode.start(config("solo"));
    nodes.add(solo);
    solo.store().addDomain("example.test");
    solo.store().addUser("u@example.test", "pw".toCharArray());
    assertThat(solo.cluster()).isNull();

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = QuillCli.run(new PrintWriter(out), new PrintWriter(err), "cluster", "status", "--data",
        dir.resolve("solo").toString());
    assertThat(code).as(err.toString()).isZero();
    assertThat(out.toString()).startsWith("standalone (no cluster configured)");
    assertThat(out.toString().lines().skip(2).findFirst().orElseThrow()).matches("localhost\\s+-\\s+-\\s+-\\s+-\\s+1\\s+6\\s+0\\s+0");
  }

  @Test
  void statusWithoutARunningNode_saysSo() {
    StringWriter err = new StringWriter();
    int code = QuillCli.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "cluster", "status", "--data",
        dir.resolve("nothing").toString());
    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("no running node on");
  }

  @Test
  void managersRebuildTheirStateFromEveryMember_afterEachView() throws Exception {
    // the users exist before a joins: a profile added on a running clustered node is not reported to
    // its manager before the next view change yet (see docs/CLUSTER.md, "Not built yet")
    try (RocksMailStore before = RocksMailStore.open(dir.resolve("a").resolve("store"),
        StoreOptions.defaults().withHashIterations(1_000))) {
      before.addDomain("example.test");
      for (int i = 1; i <= 20; i++) {
        before.addUser("u" + i + "@example.test", "pw".toCharArray());
      }
    }
    QuillNode a = start("a");
    start("b");
    start("c");
    await().atMost(Duration.ofSeconds(20)).until(() -> nodes.stream().allMatch(n -> n.cluster().view().size() == 3
        && n.managerStatus().orElseThrow().completeBuckets() == n.managerStatus().orElseThrow().managedBuckets()));
    List<ManagerStatus> status = nodes.stream().map(n -> n.managerStatus().orElseThrow()).toList();
    assertThat(status.stream().mapToInt(ManagerStatus::managedBuckets).sum()).as("every bucket managed once").isEqualTo(1024);
    assertThat(status.stream().mapToInt(ManagerStatus::users).sum())
        .as("each user's profile on a is known to exactly one manager").isEqualTo(20);
    assertThat(status).extracting(ManagerStatus::viewId).containsOnly(a.cluster().view().id());

    // a profile created through b's admin channel is known to its manager at once, and so is its deletion
    ManagerClient client = new ManagerClient(a.cluster().rpc(), a.cluster()::map, Duration.ofSeconds(5), 5,
        Duration.ofMillis(100));
    try (var ops = RemoteAdminOps.connect(dir.resolve("b")).orElseThrow()) {
      ops.addDomain("example.test");
      ops.addUser("new@example.test", "pw".toCharArray());
      await().atMost(Duration.ofSeconds(5))
          .until(() -> client.mailMap("new@example.test").get().profileNodes().contains("b")
              && client.mailMap("new@example.test").get().profileNodes().size() == 2); // R = 2 copies
      assertThat(ops.deleteUser("new@example.test")).isTrue();
      await().atMost(Duration.ofSeconds(5))
          .until(() -> client.mailMap("new@example.test").get().profileNodes().isEmpty());
    }
  }
}
