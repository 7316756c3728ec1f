package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.transport.SecurityCounters;
import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.keys.ClusterCa;
import dev.quill.server.cli.QuillCli;
import dev.quill.server.node.QuillNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./quill cluster revoke} on three in-JVM nodes with their own CA: the others move to a new
 * key delivered sealed for each, the old one is retired, and the revoked node is locked out at once.
 */
class RevokeTest {
  @TempDir
  Path dir;
  private InJvmCluster cluster;

  @BeforeEach
  void create() {
    cluster = new InJvmCluster(dir, "revoke");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void aRevokedNode_isLockedOut_theOthersMoveToANewKey_andItsNameIsNotIssuedAgain() throws Exception {
    Path ca = dir.resolve("ca");
    assertThat(cli("cluster", "init", "--dir", ca.toString())).isZero();
    QuillNode a = start("a", ca);
    QuillNode b = start("b", ca);
    QuillNode c = start("c", ca);
    await().atMost(Duration.ofSeconds(20)).until(() -> a.cluster().view().size() == 3 && c.cluster().view().size() == 3);

    StringWriter out = new StringWriter();
    int code = QuillCli.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "cluster", "revoke", "c",
        "--ca", ca.toString(), "--data", dir.resolve("a").toString());
    assertThat(code).as(out.toString()).isZero();
    assertThat(out.toString()).contains("a: key 2 installed", "b: key 2 installed", "a: old keys retired",
        "b: old keys retired").doesNotContain("c:");

    // c is refused at once and, its heartbeats dropped, excluded from the view; a and b go on together.
    await().atMost(Duration.ofSeconds(20)).until(() -> a.cluster().view().members().equals(java.util.List.of("a", "b"))
        && b.cluster().view().members().equals(java.util.List.of("a", "b")));
    SecurityCounters seenByA = a.cluster().transport().securityCounters();
    assertThat(seenByA.dropped().get(Reason.REVOKED) + seenByA.dropped().get(Reason.RETIRED_KEY)).isPositive();
    // c cannot read the new traffic: it does not have key 2.
    await().atMost(Duration.ofSeconds(10)).until(() -> c.cluster().transport().securityCounters()
        .dropped().get(Reason.UNKNOWN_KEY) > 0);
    assertThat(a.cluster().transport().securityLayer().orElseThrow().revoked()).contains("c");
    // The CA keeps the new key for nodes issued later, and refuses the revoked name.
    assertThat(ClusterCa.open(ca).ring().current().id()).isEqualTo(2);
    assertThatThrownBy(() -> ClusterCa.open(ca).issue("c", Clock.systemUTC())).hasMessageContaining("revoked");
    QuillNode d = start("d", ca);
    await().atMost(Duration.ofSeconds(20)).until(() -> a.cluster().view().size() == 3 && d.cluster().view().size() == 3);
    assertThat(d.cluster().view().members()).containsExactlyInAnyOrder("a", "b", "d");
  }

  private QuillNode start(String name, Path ca) throws Exception {
    Path file = dir.resolve(name + ".own.credential");
    ClusterCa.open(ca).issue(name, Clock.systemUTC()).write(file);
    return cluster.start(name, c -> c.withCredentials(file));
  }

  private static int cli(String... args) {
    return QuillCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), args);
  }
}
