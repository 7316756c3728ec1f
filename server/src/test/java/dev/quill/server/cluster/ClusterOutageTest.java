package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.mail.Replication;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.UidGrant;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import dev.quill.store.AssignedMessage;
import dev.quill.store.MailStore;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Part of a mailbox on a node that goes away: POP3 and IMAP on the other nodes say which node's
 * messages are out of reach rather than hiding it, sessions do not report them as expunged, and
 * everything is back when the node returns.
 */
class ClusterOutageTest {
  private static final String PASSWORD = "outage-pw";

  @TempDir
  Path dir;

  private InJvmCluster cluster;

  private static NodeConfig.Cluster oneCopy(NodeConfig.Cluster cl) {
    return cl.withReplication(Replication.NONE);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  @Test
  void readsSayWhichNodeIsMissing_andTheMessagesReturnWithIt() throws Exception {
    cluster = new InJvmCluster(dir, "outage");
    // one copy of each message: with replicas, another node would serve c's messages (ClusterReplicationTest)
    QuillNode a = cluster.start("a", ClusterOutageTest::oneCopy);
    QuillNode b = cluster.start("b", ClusterOutageTest::oneCopy);
    QuillNode c = cluster.start("c", ClusterOutageTest::oneCopy);
    cluster.awaitComplete(3, Duration.ofSeconds(30));
    // profile on a, managed by b (which stays), three messages stored on c
    String user = IntStream.range(0, 10_000).mapToObj(i -> "out" + i + "@example.test")
        .filter(u -> a.cluster().map().managerOf(u).equals("b")).findFirst().orElseThrow();
    try (var ops = RemoteAdminOps.connect(dir.resolve("a")).orElseThrow()) {
      ops.addDomain("example.test");
      ops.addUser(user, PASSWORD.toCharArray());
    }
    ManagerClient managers = new ManagerClient(c.cluster().rpc(), c.cluster()::map, Duration.ofSeconds(10), 20,
        Duration.ofMillis(50));
    for (int i = 1; i <= 3; i++) {
      UidGrant grant = managers.allocateUids(user, MailStore.INBOX, 1).join();
      byte[] bytes = ("Subject: on c " + i + "\r\n\r\nstored on c\r\n").getBytes(StandardCharsets.US_ASCII);
      c.store().storeAssigned(new AssignedMessage(user, MailStore.INBOX, grant.uidValidity(), grant.firstUid(),
          grant.firstModSeq(), bytes, Set.of(), Instant.now(), null)).join();
    }
    managers.fragmentStored(user, MailStore.INBOX, "c").join();

    try (Imap imap = new Imap(b.ports().get("imap"))) {
      imap.command("l LOGIN " + user + " " + PASSWORD);
      assertThat(imap.command("s SELECT INBOX")).contains("* 3 EXISTS").noneMatch(l -> l.contains("UNAVAILABLE"));
      assertThat(pop3Login(b, user)).isEqualTo("+OK maildrop has 3 messages (96 octets)");

      c.close(); // graceful or not, its fragment is out of reach until it returns
      cluster.nodes().remove(c);
      cluster.awaitComplete(2, Duration.ofSeconds(20));
      assertThat(imap.command("n NOOP")).as("a node being down is not an expunge")
          .noneMatch(l -> l.contains("EXPUNGE"))
          .anyMatch(l -> l.startsWith("* NO [UNAVAILABLE] Part of this mailbox is stored on c, unreachable now"));
      assertThat(pop3Login(a, user)).as("a fresh read on another node says so too")
          .isEqualTo("+OK maildrop has 0 messages (0 octets); messages stored on c are unreachable and not listed"
              + " until it returns");

      cluster.start("c", ClusterOutageTest::oneCopy);
      cluster.awaitComplete(3, Duration.ofSeconds(30));
      await().atMost(Duration.ofSeconds(10)).until(() -> pop3Login(a, user).startsWith("+OK maildrop has 3 messages"));
      assertThat(imap.command("n2 NOOP")).anyMatch(l -> l.equals("* OK All of this mailbox is reachable again"))
          .noneMatch(l -> l.contains("EXPUNGE"));
      assertThat(imap.command("f FETCH 1:* (UID)")).filteredOn(l -> l.startsWith("* ")).hasSize(3);
    }
  }

  /** Logs in with POP3 and returns the reply to PASS. */
  private static String pop3Login(QuillNode node, String user) throws Exception {
    return MailClients.pop3Login(node.ports().get("pop3"), user, PASSWORD);
  }

  /** A raw IMAP session: each command returns its untagged lines and the tagged one. */
  private static final class Imap implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;

    Imap(int port) throws Exception {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(15_000);
      in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      out = socket.getOutputStream();
      in.readLine();
    }

    List<String> command(String line) throws Exception {
      out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
      String tag = line.substring(0, line.indexOf(' ') + 1);
      List<String> lines = new ArrayList<>();
      String l;
      do {
        l = in.readLine();
        lines.add(l);
      } while (l != null && !l.startsWith(tag));
      assertThat(l).as(line).startsWith(tag + "OK");
      return lines;
    }

    @Override
    public void close() throws Exception {
      socket.close();
    }
  }
}
