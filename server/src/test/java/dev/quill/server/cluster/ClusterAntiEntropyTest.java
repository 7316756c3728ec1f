package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerClient;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.node.QuillNode;
import dev.quill.store.AssignedMessage;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anti-entropy sweeps on three real nodes in this JVM (R = 2, a sweep every second): a message that
 * lost one of its two copies without a trace (as a write refused with 451 after one copy leaves it)
 * gets its second copy back by itself, a message on three nodes is trimmed back to two, and
 * {@code cluster status} shows each node's sync state.
 */
class ClusterAntiEntropyTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "ada@" + DOMAIN;
  private static final String PASSWORD = "sweep-pw";

  @TempDir
  Path dir;

  private InJvmCluster cluster;

  @AfterEach
  void stop() {
    cluster.close();
  }

  /** For each UID of the user's INBOX, the nodes whose own store holds it. */
  private Map<Long, List<String>> holders() {
    return cluster.holders(USER, MailStore.INBOX);
  }

  /** Three nodes sweeping every second, and {@code messages} messages delivered to the user through a. */
  private void startThreeWithMail(String name, int messages) throws Exception {
    cluster = new InJvmCluster(dir, name);
    for (String node : List.of("a", "b", "c")) {
      cluster.start(node, c -> c.withAntiEntropyInterval(Duration.ofSeconds(1)));
    }
    cluster.awaitComplete(3, Duration.ofSeconds(30));
    QuillNode a = cluster.nodes().getFirst();
    a.mailStore().addDomain(DOMAIN);
    a.mailStore().addUser(USER, PASSWORD.toCharArray());
    for (int i = 1; i <= messages; i++) {
      MailClients.send(a.ports().get("smtp"), USER, "message " + i);
    }
  }

  @Test
  void aMessageLeftWithOneCopy_getsItsSecondCopyBackBySweep() throws Exception {
    startThreeWithMail("anti-entropy", 6);
    Map<Long, List<String>> before = holders();
    assertThat(before.values()).allSatisfy(h -> assertThat(h).hasSize(2));

    // One copy of two messages vanishes without an expunge record: nothing tells the cluster.
    List<Long> damaged = List.copyOf(before.keySet()).subList(0, 2);
    for (long uid : damaged) {
      QuillNode holder = cluster.node(before.get(uid).getFirst());
      MessageMeta meta = holder.store().messages(USER, MailStore.INBOX).stream().filter(m -> m.uid() == uid)
          .findFirst().orElseThrow();
      assertThat(holder.store().dropMoved(USER, MailStore.INBOX, Map.of(uid, meta.modSeq())).join()).containsExactly(uid);
    }
    assertThat(holders().values().stream().filter(h -> h.size() == 1)).as("two messages have one copy left").hasSize(2);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(holders()).hasSize(6)
        .allSatisfy((uid, h) -> assertThat(h).as("copies of UID %d", uid).hasSize(2).doesNotHaveDuplicates()));
    assertThat(MailClients.subjects("imap", cluster.node("b").ports().get("imap"), USER, PASSWORD)).hasSize(6);

    try (var ops = RemoteAdminOps.connect(dir.resolve("a")).orElseThrow()) {
      ClusterReport report = ops.clusterStatus();
      assertThat(report.nodes()).hasSize(3).allSatisfy(n -> assertThat(n.sync())
          .as("sync state of %s", n.name()).matches("idle|anti-entropy \\d+/\\d+ fragments"));
    }
  }

  @Test
  void aMessageOnThreeNodes_isTrimmedToTwo_theFirstTwoByNameKeepingTheirs() throws Exception {
    startThreeWithMail("anti-entropy-trim", 3);
    Map<Long, List<String>> before = holders();
    assertThat(before).hasSize(3).allSatisfy((uid, h) -> assertThat(h).hasSize(2));

    // A third copy of one message lands late on the node that lacks it, as a store that timed out
    // would, and its manager hears of it: the message is now on all three nodes.
    long uid = before.keySet().iterator().next();
    String extra = List.of("a", "b", "c").stream().filter(n -> !before.get(uid).contains(n)).findFirst().orElseThrow();
    MailStore source = cluster.node(before.get(uid).getFirst()).store();
    LoadedMessage m = source.load(USER, MailStore.INBOX, List.of(uid),
        EnumSet.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED)).getFirst();
    long uidValidity = source.mailbox(USER, MailStore.INBOX).orElseThrow().uidValidity();
    assertThat(cluster.node(extra).store().storeAssigned(new AssignedMessage(USER, MailStore.INBOX, uidValidity, uid,
        m.meta().modSeq(), m.body(), m.meta().flags(), m.meta().internalDate(), m.derived())).join().stored()).isTrue();
    QuillNode viaExtra = cluster.node(extra);
    new ManagerClient(viaExtra.cluster().rpc(), viaExtra.cluster()::map, Duration.ofSeconds(10), 20,
        Duration.ofMillis(50)).fragmentStored(USER, MailStore.INBOX, extra).join();
    assertThat(holders().get(uid)).containsExactlyInAnyOrder("a", "b", "c");

    // The sweeps trim it back to two copies, on a and b; the other messages keep theirs; nothing is expunged.
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(holders().get(uid))
        .containsExactlyInAnyOrder("a", "b"));
    Thread.sleep(2_500); // two more sweeps: nothing else goes
    assertThat(holders()).hasSize(3).allSatisfy((u, h) -> assertThat(h).as("copies of UID %d", u).hasSize(2));
    assertThat(MailClients.subjects("imap", cluster.node("c").ports().get("imap"), USER, PASSWORD)).hasSize(3);
    for (String name : List.of("a", "b", "c")) {
      assertThat(cluster.node(name).store().expungedSince(USER, MailStore.INBOX, 0)).as("expunge log of %s", name).isEmpty();
    }
  }
}
