package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import dev.quill.server.node.ScratchDisk;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A three-node cluster in this JVM, two copies per message, where node c runs on a small real
 * file system (tmpfs; needs root, skipped otherwise) that fills up: c refuses its copies at once,
 * other nodes take them, every delivery is acknowledged and on two nodes that are not c, c still
 * serves reads; and when no spare is left, the refusal is temporary (4xx), never 5xx.
 */
class ClusterDiskFullTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "dora@" + DOMAIN;
  private static final String PASSWORD = "dora-pw";

  @TempDir
  Path dir;

  private ScratchDisk disk;
  private InJvmCluster cluster;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  @AfterEach
  void stop() throws Exception {
    root().detachAppender(logs);
    try {
      if (cluster != null) {
        cluster.close();
      }
    } finally {
      if (disk != null) {
        disk.close();
      }
    }
  }

  @Test
  void aNodeWhoseDiskIsFull_failsItsCopies_spareNodesTakeThem_andWithoutASpareTheRefusalIsTemporary() throws Exception {
    long reserve = 32L << 20;
    disk = ScratchDisk.tmpfs(dir.resolve("c"), 160);
    cluster = new InJvmCluster(dir, "disk-full");
    QuillNode a = cluster.start("a");
    QuillNode b = cluster.start("b");
    QuillNode c = cluster.start("c", UnaryOperator.identity(), n -> n.withStore(new NodeConfig.Store(reserve)));
    cluster.awaitComplete(3, Duration.ofSeconds(30));
    a.mailStore().addDomain(DOMAIN);
    c.mailStore().addUser(USER, PASSWORD.toCharArray()); // the profile on c (and one more node), so c holds INBOX
    List<String> acknowledged = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      MailClients.send(port(c, "smtp"), USER, "before " + i); // throws unless 250
      acknowledged.add("before " + i);
    }
    assertThat(holders(c)).as("c took copies while it had room").isNotEmpty();
    List<Long> before = List.copyOf(holders(null).keySet());

    disk.fillTo(8L << 20);
    await().atMost(Duration.ofSeconds(10)).until(() -> !c.store().acceptsNewMail());
    logs.start();
    root().addAppender(logs);
    for (int i = 0; i < 6; i++) {
      MailClients.send(port(c, "smtp"), USER, "through c " + i);
      acknowledged.add("through c " + i);
      MailClients.send(port(a, "smtp"), USER, "through a " + i);
      acknowledged.add("through a " + i);
    }
    Map<Long, List<String>> holders = holders(null);
    for (var h : holders.entrySet()) {
      if (!before.contains(h.getKey())) {
        assertThat(h.getValue()).as("UID %d: two copies, none on the full node", h.getKey())
            .hasSize(2).doesNotContain("c");
      }
    }
    assertThat(holders).hasSize(acknowledged.size());
    assertThat(MailClients.subjects("imap", port(c, "imap"), USER, PASSWORD)).as("c still serves reads")
        .containsExactlyInAnyOrderElementsOf(acknowledged);
    assertThat(warnings()).as("the refused copies are not logged one by one").isEmpty();

    // Without a spare (b leaves), a copy needs a and c; c cannot take it: temporary, not permanent.
    b.close();
    cluster.nodes().remove(b);
    cluster.awaitComplete(2, Duration.ofSeconds(30));
    SMTPSendFailedException refused = catchThrowableOfType(SMTPSendFailedException.class,
        () -> MailClients.send(port(a, "smtp"), USER, "no spare"));
    assertThat(refused).as("refused").isNotNull();
    assertThat(refused.getReturnCode()).as("452 4.3.1: the cluster lacks storage").isEqualTo(452);
    assertThat(refused.getMessage()).contains("4.3.1");

    disk.release();
    await().atMost(Duration.ofSeconds(10)).until(() -> c.store().acceptsNewMail());
    int onC = holders(c).size();
    MailClients.send(port(a, "smtp"), USER, "space is back"); // with two live nodes, one copy is c's
    assertThat(holders(c)).as("c takes copies again, without a restart").hasSize(onC + 1);
  }

  private static int port(QuillNode node, String service) {
    return node.ports().get(service);
  }

  /** For each UID of the user's INBOX, the nodes whose own store holds it; only {@code on}'s when given. */
  private Map<Long, List<String>> holders(QuillNode on) {
    Map<Long, List<String>> holders = new TreeMap<>();
    for (QuillNode n : cluster.nodes()) {
      if (on != null && n != on) {
        continue;
      }
      for (MessageMeta m : n.store().messages(USER, MailStore.INBOX)) {
        holders.computeIfAbsent(m.uid(), u -> new ArrayList<>()).add(n.cluster().name());
      }
    }
    return holders;
  }

  private List<String> warnings() {
    synchronized (logs) {
      return logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
          .filter(e -> e.getLoggerName().startsWith("dev.quill."))
          .map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }
}
