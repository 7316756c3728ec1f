package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.usermap.UserMap;
import dev.quill.server.admin.AdminOps;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import jakarta.mail.MessagingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mail through a cluster of four real nodes in four JVMs: SMTP on one node for a user managed by
 * a second, stored on a third, read with POP3 and IMAP on the fourth; then the storing node is
 * SIGKILLed while mail keeps arriving (and while a POP3 session there holds another user's
 * maildrop, which the others then get), reads say which part is missing, and everything comes back
 * with the node.
 */
class ClusterMailJvmTest {
  private static final String DOMAIN = "example.test";
  private static final String PASSWORD = "jvm-secret";
  private static final List<String> NAMES = List.of("n1", "n2", "n3", "n4");

  @TempDir
  Path dir;

  @Test
  void fourJvms_deliverAnywhere_readAnywhere_andSurviveAKill9OfTheStoringNode() throws Exception {
    Path config = dir.resolve("spread1.toml");
    // spread 1: a mailbox's mail stays on the nodes already holding it, so the test knows where it is;
    // one copy of everything, profiles too: this is the unreplicated case, where a dead node's messages
    // and profiles are out of reach (ClusterReplicationJvmTest has the replicated one)
    Files.writeString(config, "[cluster]\nspread = 1\nreplicas = 1\nprofile_replicas = 1\n");
    try (ClusterHarness h = new ClusterHarness(dir)) {
      List<ClusterHarness.Node> nodes = new ArrayList<>();
      for (String name : NAMES) {
        nodes.add(h.define(name, "mailjvm", nodes.stream().map(n -> n.name).toList(), List.of("--config", config.toString())));
      }
      ClusterHarness.Node n1 = nodes.get(0);
      ClusterHarness.Node n2 = nodes.get(1);
      ClusterHarness.Node n3 = nodes.get(2);
      ClusterHarness.Node n4 = nodes.get(3);
      h.launch(n1);
      h.awaitReady(n1, 60);
      for (ClusterHarness.Node n : List.of(n2, n3, n4)) {
        h.launch(n);
      }
      for (ClusterHarness.Node n : List.of(n2, n3, n4)) {
        h.awaitReady(n, 60);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> h.status(n1).nodes().size() == 4);

      UserMap map = UserMap.of(NAMES, 1024);
      // managed by n2, profile (and so INBOX) on n3
      String user = IntStream.range(0, 10_000).mapToObj(i -> "jvm" + i + "@" + DOMAIN)
          .filter(u -> map.managerOf(u).equals("n2")).findFirst().orElseThrow();
      try (AdminOps ops = RemoteAdminOps.connect(n1.dir).orElseThrow()) {
        ops.addDomain(DOMAIN);
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        try (AdminOps ops = RemoteAdminOps.connect(n3.dir).orElseThrow()) {
          return ops.domains().contains(DOMAIN);
        }
      });
      try (AdminOps ops = RemoteAdminOps.connect(n3.dir).orElseThrow()) {
        ops.addUser(user, PASSWORD.toCharArray());
      } catch (RuntimeException e) {
        throw new AssertionError(e.getMessage() + "\n" + h.logTails(40), e);
      }

      Map<String, Integer> p1 = h.ports(n1);
      Map<String, Integer> p4 = h.ports(n4);
      for (int i = 1; i <= 5; i++) {
        send(p1.get("smtp"), user, "before " + i);
      }
      assertThat(messagesOn(h, n1, "n3")).as("stored on n3, the INBOX's holder").isEqualTo(5);
      assertThat(messagesOn(h, n1, "n1") + messagesOn(h, n1, "n2") + messagesOn(h, n1, "n4")).isZero();
      assertThat(popSubjects(p4.get("pop3"), user)).containsExactly("before 1", "before 2", "before 3", "before 4",
          "before 5");
      assertThat(imapSubjects(p4.get("imap"), user)).containsExactly("before 1", "before 2", "before 3", "before 4",
          "before 5");

      // SIGKILL the storing node. Its user's mail is refused for now with a temporary error (the
      // profile lives there), never bounced; other users' mail keeps flowing.
      String other = IntStream.range(0, 10_000).mapToObj(i -> "other" + i + "@" + DOMAIN)
          .filter(u -> !map.managerOf(u).equals("n3")).findFirst().orElseThrow();
      try (AdminOps ops = RemoteAdminOps.connect(n1.dir).orElseThrow()) {
        ops.addUser(other, PASSWORD.toCharArray());
      }
      // A POP3 session on n3 holds other's maildrop, on every node (RFC 1939's lock, kept by other's manager)
      MailClients.RawSession popOnN3 = new MailClients.RawSession(h.ports(n3).get("pop3"));
      popOnN3.send("USER " + other);
      assertThat(popOnN3.send("PASS " + PASSWORD)).startsWith("+OK");
      assertThat(MailClients.pop3Login(p1.get("pop3"), other, PASSWORD)).startsWith("-ERR [IN-USE]");
      h.kill(n3);
      popOnN3.close();
      await().atMost(Duration.ofSeconds(20)).until(() -> h.status(n1).nodes().size() == 3);
      Map<String, Integer> p2 = h.ports(n2);
      // the lock went with the killed node, which never gave it back
      await().atMost(Duration.ofSeconds(20))
          .until(() -> MailClients.pop3Login(p2.get("pop3"), other, PASSWORD).startsWith("+OK"));
      for (int i = 1; i <= 10; i++) {
        send(p2.get("smtp"), other, "during " + i);
      }
      assertThat(imapSubjects(p4.get("imap"), other)).hasSize(10);
      MessagingException refused = org.junit.jupiter.api.Assertions.assertThrows(MessagingException.class,
          () -> send(p2.get("smtp"), user, "to the missing profile"));
      assertThat(String.valueOf(refused.getCause() == null ? refused : refused.getCause())).contains("451");

      h.launch(n3);
      h.awaitReady(n3, 60);
      await().atMost(Duration.ofSeconds(30)).until(() -> h.status(n1).nodes().size() == 4);
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
          .until(() -> imapSubjects(p4.get("imap"), user).size() == 5);
      send(p1.get("smtp"), user, "after");
      List<Long> uids = imapUids(p4.get("imap"), user);
      assertThat(uids).hasSize(6);
      assertThat(new HashSet<>(uids)).hasSize(6);
    }
  }

  private static long messagesOn(ClusterHarness h, ClusterHarness.Node asking, String node) throws Exception {
    ClusterReport report = h.status(asking);
    return report.nodes().stream().filter(n -> n.name().equals(node)).findFirst().orElseThrow().counts().messages();
  }

  private static void send(int port, String to, String subject) throws MessagingException {
    MailClients.send(port, to, subject);
  }

  private static List<String> popSubjects(int port, String user) throws MessagingException {
    return MailClients.subjects("pop3", port, user, PASSWORD);
  }

  private static List<String> imapSubjects(int port, String user) throws MessagingException {
    return MailClients.subjects("imap", port, user, PASSWORD);
  }

  private static List<Long> imapUids(int port, String user) throws MessagingException {
    return MailClients.imapUids(port, user, PASSWORD);
  }
}
