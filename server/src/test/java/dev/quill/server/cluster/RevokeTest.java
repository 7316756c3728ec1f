package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.transport.SecurityCounters;
import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.keys.ClusterCa;
import dev.quill.security.keys.NodeCredential;
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
    startThree(ca);
    QuillNode a = cluster.nodes().get(0);
    QuillNode b = cluster.nodes().get(1);
    QuillNode c = cluster.nodes().get(2);

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

  @Test
  void aRevocation_survivesEveryMembersRestart_andReachesAMemberThatWasDown() throws Exception {
    Path ca = dir.resolve("ca");
    startThree(ca);
    QuillNode a = cluster.nodes().get(0);
    QuillNode b = cluster.nodes().get(1);
    QuillNode c = cluster.nodes().get(2);
    // b is down during the revocation: it misses the new key and the revoked name.
    stop(b);
    await().atMost(Duration.ofSeconds(20)).until(() -> a.cluster().view().size() == 2);
    assertThat(cli("cluster", "revoke", "c", "--ca", ca.toString(), "--data", dir.resolve("a").toString())).isZero();
    stop(c);
    // kept with the CA's signature, so that a can pass it on (to b below)
    String kept = java.nio.file.Files.readString(dir.resolve("a").resolve("security").resolve("revoked"));
    assertThat(kept).matches("c [A-Za-z0-9+/]+=*\n");
    assertThat(new dev.quill.cluster.keys.Revocation("c", java.util.Base64.getDecoder().decode(kept.strip().split(" ")[1]))
        .signedBy(NodeCredential.read(dir.resolve("a.own.credential")).caPublic())).isTrue();

    // Every member restarts: a with its own files, b with a new credential (it missed the key).
    stop(a);
    QuillNode a2 = restart("a");
    ClusterCa.open(ca).issue("b", Clock.systemUTC()).write(dir.resolve("b.own.credential"));
    QuillNode b2 = restart("b");
    await().atMost(Duration.ofSeconds(20)).until(() -> a2.cluster().view().size() == 2 && b2.cluster().view().size() == 2);
    assertThat(b2.cluster().transport().securityLayer().orElseThrow().revoked()).as("learnt from a").contains("c");

    // c comes back holding the cluster's current key (say its operator copied it from a member):
    // the key checks pass, and both members refuse c by name.
    Path cFile = dir.resolve("c.own.credential");
    NodeCredential.read(cFile).withRing(ClusterCa.open(ca).ring()).write(cFile);
    QuillNode c2 = restart("c");
    await().atMost(Duration.ofSeconds(20)).until(() -> revokedDrops(a2) > 0 && revokedDrops(b2) > 0);
    Thread.sleep(3_000); // c keeps trying to join meanwhile
    assertThat(a2.cluster().view().members()).containsExactly("a", "b");
    assertThat(b2.cluster().view().members()).containsExactly("a", "b");
    assertThat(c2.cluster().view().members()).containsExactly("c");
  }

  /**
   * A member that holds the cluster key but not the CA (c, its code changed to send what it likes)
   * cannot give orders only the CA or the security server gives: a key install sealed for b but not
   * signed by the CA (which would also revoke a), a retirement without the CA's signature, a rotation
   * round while c is not the security server, and a revocation of a passed on without the CA's
   * signature. Each is refused on b, which changes nothing; a revocation the CA signed is taken.
   */
  @Test
  void ordersFromAMemberWithoutTheCa_areRefused_andChangeNothing() throws Exception {
    Path ca = dir.resolve("ca");
    startThree(ca);
    QuillNode a = cluster.nodes().get(0);
    QuillNode b = cluster.nodes().get(1);
    QuillNode c = cluster.nodes().get(2);
    assertThat(a.cluster().view().coordinator()).as("a is the security server").isEqualTo("a");
    var rpc = c.cluster().rpc();
    java.security.PublicKey bKey = NodeCredential.read(dir.resolve("b.own.credential")).publicKey();
    byte[] raw = dev.quill.security.keys.KeyRing.randomKey();
    byte[] sealed = dev.quill.security.keys.KeySealing.seal(7, raw, bKey);
    Duration t = Duration.ofSeconds(5);

    var forged = new dev.quill.cluster.keys.KeyDistribution.SignedInstall(
        new dev.quill.cluster.keys.KeyDistribution.Install(7, sealed, "a"), new byte[64],
        ClusterCa.open(ca).signRevoke("a"));
    assertThatThrownBy(() -> rpc.call("b", dev.quill.cluster.keys.KeyDistribution.KEY_INSTALL, forged, t).join())
        .hasMessageContaining("not signed by this cluster's CA");
    // Signed by the CA, but for another member: refused as well.
    byte[] forA = ClusterCa.open(ca).signInstall("a", 7, sealed, "a");
    var misaddressed = new dev.quill.cluster.keys.KeyDistribution.SignedInstall(
        new dev.quill.cluster.keys.KeyDistribution.Install(7, sealed, "a"), forA, ClusterCa.open(ca).signRevoke("a"));
    assertThatThrownBy(() -> rpc.call("b", dev.quill.cluster.keys.KeyDistribution.KEY_INSTALL, misaddressed, t).join())
        .hasMessageContaining("not signed by this cluster's CA");
    assertThatThrownBy(() -> rpc.call("b", dev.quill.cluster.keys.KeyDistribution.KEY_RETIRE,
        new dev.quill.cluster.keys.KeyDistribution.SignedRetire(1, new byte[64]), t).join())
        .hasMessageContaining("not signed by this cluster's CA");
    assertThatThrownBy(() -> rpc.call("b", dev.quill.cluster.keys.KeyRotation.KEY_ACCEPT,
        new dev.quill.cluster.keys.KeyDistribution.Install(7, sealed, ""), t).join())
        .hasMessageContaining("not the security server");
    assertThatThrownBy(() -> rpc.call("b", dev.quill.cluster.keys.KeyRotation.KEY_SWITCH, 7L, t).join())
        .hasMessageContaining("not the security server");

    // A revocation passed on without the CA's signature is not taken; one the CA signed is.
    var sync = dev.quill.cluster.keys.RevocationSync.REVOKED_NODES;
    rpc.call("b", sync, java.util.List.of(new dev.quill.cluster.keys.Revocation("a", new byte[0]),
        new dev.quill.cluster.keys.Revocation("a", new byte[64])), t).join();
    var signedZ = new dev.quill.cluster.keys.Revocation("z", ClusterCa.open(ca).signRevoke("z"));
    assertThat(rpc.call("b", sync, java.util.List.of(signedZ), t).join()).as("b answers what it holds signed")
        .containsExactly(signedZ);

    assertThat(b.cluster().transport().securityCounters().keyId()).isEqualTo(1);
    assertThat(b.cluster().transport().securityLayer().orElseThrow().revoked()).doesNotContain("a").contains("z");
    assertThat(b.cluster().transport().securityCounters().dropped().get(Reason.UNAUTHORIZED_ORDER))
        .as("every refused order counted (and audited)").isGreaterThanOrEqualTo(6);
    assertThat(b.cluster().view().members()).containsExactly("a", "b", "c");
    // The operator's revoke, signed by the CA, still works.
    assertThat(cli("cluster", "revoke", "c", "--ca", ca.toString(), "--data", dir.resolve("a").toString())).isZero();
    assertThat(b.cluster().transport().securityCounters().keyId()).isEqualTo(2);
    // The refusals are in b's tamper-evident audit log, naming c.
    b.close();
    cluster.nodes().remove(b);
    Path auditDir = dir.resolve("b").resolve(dev.quill.security.audit.AuditLog.DIRECTORY);
    assertThat(dev.quill.security.audit.AuditVerifier.verify(auditDir).intact()).isTrue();
    assertThat(new dev.quill.security.audit.AuditReader(auditDir).tail(200)).filteredOn(r ->
        r.display().contains("UNAUTHORIZED_ORDER")).isNotEmpty().allSatisfy(r -> assertThat(r.display()).contains("c"));
  }

  /** A CA in {@code ca}, and nodes a, b and c with credentials it issued, in one view. */
  private void startThree(Path ca) throws Exception {
    assertThat(cli("cluster", "init", "--dir", ca.toString())).isZero();
    for (String name : java.util.List.of("a", "b", "c")) {
      start(name, ca);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.nodes().stream().allMatch(n -> n.cluster().view().size() == 3));
  }

  private static long revokedDrops(QuillNode node) {
    return node.cluster().transport().securityCounters().dropped().get(Reason.REVOKED);
  }

  private void stop(QuillNode node) {
    cluster.stop(node);
  }

  private QuillNode restart(String name) throws Exception {
    return cluster.restartIssued(name);
  }

  private QuillNode start(String name, Path ca) throws Exception {
    return cluster.startIssued(name, ca);
  }

  private static int cli(String... args) {
    return InJvmCluster.cli(args);
  }
}
