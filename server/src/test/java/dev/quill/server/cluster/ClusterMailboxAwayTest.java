package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.mail.Replication;
import dev.quill.server.node.QuillNode;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DELETE and RENAME of a mailbox while a node holding part of it is away. That node's fragment would
 * keep the old name: a mailbox deleted and created again would get the deleted messages back when it
 * returns, and a renamed one would lose them under a name nobody lists. So both are refused as
 * temporary until it is back. Three real nodes in this JVM, one copy per message.
 */
class ClusterMailboxAwayTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "mia@" + DOMAIN;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  private static byte[] message(String subject) {
    return ("Subject: " + subject + "\r\n\r\n" + subject + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void deleteAndRename_areRefusedWhileAHolderIsAway_andWorkOnceItIsBack() throws Exception {
    cluster = new InJvmCluster(dir, "mailbox-away");
    for (String name : List.of("a", "b", "c")) {
      cluster.start(name, c -> c.withSpread(3).withReplication(new Replication(1, 1)));
    }
    cluster.awaitComplete(3, WAIT);
    MailStore viaB = cluster.node("b").mailStore();
    viaB.addDomain(DOMAIN);
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> cluster.node("a").mailStore().hasDomain(DOMAIN)
        && cluster.node("c").mailStore().hasDomain(DOMAIN));
    viaB.addUser(USER, "pw".toCharArray()); // profile on b
    viaB.createMailbox(USER, "Projects", Set.of());
    viaB.createMailbox(USER, "Projects/Old", Set.of());
    viaB.createMailbox(USER, "Notes", Set.of());
    viaB.append(USER, "Notes", message("note"), Set.of(), null, null).join();
    // Appended through a, whose store the balancer picks unless it is clearly busier (a node whose load
    // has not been gossiped yet counts as the busiest). The loads of nodes in one JVM are the same
    // machine's, sampled at different moments: before each try a is told b and c are loaded (the reports
    // their gossip would bring if they were; the next real ones replace them; with a spread of 3, a
    // stays a candidate whoever took the earlier messages), and the tries go on for up to WAIT.
    MailStore viaA = cluster.node("a").mailStore();
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    org.awaitility.Awaitility.await("a message of Projects/Old on a").atMost(WAIT)
        .pollInterval(Duration.ofMillis(100)).until(() -> {
          for (String busy : List.of("b", "c")) {
            cluster.node("a").cluster().loads().update(new dev.quill.cluster.load.LoadReport(busy, 10_000, 1.0,
                System.currentTimeMillis()));
          }
          viaA.append(USER, "Projects/Old", message("old " + sent.getAndIncrement()), Set.of(), null, null).join();
          return cluster.holders(USER, "Projects/Old").values().stream().anyMatch(h -> h.contains("a"));
        });
    // a fragment of Notes on a, empty or not (a copy of the profile holds one of every mailbox)
    boolean notesOnA = cluster.node("a").store().mailbox(USER, "Notes").isPresent();
    int before = viaB.messages(USER, "Projects/Old").size();

    QuillNode a = cluster.node("a");
    a.close();
    cluster.nodes().remove(a);
    cluster.awaitComplete(2, WAIT);

    assertThatThrownBy(() -> viaB.deleteMailbox(USER, "Projects/Old")).isInstanceOf(StoreException.class)
        .hasMessageContaining("a may hold part of it").hasMessageEndingWith("try again later");
    assertThatThrownBy(() -> viaB.renameMailbox(USER, "Projects", "Archive2026")).as("an inferior is on a")
        .isInstanceOf(StoreException.class).hasMessageContaining("a may hold part of it");
    assertThat(viaB.mailbox(USER, "Projects/Old")).as("nothing deleted").isPresent();
    assertThat(viaB.mailbox(USER, "Archive2026")).as("nothing renamed").isEmpty();
    if (!notesOnA) {
      // Its holder record does not name a: deleting it does not wait for a.
      assertThat(viaB.deleteMailbox(USER, "Notes")).isTrue();
    }

    cluster.start("a", c -> c.withSpread(3).withReplication(new Replication(1, 1)));
    cluster.awaitComplete(3, WAIT);
    org.awaitility.Awaitility.await().atMost(WAIT).ignoreExceptions().untilAsserted(() ->
        viaB.renameMailbox(USER, "Projects", "Archive2026"));
    assertThat(viaB.messages(USER, "Archive2026/Old")).as("every message, the one from a too")
        .extracting(MessageMeta::size).hasSize(before);
    assertThat(viaB.mailbox(USER, "Projects/Old")).isEmpty();
    assertThat(viaB.deleteMailbox(USER, "Archive2026/Old")).isTrue();
    viaB.createMailbox(USER, "Archive2026/Old", Set.of());
    assertThat(viaB.messages(USER, "Archive2026/Old")).as("created again: empty").isEmpty();
  }
}
