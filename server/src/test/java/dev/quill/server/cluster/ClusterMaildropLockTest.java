package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.mail.Replication;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.cluster.MailClients.RawSession;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The POP3 maildrop lock across a cluster in this JVM (RFC 1939 section 4): one session in the
 * whole cluster holds a user's maildrop, whichever node it logged in on, also after the user's
 * manager changed; the lock goes with its session. (That it goes with its node when the node is
 * killed is in {@code ClusterMailJvmTest}.)
 */
class ClusterMaildropLockTest {
  private static final String DOMAIN = "example.test";
  private static final String PASSWORD = "secret-pw";
  private static final String IN_USE = "-ERR [IN-USE] maildrop is locked by another session";

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  private void startThree() throws Exception {
    cluster = new InJvmCluster(dir, "maildrop");
    for (String name : new String[] {"a", "b", "c"}) {
      cluster.start(name, cl -> cl.withReplication(Replication.NONE));
    }
    cluster.awaitComplete(3, Duration.ofSeconds(30));
    try (var ops = RemoteAdminOps.connect(dir.resolve("a")).orElseThrow()) {
      ops.addDomain(DOMAIN);
    }
    await().atMost(Duration.ofSeconds(5))
        .until(() -> cluster.nodes().stream().allMatch(n -> n.store().hasDomain(DOMAIN)));
  }

  /** A user managed by {@code manager}, created through a's admin channel. */
  private String user(String manager) throws Exception {
    QuillNode a = cluster.node("a");
    String user = IntStream.range(0, 10_000).mapToObj(i -> "pop" + i + "@" + DOMAIN)
        .filter(u -> a.cluster().map().managerOf(u).equals(manager)).findFirst().orElseThrow();
    try (var ops = RemoteAdminOps.connect(dir.resolve("a")).orElseThrow()) {
      ops.addUser(user, PASSWORD.toCharArray());
    }
    return user;
  }

  private RawSession pop3(String node) throws Exception {
    return new RawSession(cluster.node(node).ports().get("pop3"));
  }

  /** Logs in on {@code session}; the reply to PASS. */
  private static String login(RawSession session, String user) throws Exception {
    session.send("USER " + user);
    return session.send("PASS " + PASSWORD);
  }

  @Test
  void aSessionOnOneNode_locksTheMaildropOnEveryNode_untilItQuits() throws Exception {
    startThree();
    String user = user("c");
    try (RawSession first = pop3("a"); RawSession onB = pop3("b"); RawSession alsoOnA = pop3("a")) {
      assertThat(login(first, user)).startsWith("+OK maildrop has 0 messages");
      assertThat(login(onB, user)).as("another node").isEqualTo(IN_USE);
      assertThat(login(alsoOnA, user)).as("the same node").isEqualTo(IN_USE);

      assertThat(first.send("QUIT")).startsWith("+OK");
      // the goodbye comes once the manager has the lock back: free at once on every node
      assertThat(login(onB, user)).startsWith("+OK");
      try (RawSession third = pop3("c")) {
        assertThat(login(third, user)).isEqualTo(IN_USE);
      }
    }
  }

  @Test
  void theLockHolds_whenTheUsersManagerLeaves_andGoesWithTheNodeOfItsSession() throws Exception {
    startThree();
    String user = user("c");
    try (RawSession holder = pop3("a")) {
      assertThat(login(holder, user)).startsWith("+OK");
      cluster.stop(cluster.node("c")); // the manager goes; a or b rebuilds the user's state from the reports
      cluster.awaitComplete(2, Duration.ofSeconds(30));
      assertThat(cluster.node("a").cluster().map().managerOf(user)).isNotEqualTo("c");
      try (RawSession onB = pop3("b")) {
        assertThat(login(onB, user)).as("a's report carried the lock to the new manager").isEqualTo(IN_USE);
      }
      assertThat(holder.send("STAT")).startsWith("+OK 0 0");
    }
  }
}
