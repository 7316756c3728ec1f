package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.usermap.UserMap;
import dev.quill.server.admin.AdminOps;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three real nodes in three JVMs, with production failure-detection timing: they form one view,
 * {@code cluster status} on any of them shows the same cluster, a SIGKILLed node drops out and its
 * buckets move, it comes back with the same buckets, a node of another cluster name stays out, and
 * SIGTERM leaves gracefully.
 */
class ClusterJvmTest {
  private static final int BUCKETS = 1024;

  @TempDir
  Path dir;

  @Test
  void threeNodes_formOneView_recoverFromKill9_andKeepOtherClustersOut() throws Exception {
    try (ClusterHarness h = new ClusterHarness(dir)) {
      ClusterHarness.Node n1 = h.define("n1", "quill", List.of());
      ClusterHarness.Node n2 = h.define("n2", "quill", List.of("n1"));
      ClusterHarness.Node n3 = h.define("n3", "quill", List.of("n1", "n2"));
      h.startAll(n1, n2, n3);
      try (AdminOps ops = RemoteAdminOps.connect(n2.dir).orElseThrow()) {
        ops.addDomain("example.test");
        ops.addUser("alice@example.test", "secret".toCharArray());
      }

      // One view of three, seen the same from every node, with fresh loads and every member's counts.
      ClusterReport report = awaitMembers(h, n1, List.of("n1", "n2", "n3"), true);
      assertThat(bucketCounts(report)).isEqualTo(UserMap.of(List.of("n1", "n2", "n3"), BUCKETS).bucketCounts());
      assertThat(report.nodes().stream().mapToInt(ClusterReport.Node::buckets).sum()).isEqualTo(BUCKETS);
      assertThat(report.coordinator()).isEqualTo("n1");
      assertThat(report.nodes()).allSatisfy(n -> assertThat(n.unreachable()).isNull());
      assertThat(node(report, "n2").counts().users()).isEqualTo(1);
      assertThat(report.nodes().stream().mapToLong(n -> n.counts().users()).sum())
          .as("the profile on two nodes, as R = 2 asks").isEqualTo(2);
      ClusterReport fromN3 = h.status(n3);
      assertThat(fromN3.viewId()).isEqualTo(report.viewId());
      assertThat(fromN3.self()).isEqualTo("n3");
      String table = h.statusTable(n2);
      assertThat(table).startsWith("cluster quill, view " + report.viewId()).contains("3 members, 1024 buckets");
      assertThat(table.lines().filter(l -> l.matches("^n[123].*"))).hasSize(3);

      // SIGKILL: the others exclude n3 within failure detection, and its buckets go to them.
      long killedAt = System.nanoTime();
      h.kill(n3);
      report = awaitMembers(h, n1, List.of("n1", "n2"), false);
      long excludedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      assertThat(excludedMillis).as("exclusion time of a killed node").isLessThan(10_000);
      assertThat(bucketCounts(report)).isEqualTo(UserMap.of(List.of("n1", "n2"), BUCKETS).bucketCounts());
      assertThat(h.status(n2).nodes()).extracting(ClusterReport.Node::name).containsExactlyInAnyOrder("n1", "n2");

      // Restart on the same data directory and name: back in, with the same share of buckets.
      h.launch(n3);
      h.awaitReady(n3, 60);
      report = awaitMembers(h, n1, List.of("n1", "n2", "n3"), false);
      assertThat(bucketCounts(report)).isEqualTo(UserMap.of(List.of("n1", "n2", "n3"), BUCKETS).bucketCounts());
      assertThat(Files.readString(n1.log())).contains("event=view").contains("members=[n1, n2, n3]")
          .contains("members=[n1, n2]");

      // Another cluster name, seeded with n1: it forms its own cluster and n1's view does not change.
      ClusterHarness.Node x1 = h.define("x1", "other", List.of("n1"));
      h.launch(x1);
      h.awaitReady(x1, 60);
      ClusterReport other = h.status(x1);
      assertThat(other.clusterName()).isEqualTo("other");
      assertThat(other.nodes()).extracting(ClusterReport.Node::name).containsExactly("x1");
      assertThat(h.status(n1).nodes()).extracting(ClusterReport.Node::name).containsExactlyInAnyOrder("n1", "n2", "n3");

      // SIGTERM: n2 leaves gracefully; the others see it at once, not after failure detection.
      n2.process.destroy();
      assertThat(n2.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
      long exitedAt = System.nanoTime();
      awaitMembers(h, n1, List.of("n1", "n3"), false);
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - exitedAt)).as("view change after a graceful leave")
          .isLessThan(2_000);
      assertThat(Files.readString(n2.log())).contains("event=leave node=n2");
    }
  }

  /**
   * Polls {@code cluster status} on {@code node} until the members are exactly {@code names} (sorted)
   * and every one of them answered with its counts.
   */
  private static ClusterReport awaitMembers(ClusterHarness h, ClusterHarness.Node node, List<String> names,
      boolean freshLoads) {
    Object[] last = new Object[1];
    try {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
        ClusterReport r;
        try {
          r = h.status(node);
        } catch (IOException | AssertionError e) {
          last[0] = e;
          return false;
        }
        last[0] = r;
        // View order is join order (n3 may join before n2), so the names are compared as a set.
        return r.nodes().stream().map(ClusterReport.Node::name).sorted().toList().equals(names)
            && r.nodes().stream().allMatch(n -> n.counts() != null) // a node busy starting may miss the first timeout
            && (!freshLoads || r.nodes().stream().allMatch(n -> n.loadAgeMillis() != null && n.loadAgeMillis() < 3_000));
      });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError("members of " + node.name + " did not become " + names + "; last status: " + last[0]
          + "\nlog of " + node.name + ":\n" + readLog(node), e);
    }
    return (ClusterReport) last[0];
  }

  private static String readLog(ClusterHarness.Node node) {
    try {
      return Files.readString(node.log());
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static ClusterReport.Node node(ClusterReport r, String name) {
    return r.nodes().stream().filter(n -> n.name().equals(name)).findFirst().orElseThrow();
  }

  private static Map<String, Integer> bucketCounts(ClusterReport r) {
    Map<String, Integer> counts = new TreeMap<>();
    r.nodes().forEach(n -> counts.put(n.name(), n.buckets()));
    return counts;
  }
}
