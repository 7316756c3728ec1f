package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.manager.ManagerMessages;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.security.Principals;
import dev.quill.security.Sid;
import dev.quill.security.audit.AuditLog;
import dev.quill.security.audit.AuditReader;
import dev.quill.security.audit.AuditRecord;
import dev.quill.security.audit.AuditVerifier;
import dev.quill.security.keys.ClusterCa;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.cli.QuillCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import dev.quill.server.admin.SecurityControl;
import dev.quill.server.node.QuillNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cluster policy on three real nodes in this JVM, with the security layer on: pushed through any
 * node, in force on every member when the push returns, enforced by the receiving node on the SID
 * its transport verified (a node speaks only for its own principals: SecureLayerTest) — also against a
 * node that skips its own code paths and calls directly —
 * audited there, and taken by a node that was away before it serves again.
 */
class ClusterPolicyTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final Duration CALL = Duration.ofSeconds(5);
  private static final String DENY_POP3_READS = """
      # pop3 sessions may not read fragments on other nodes; everything else as by default
      version 2
      default allow
      service:pop3@*   fragment   read   -> deny
      *                admin      *      -> audit
      """;

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  private SecurityControl.Report show(String node) {
    try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve(node)).orElseThrow()) {
      return ops.showPolicy();
    }
  }

  private void startThree(String name) throws Exception {
    cluster = new InJvmCluster(dir, name);
    for (String node : List.of("a", "b", "c")) {
      cluster.start(node);
    }
    cluster.awaitComplete(3, WAIT);
  }

  /** A MAIL_MAP request straight from {@code from}'s endpoint to {@code to}, made as {@code principal}. */
  private Object mailMapAs(Sid principal, String from, String to) throws Exception {
    return Principals.callAs(principal, () -> cluster.node(from).cluster().rpc()
        .call(to, ManagerMessages.MAIL_MAP, "anyone@example.test", CALL).join());
  }

  @Test
  void aPushedPolicy_isInForceEverywhere_enforcedWhereRequestsLand_andAuditedThere() throws Exception {
    startThree("policy");
    for (String name : List.of("a", "b", "c")) {
      SecurityControl.Report r = show(name);
      assertThat(r.policyVersion()).as("default policy on %s", name).isEqualTo(1);
      assertThat(r.transport()).isTrue();
      assertThat(r.sealed()).isPositive();
    }
    // Before the push, a pop3 session's request is served.
    mailMapAs(Sid.service("pop3", "b"), "b", "a");

    // Pushed through c, which is not the security server (a, the first member, is).
    SecurityControl.PushReport pushed;
    try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve("c")).orElseThrow()) {
      pushed = ops.pushPolicy(DENY_POP3_READS);
    }
    assertThat(pushed.version()).isEqualTo(2);
    assertThat(pushed.installed()).containsExactlyInAnyOrder("a", "b", "c");
    assertThat(pushed.missing()).isEmpty();
    for (String name : List.of("a", "b", "c")) { // in force when the push returned: no waiting
      assertThat(show(name).policyVersion()).as("policy on %s", name).isEqualTo(2);
      assertThat(show(name).securityServer()).isEqualTo("a");
    }

    // b skips every check of its own and calls a directly as its pop3 service: a refuses, the handler never runs.
    long deniedBefore = show("a").denies();
    assertThatThrownBy(() -> mailMapAs(Sid.service("pop3", "b"), "b", "a"))
        .isInstanceOf(CompletionException.class).cause().isInstanceOfSatisfying(RpcException.class, e -> {
          assertThat(e.code()).isEqualTo(RpcException.Code.DENIED);
          assertThat(e).hasMessageContaining("service:pop3@b").hasMessageContaining("policy 2");
        });
    assertThat(show("a").denies()).isEqualTo(deniedBefore + 1);
    // Other principals go on being served; so does pop3 on b's own endpoint (not a remote operation).
    mailMapAs(Sid.service("imap", "b"), "b", "a");
    mailMapAs(Sid.node("b"), "b", "c");
    mailMapAs(Sid.service("pop3", "a"), "a", "a");

    // The denial is in a's tamper-evident audit log, with the subject's SID.
    cluster.node("a").close();
    cluster.nodes().remove(cluster.node("a"));
    Path auditDir = dir.resolve("a").resolve(AuditLog.DIRECTORY);
    assertThat(AuditVerifier.verify(auditDir).intact()).isTrue();
    List<AuditRecord> records = new AuditReader(auditDir).tail(100);
    assertThat(records).anySatisfy(r -> assertThat(r.display()).contains("service:pop3@b").contains("deny")
        .contains("MAIL_MAP"));
  }

  @Test
  void aNodeAwayDuringAPush_takesThePolicyBeforeItServesAgain() throws Exception {
    startThree("policy-away");
    QuillNode c = cluster.node("c");
    c.close();
    cluster.nodes().remove(c);
    cluster.awaitComplete(2, WAIT);
    try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve("b")).orElseThrow()) {
      assertThat(ops.pushPolicy(DENY_POP3_READS).installed()).containsExactlyInAnyOrder("a", "b");
    }
    // c kept version 1 on disk; started again, it asks the security server before its listeners open.
    cluster.start("c");
    assertThat(show("c").policyVersion()).isEqualTo(2);
    assertThatThrownBy(() -> mailMapAs(Sid.service("pop3", "a"), "a", "c"))
        .cause().isInstanceOfSatisfying(RpcException.class, e -> assertThat(e.code()).isEqualTo(RpcException.Code.DENIED));
    // An older or equal version is refused, with the reason.
    try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve("c")).orElseThrow()) {
      assertThatThrownBy(() -> ops.pushPolicy(DENY_POP3_READS)).hasMessageContaining("version 2");
      assertThatThrownBy(() -> ops.pushPolicy("version 9\nnobody fragment read -> allow\n"))
          .hasMessageContaining("line 2");
    }
    assertThat(show("a").policyVersion()).isEqualTo(2);
  }

  @Test
  void aNodeThatMissedAnInstall_catchesUpFromTheVersionOnTheTrafficItReceives() throws Exception {
    startThree("policy-stamp");
    // c refuses the security server's POLICY_INSTALL (as if it were lost): no view change follows to repair it.
    cluster.node("c").cluster().rpc().setAccessCheck((from, principal, type) -> type.id() == TypeIds.POLICY_INSTALL
        ? Optional.of("blocked by the test") : Optional.empty());
    try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve("b")).orElseThrow()) {
      SecurityControl.PushReport pushed = ops.pushPolicy(DENY_POP3_READS);
      assertThat(pushed.installed()).containsExactlyInAnyOrder("a", "b");
      assertThat(pushed.missing()).containsExactly("c");
    }
    // a's requests (and its heartbeats) carry version 2: c fetches it from the security server.
    mailMapAs(Sid.node("a"), "a", "c");
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> show("c").policyVersion() == 2);
    assertThat(cluster.node("c").cluster().view().members()).containsExactly("a", "b", "c");
  }

  @Test
  void aNodeWithAnotherClustersKey_isHeardByNobody_andEveryDropIsAuditedWhereItLands() throws Exception {
    cluster = new InJvmCluster(dir, "policy-foreign");
    cluster.start("a");
    cluster.start("b");
    cluster.awaitComplete(2, WAIT);
    // x has a credential from another CA: another cluster's key. It tries to join a and b.
    Path foreign = dir.resolve("other-ca-x.credential"); // not x.credential: the harness writes that one
    ClusterCa.init(dir.resolve("other-ca")).issue("x", Clock.systemUTC()).write(foreign);
    QuillNode x = cluster.start("x", c -> c.withCredentials(foreign));
    assertThat(x.cluster().view().members()).as("x hears nobody").containsExactly("x");
    for (String name : List.of("a", "b")) {
      assertThat(cluster.node(name).cluster().view().members()).as("view of %s", name).containsExactly("a", "b");
      SecurityControl.Report r = show(name);
      // both clusters' first key has id 1: x's messages name a known key id and fail its tag
      assertThat(r.dropped().get("BAD_TAG")).as("refused on %s", name).isPositive();
    }
    // cluster status, asked of a, shows every member's drops by reason next to its counts: b's come from b.
    String table;
    try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve("a")).orElseThrow()) {
      ClusterReport status = ops.clusterStatus();
      for (String name : List.of("a", "b")) {
        ClusterReport.Security sec = status.nodes().stream().filter(n -> n.name().equals(name)).findFirst()
            .orElseThrow().security();
        assertThat(sec.dropped().get("BAD_TAG")).as("drops of %s in a's status", name).isPositive();
        assertThat(sec.sealed()).isPositive();
        assertThat(sec.opened()).isPositive();
        assertThat(sec.keyId()).isEqualTo(1);
      }
    }
    StringWriter out = new StringWriter();
    assertThat(QuillCli.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "cluster", "status", "--data",
        dir.resolve("b").toString())).isZero();
    assertThat(out.toString()).contains("SEALED").containsPattern("(?m)^b dropped: .*BAD_TAG \\d+");
    // Each refusal is in the receiving node's audit log: what the message claimed, and why it was dropped.
    Path auditDir = dir.resolve("a").resolve(AuditLog.DIRECTORY);
    org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(new AuditReader(auditDir).tail(1000))
        .anySatisfy(r -> assertThat(r.display()).contains("drop").contains("BAD_TAG").contains("from x")));
    assertThat(AuditVerifier.verify(auditDir).intact()).isTrue();
  }
}
