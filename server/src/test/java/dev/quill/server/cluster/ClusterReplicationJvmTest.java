package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.server.admin.AdminOps;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import jakarta.mail.MessagingException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability promise of replication with real processes: three nodes in three JVMs keep two
 * copies of every message (the default). A node is SIGKILLed: every acknowledged message is still
 * read, and new mail is still acknowledged on the two left. A second node is SIGKILLed: one node
 * cannot make two durable copies, so new mail gets 451 and nothing is acknowledged that is not
 * durable twice. Both return: every message acknowledged before is read exactly once.
 */
class ClusterReplicationJvmTest {
  private static final String DOMAIN = "example.test";
  private static final String PASSWORD = "jvm-replica";

  @TempDir
  Path dir;

  @Test
  void twoCopies_surviveAKill9_andTooFewNodesAnswer451() throws Exception {
    try (ClusterHarness h = new ClusterHarness(dir)) {
      ClusterHarness.Node n1 = h.define("n1", "repljvm", List.of());
      ClusterHarness.Node n2 = h.define("n2", "repljvm", List.of("n1"));
      ClusterHarness.Node n3 = h.define("n3", "repljvm", List.of("n1"));
      h.startAll(n1, n2, n3);
      await().atMost(Duration.ofSeconds(30)).until(() -> h.status(n1).nodes().size() == 3);

      String user = "kim@" + DOMAIN;
      String onN3 = "lee@" + DOMAIN;
      try (AdminOps ops = RemoteAdminOps.connect(n1.dir).orElseThrow()) {
        ops.addDomain(DOMAIN);
        ops.addUser(user, PASSWORD.toCharArray()); // the profile lives on n1, which stays up
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        try (AdminOps ops = RemoteAdminOps.connect(n3.dir).orElseThrow()) {
          return ops.domains().contains(DOMAIN);
        }
      });
      try (AdminOps ops = RemoteAdminOps.connect(n3.dir).orElseThrow()) {
        ops.addUser(onN3, PASSWORD.toCharArray()); // a profile on the node killed first
      }
      Map<String, Integer> p1 = h.ports(n1);
      Map<String, Integer> p2 = h.ports(n2);
      List<String> acknowledged = new ArrayList<>();
      for (int i = 1; i <= 10; i++) {
        // through n2 and n3 by turns, so that copies land on every pair of nodes
        MailClients.send(h.ports(i % 2 == 0 ? n2 : n3).get("smtp"), user, "before " + i);
        acknowledged.add("before " + i);
      }
      assertThat(storedCopies(h, n1)).as("two copies of each of 10 messages").isEqualTo(20);

      h.kill(n3);
      await().atMost(Duration.ofSeconds(20)).until(() -> h.status(n1).nodes().size() == 2);
      assertThat(MailClients.subjects("pop3", p2.get("pop3"), user, PASSWORD))
          .as("every acknowledged message, though n3 held copies of some").isEqualTo(acknowledged);
      assertThat(MailClients.pop3Login(p2.get("pop3"), user, PASSWORD)).doesNotContain("unreachable");
      for (int i = 1; i <= 5; i++) {
        MailClients.send(p1.get("smtp"), user, "one down " + i);
        acknowledged.add("one down " + i);
      }
      assertThat(MailClients.subjects("imap", p2.get("imap"), user, PASSWORD)).isEqualTo(acknowledged);
      assertThat(MailClients.imapLogin(p2.get("imap"), onN3, PASSWORD))
          .as("a user created on the dead node: its profile has a second copy, so the login works")
          .startsWith("a OK");
      assertThat(MailClients.imapLogin(p2.get("imap"), onN3, "wrong-" + PASSWORD))
          .as("and a wrong password is still refused as such").contains("AUTHENTICATIONFAILED");
      assertThat(MailClients.imapLogin(p2.get("imap"), "nobody@" + DOMAIN, PASSWORD))
          .as("nor for any unknown name while a member is down").startsWith("a NO [UNAVAILABLE]");

      h.kill(n2);
      await().atMost(Duration.ofSeconds(20)).until(() -> h.status(n1).nodes().size() == 1);
      MessagingException refused = Assertions.assertThrows(MessagingException.class,
          () -> MailClients.send(p1.get("smtp"), user, "two down"));
      assertThat(String.valueOf(refused.getCause() == null ? refused : refused.getCause()))
          .as("one node cannot make two durable copies: a temporary refusal, never a silent single copy")
          .contains("451");

      h.launch(n2);
      h.launch(n3);
      h.awaitReady(n2, 60);
      h.awaitReady(n3, 60);
      await().atMost(Duration.ofSeconds(30)).until(() -> h.status(n1).nodes().size() == 3);
      Map<String, Integer> p3 = h.ports(n3);
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> MailClients.subjects("imap", p3.get("imap"), user, PASSWORD).equals(acknowledged));
      MailClients.send(p3.get("smtp"), user, "all back");
      acknowledged.add("all back");
      assertThat(MailClients.imapLogin(p1.get("imap"), onN3, PASSWORD)).as("all back: the login works")
          .startsWith("a OK");
      assertThat(MailClients.imapLogin(p1.get("imap"), "nobody@" + DOMAIN, PASSWORD))
          .startsWith("a NO [AUTHENTICATIONFAILED]");
      List<Long> uids = MailClients.imapUids(p1.get("imap"), user, PASSWORD);
      assertThat(MailClients.subjects("imap", p1.get("imap"), user, PASSWORD)).isEqualTo(acknowledged);
      assertThat(new HashSet<>(uids)).as("UIDs unique").hasSize(acknowledged.size());
      assertThat(IntStream.range(1, uids.size()).allMatch(i -> uids.get(i) > uids.get(i - 1))).isTrue();
    }
  }

  /** Messages held over all nodes, as {@code cluster status} on {@code asking} counts them. */
  private static long storedCopies(ClusterHarness h, ClusterHarness.Node asking) throws Exception {
    ClusterReport report = h.status(asking);
    return report.nodes().stream().mapToLong(n -> n.counts().messages()).sum();
  }
}
