package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerMessages;
import dev.quill.security.keys.ClusterCa;
import dev.quill.security.keys.NodeCredential;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.cli.QuillCli;
import dev.quill.server.node.QuillNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traffic key rotation without a revocation, on real nodes in this JVM: on demand ({@code cluster
 * rotate-key}) while requests flow between every pair of members, and on the security server's schedule
 * ({@code [cluster] key_rotation}).
 */
class KeyRotationTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;
  @AutoClose
  private InJvmCluster cluster;

  @Test
  void rotateKeyOnDemand_withTrafficFlowing_dropsNothing_andEveryMemberEndsOnTheNewKey() throws Exception {
    cluster = new InJvmCluster(dir, "rotate");
    Path ca = dir.resolve("ca");
    ClusterCa.init(ca);
    for (String name : List.of("a", "b", "c")) {
      Path file = dir.resolve(name + ".own.credential");
      ClusterCa.open(ca).issue(name, Clock.systemUTC()).write(file);
      cluster.start(name, c -> c.withCredentials(file));
    }
    cluster.awaitComplete(3, WAIT);
    Map<String, Long> dropsBefore = drops();

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    List<String> names = List.of("a", "b", "c");
    Thread traffic = Thread.ofVirtual().start(() -> {
      for (int i = 0; running.get(); i++) {
        QuillNode from = cluster.nodes().get(i % 3);
        String to = names.get((i + 1) % 3);
        try {
          from.cluster().rpc().call(to, ManagerMessages.MAIL_MAP, "anyone@example.test", Duration.ofSeconds(5)).join();
        } catch (RuntimeException e) {
          failures.incrementAndGet();
        }
        calls.incrementAndGet();
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() >= 10); // traffic flows before the rotation

    // Through b, which is not the security server (a, the first member, is): b forwards to a.
    StringWriter out = new StringWriter();
    int code = QuillCli.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "cluster", "rotate-key", "--data",
        dir.resolve("b").toString());
    assertThat(code).as(out.toString()).isZero();
    assertThat(out.toString()).contains("a: key 2 accepted", "b: key 2 accepted", "c: key 2 accepted",
        "a: sending with key 2", "b: sending with key 2", "c: sending with key 2");
    int atSwitch = calls.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() >= atSwitch + 20); // traffic under the new key
    running.set(false);
    traffic.join();

    assertThat(calls.get()).isGreaterThan(20);
    assertThat(failures.get()).isZero();
    assertThat(drops()).as("messages refused by each member").isEqualTo(dropsBefore);
    try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve("c")).orElseThrow()) {
      ClusterReport status = ops.clusterStatus();
      assertThat(status.nodes()).hasSize(3).allSatisfy(n -> assertThat(n.security().keyId()).as(n.name()).isEqualTo(2));
    }
    assertThat(cluster.nodes()).allSatisfy(n -> assertThat(n.cluster().view().size()).isEqualTo(3));

    // The CA's ring is behind the cluster's now: a node issued through a running member gets the current key.
    Path file = dir.resolve("d.own.credential");
    assertThat(QuillCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), "cluster",
        "add-node", "d", "--ca", ca.toString(), "--out", file.toString(), "--data", dir.resolve("c").toString())).isZero();
    assertThat(NodeCredential.read(file).ring().current().id()).isEqualTo(2);
    assertThat(ClusterCa.open(ca).ring().current().id()).as("the CA keeps it for later credentials").isEqualTo(2);
    QuillNode d = cluster.start("d", c -> c.withCredentials(file));
    await().atMost(WAIT).until(() -> d.cluster().view().size() == 4);

    // After another rotation (key 3), a revocation takes a key id above it (the CA's ring alone would say 3 again).
    assertThat(QuillCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), "cluster",
        "rotate-key", "--data", dir.resolve("a").toString())).isZero();
    StringWriter revoked = new StringWriter();
    assertThat(QuillCli.run(new PrintWriter(revoked), new PrintWriter(new StringWriter()), "cluster", "revoke", "d",
        "--ca", ca.toString(), "--data", dir.resolve("a").toString())).as(revoked.toString()).isZero();
    assertThat(revoked.toString()).contains("a: key 4 installed", "c: old keys retired");
  }

  @Test
  void theSecurityServer_rotatesTheKeyOnItsSchedule() throws Exception {
    cluster = new InJvmCluster(dir, "rotate-scheduled");
    for (String name : List.of("a", "b")) {
      cluster.start(name, c -> c.withKeyRotation(Duration.ofSeconds(2)));
    }
    cluster.awaitComplete(2, WAIT);
    Map<String, Long> dropsBefore = drops();
    await().atMost(WAIT).until(() -> cluster.nodes().stream()
        .allMatch(n -> n.cluster().transport().securityCounters().keyId() >= 3));
    assertThat(cluster.nodes()).allSatisfy(n -> assertThat(n.cluster().view().size()).isEqualTo(2));
    assertThat(drops()).isEqualTo(dropsBefore);
  }

  private Map<String, Long> drops() {
    Map<String, Long> drops = new TreeMap<>();
    cluster.nodes().forEach(n -> drops.put(n.cluster().name(), n.cluster().transport().securityCounters().droppedTotal()));
    return drops;
  }
}
