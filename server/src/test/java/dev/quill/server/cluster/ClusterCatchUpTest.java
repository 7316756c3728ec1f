package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.mail.Replication;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Catch-up of a node that was away: with three copies and a floor of two, changes go on while one
 * holder is stopped; when it returns it applies the expunges and flag changes it missed, so no
 * confirmed delete comes back and every copy ends with the same flags.
 */
class ClusterCatchUpTest {
  private static final String USER = "cara@example.test";
  private static final String PASSWORD = "catch-up-pw";

  @TempDir
  Path dir;

  private InJvmCluster cluster;

  @AfterEach
  void stop() {
    cluster.close();
  }

  private static NodeConfig.Cluster threeCopies(NodeConfig.Cluster cl) {
    return cl.withReplication(new Replication(3, 2));
  }

  private static Map<Long, MessageMeta> held(QuillNode node) {
    return node.store().messages(USER, MailStore.INBOX).stream()
        .collect(Collectors.toMap(MessageMeta::uid, Function.identity()));
  }

  @Test
  void aReturningNode_appliesTheExpungesAndFlagsItMissed() throws Exception {
    cluster = new InJvmCluster(dir, "catchup");
    QuillNode a = cluster.start("a", ClusterCatchUpTest::threeCopies);
    QuillNode b = cluster.start("b", ClusterCatchUpTest::threeCopies);
    QuillNode c = cluster.start("c", ClusterCatchUpTest::threeCopies);
    cluster.awaitComplete(3, Duration.ofSeconds(30));
    a.mailStore().addDomain("example.test");
    a.mailStore().addUser(USER, PASSWORD.toCharArray());
    for (int i = 1; i <= 4; i++) {
      MailClients.send(b.ports().get("smtp"), USER, "message " + i);
    }
    assertThat(held(c)).as("three copies: c holds all four").hasSize(4);

    c.close();
    cluster.nodes().remove(c);
    cluster.awaitComplete(2, Duration.ofSeconds(20));
    long seen;
    long expunged;
    try (Store store = MailClients.connect("imap", a.ports().get("imap"), USER, PASSWORD)) {
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      Message first = inbox.getMessage(1);
      Message second = inbox.getMessage(2);
      seen = ((UIDFolder) inbox).getUID(first);
      expunged = ((UIDFolder) inbox).getUID(second);
      first.setFlags(new Flags("$Important"), true);
      first.setFlag(Flags.Flag.SEEN, true);
      second.setFlag(Flags.Flag.DELETED, true);
      inbox.expunge(); // acknowledged: durable on a and b, the floor of two
    }

    QuillNode back = cluster.start("c", ClusterCatchUpTest::threeCopies);
    cluster.awaitComplete(3, Duration.ofSeconds(30));
    await().atMost(Duration.ofSeconds(30)).until(() -> back.catchUp().orElseThrow().completedRuns() >= 1);
    Map<Long, MessageMeta> onC = held(back);
    assertThat(onC).as("the expunge c missed is applied there: no confirmed delete comes back")
        .doesNotContainKey(expunged).hasSize(3);
    assertThat(onC.get(seen).flags()).as("the flags c missed").contains("\\Seen", "$Important");
    assertThat(held(a).get(seen).flags()).isEqualTo(onC.get(seen).flags());
    assertThat(MailClients.subjects("imap", back.ports().get("imap"), USER, PASSWORD))
        .containsExactly("message 1", "message 3", "message 4");
    assertThat(back.catchUp().orElseThrow().lastResult().expunged()).isEqualTo(1);
  }
}
