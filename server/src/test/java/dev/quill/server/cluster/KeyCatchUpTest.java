package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.keys.NodeCredential;
import dev.quill.server.node.QuillNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A member that was down while the cluster moved to a new traffic key takes the current key from a
 * member when it returns, with the credential it has (no new one issued); a revoked node and a node of
 * another CA ask the same way and get nothing.
 */
class KeyCatchUpTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;
  @AutoClose
  private InJvmCluster cluster;

  @Test
  void aMemberDownDuringARevocation_rejoinsWithItsOwnCredential_andTheRevokedNodeGetsNoKey() throws Exception {
    cluster = new InJvmCluster(dir, "catch-up");
    Path ca = dir.resolve("ca");
    assertThat(InJvmCluster.cli("cluster", "init", "--dir", ca.toString())).isZero();
    QuillNode a = cluster.startIssued("a", ca);
    QuillNode b = cluster.startIssued("b", ca);
    QuillNode c = cluster.startIssued("c", ca);
    await().atMost(WAIT).until(() -> cluster.nodes().stream().allMatch(n -> n.cluster().view().size() == 3));

    // b is down while c is revoked: a moves to key 2 and retires key 1, which is all b has.
    cluster.stop(b);
    await().atMost(WAIT).until(() -> a.cluster().view().size() == 2);
    assertThat(InJvmCluster.cli("cluster", "revoke", "c", "--ca", ca.toString(), "--data", dir.resolve("a").toString()))
        .isZero();
    assertThat(a.cluster().transport().securityCounters().keyId()).isEqualTo(2);
    await().atMost(WAIT).until(() -> a.cluster().view().members().equals(List.of("a")));
    assertThat(NodeCredential.read(dir.resolve("b.own.credential")).ring().current().id()).isEqualTo(1);

    // b returns with the credential it had: it asks a, takes key 2, joins, and learns that c is revoked.
    QuillNode b2 = cluster.restartIssued("b");
    await().atMost(WAIT).until(() -> a.cluster().view().size() == 2 && b2.cluster().view().size() == 2);
    assertThat(b2.cluster().transport().securityCounters().keyId()).isEqualTo(2);
    assertThat(NodeCredential.read(dir.resolve("b.own.credential")).ring().current().id())
        .as("saved with its credential, as after any rotation").isEqualTo(2);
    await().atMost(WAIT).until(() -> b2.cluster().transport().securityLayer().orElseThrow().revoked().contains("c"));

    // c, revoked, returns with its credential and asks the same way: refused by name, it stays alone and keyless.
    cluster.stop(c);
    long revokedBefore = dropped(a, Reason.REVOKED) + dropped(b2, Reason.REVOKED);
    QuillNode c2 = cluster.restartIssued("c");
    await().atMost(WAIT).until(() -> dropped(a, Reason.REVOKED) + dropped(b2, Reason.REVOKED) > revokedBefore);
    assertThat(c2.cluster().transport().securityCounters().keyId()).isEqualTo(1);
    assertThat(a.cluster().view().members()).containsExactlyInAnyOrder("a", "b");
    assertThat(c2.cluster().view().members()).containsExactly("c");
  }

  @Test
  void aNodeOfAnotherCa_asksForTheKey_andIsRefused() throws Exception {
    cluster = new InJvmCluster(dir, "catch-up-stranger");
    Path ca = dir.resolve("ca");
    Path otherCa = dir.resolve("other-ca");
    assertThat(InJvmCluster.cli("cluster", "init", "--dir", ca.toString())).isZero();
    assertThat(InJvmCluster.cli("cluster", "init", "--dir", otherCa.toString())).isZero();
    QuillNode a = cluster.startIssued("a", ca);
    cluster.startIssued("b", ca);
    await().atMost(WAIT).until(() -> a.cluster().view().size() == 2);
    // a rotates to key 2, so that a stranger whose ring stops at key 1 believes it is behind and asks.
    assertThat(InJvmCluster.cli("cluster", "rotate-key", "--data", dir.resolve("a").toString())).isZero();

    QuillNode x = cluster.startIssued("x", otherCa);
    await().atMost(WAIT).until(() -> dropped(a, Reason.BAD_CREDENTIAL) > 0 || dropped(cluster.nodes().get(1),
        Reason.BAD_CREDENTIAL) > 0);
    assertThat(x.cluster().transport().securityCounters().keyId()).isEqualTo(1);
    assertThat(a.cluster().view().members()).containsExactlyInAnyOrder("a", "b");
    assertThat(x.cluster().view().members()).containsExactly("x");
  }

  private static long dropped(QuillNode node, Reason reason) {
    return node.cluster().transport().securityCounters().dropped().get(reason);
  }
}
