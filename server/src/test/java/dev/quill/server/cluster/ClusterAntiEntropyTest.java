package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.node.QuillNode;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anti-entropy sweeps on three real nodes in this JVM (R = 2, a sweep every second): a message that
 * lost one of its two copies without a trace (as a write refused with 451 after one copy leaves it)
 * gets its second copy back by itself, and {@code cluster status} shows each node's sync state.
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

  private QuillNode node(String name) {
    return cluster.nodes().stream().filter(n -> n.cluster().name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void aMessageLeftWithOneCopy_getsItsSecondCopyBackBySweep() throws Exception {
    cluster = new InJvmCluster(dir, "anti-entropy");
    for (String name : List.of("a", "b", "c")) {
      cluster.start(name, c -> c.withAntiEntropyInterval(Duration.ofSeconds(1)));
    }
    cluster.awaitComplete(3, Duration.ofSeconds(30));
    QuillNode a = cluster.nodes().getFirst();
    a.mailStore().addDomain(DOMAIN);
    a.mailStore().addUser(USER, PASSWORD.toCharArray());
    for (int i = 1; i <= 6; i++) {
      MailClients.send(a.ports().get("smtp"), USER, "message " + i);
    }
    Map<Long, List<String>> before = holders();
    assertThat(before.values()).allSatisfy(h -> assertThat(h).hasSize(2));

    // One copy of two messages vanishes without an expunge record: nothing tells the cluster.
    List<Long> damaged = List.copyOf(before.keySet()).subList(0, 2);
    for (long uid : damaged) {
      QuillNode holder = node(before.get(uid).getFirst());
      MessageMeta meta = holder.store().messages(USER, MailStore.INBOX).stream().filter(m -> m.uid() == uid)
          .findFirst().orElseThrow();
      assertThat(holder.store().dropMoved(USER, MailStore.INBOX, Map.of(uid, meta.modSeq())).join()).containsExactly(uid);
    }
    assertThat(holders().values().stream().filter(h -> h.size() == 1)).as("two messages have one copy left").hasSize(2);

    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(holders()).hasSize(6)
        .allSatisfy((uid, h) -> assertThat(h).as("copies of UID %d", uid).hasSize(2).doesNotHaveDuplicates()));
    assertThat(MailClients.subjects("imap", node("b").ports().get("imap"), USER, PASSWORD)).hasSize(6);

    try (var ops = RemoteAdminOps.connect(dir.resolve("a")).orElseThrow()) {
      ClusterReport report = ops.clusterStatus();
      assertThat(report.nodes()).hasSize(3).allSatisfy(n -> assertThat(n.sync())
          .as("sync state of %s", n.name()).matches("idle|anti-entropy \\d+/\\d+ fragments"));
    }
  }
}
