package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.node.QuillNode;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxContents;
import dev.quill.store.MessageMeta;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication in a three-node cluster in this JVM, with the default of two copies per message:
 * every message delivered over SMTP is on two distinct nodes, is read once, changes reach both
 * copies, and with one node gone every message is still read and new mail still accepted.
 */
class ClusterReplicationTest {
  private static final String DOMAIN = "example.test";
  private static final String PASSWORD = "replica-pw";
  private static final String USER = "rita@" + DOMAIN;

  @TempDir
  Path dir;

  private InJvmCluster cluster;
  private QuillNode a;
  private QuillNode b;
  private QuillNode c;

  @BeforeEach
  void start() throws Exception {
    cluster = new InJvmCluster(dir, "replication");
    a = cluster.start("a");
    b = cluster.start("b");
    c = cluster.start("c");
    cluster.awaitComplete(3, Duration.ofSeconds(30));
    a.mailStore().addDomain(DOMAIN);
    a.mailStore().addUser(USER, PASSWORD.toCharArray()); // the profile lives on a
    for (int i = 1; i <= 6; i++) {
      MailClients.send(b.ports().get("smtp"), USER, "message " + i);
    }
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  /** For each UID of the user's INBOX, the nodes whose own store holds it. */
  private Map<Long, List<String>> holders() {
    return cluster.holders(USER, MailStore.INBOX);
  }

  private static List<String> subjects(QuillNode node, String protocol) throws Exception {
    return MailClients.subjects(protocol, node.ports().get(protocol), USER, PASSWORD);
  }

  @Test
  void everyDelivery_isOnTwoNodes_readOnce_andChangedOnBothCopies() throws Exception {
    Map<Long, List<String>> holders = holders();
    assertThat(holders).hasSize(6);
    assertThat(holders.values()).as("two copies on distinct nodes").allSatisfy(h -> assertThat(h).hasSize(2)
        .doesNotHaveDuplicates());
    List<String> expected = List.of("message 1", "message 2", "message 3", "message 4", "message 5", "message 6");
    for (QuillNode via : List.of(a, b, c)) {
      assertThat(subjects(via, "imap")).as("IMAP on %s", via.cluster().name()).isEqualTo(expected);
      assertThat(subjects(via, "pop3")).as("POP3 on %s", via.cluster().name()).isEqualTo(expected);
      assertThat(via.mailStore().mailbox(USER, MailStore.INBOX).orElseThrow().messageCount())
          .as("STATUS MESSAGES counts each message once").isEqualTo(6);
      MailboxContents contents = via.mailStore().contents(USER, MailStore.INBOX).orElseThrow();
      assertThat(contents.info().messageCount()).as("one gathering: the record counts each message once").isEqualTo(6);
      assertThat(contents.messages()).extracting(MessageMeta::uid).as("and lists each once, in UID order")
          .containsExactlyElementsOf(holders.keySet().stream().sorted().toList());
      assertThat(contents.info().uidValidity())
          .isEqualTo(via.mailStore().mailbox(USER, MailStore.INBOX).orElseThrow().uidValidity());
    }
    assertThat(a.mailStore().contents(USER, "No such box")).isEmpty();
    assertThat(a.mailStore().contents("nobody@" + USER.substring(USER.indexOf('@') + 1), MailStore.INBOX)).isEmpty();
    long sizes = a.store().messages(USER, MailStore.INBOX).stream().mapToLong(MessageMeta::size).sum()
        + b.store().messages(USER, MailStore.INBOX).stream().mapToLong(MessageMeta::size).sum()
        + c.store().messages(USER, MailStore.INBOX).stream().mapToLong(MessageMeta::size).sum();
    assertThat(c.mailStore().usage(USER)).as("quota usage counts each message once").isEqualTo(sizes / 2);

    long seen;
    long expunged;
    try (Store store = MailClients.connect("imap", c.ports().get("imap"), USER, PASSWORD)) {
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      Message first = inbox.getMessage(1);
      Message second = inbox.getMessage(2);
      seen = ((UIDFolder) inbox).getUID(first);
      expunged = ((UIDFolder) inbox).getUID(second);
      first.setFlag(Flags.Flag.SEEN, true);
      second.setFlag(Flags.Flag.DELETED, true);
      inbox.expunge();
      assertThat(inbox.getMessageCount()).isEqualTo(5);
    }
    Map<Long, List<String>> after = holders();
    assertThat(after).as("the expunged message is gone from both copies").doesNotContainKey(expunged).hasSize(5);
    for (QuillNode n : cluster.nodes()) {
      n.store().messages(USER, MailStore.INBOX).stream().filter(m -> m.uid() == seen).forEach(m ->
          assertThat(m.flags()).as("\\Seen on %s's copy", n.cluster().name()).contains("\\Seen"));
    }
    assertThat(after.get(seen)).hasSize(2);
  }

  @Test
  void aNodeGone_everyMessageIsStillRead_andNewMailStillAccepted() throws Exception {
    // the node to stop: one holding copies that is not the profile's node
    QuillNode gone = holders().values().stream().flatMap(List::stream).anyMatch("c"::equals) ? c : b;
    QuillNode reader = gone == c ? b : c;
    gone.close();
    cluster.nodes().remove(gone);
    cluster.awaitComplete(2, Duration.ofSeconds(20));

    assertThat(MailClients.pop3Login(reader.ports().get("pop3"), USER, PASSWORD))
        .as("nothing out of reach: each of the stopped node's messages has a copy on a live node")
        .startsWith("+OK maildrop has 6 messages").doesNotContain("unreachable");
    assertThat(subjects(reader, "imap")).hasSize(6).startsWith("message 1");

    MailClients.send(a.ports().get("smtp"), USER, "while " + gone.cluster().name() + " is away");
    assertThat(subjects(reader, "imap")).hasSize(7).endsWith("while " + gone.cluster().name() + " is away");
    long newest = holders().keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
    assertThat(holders().get(newest)).as("new mail on both live nodes")
        .containsExactlyInAnyOrder("a", reader.cluster().name());
  }

  @Test
  void aNodeForgotten_itsMessagesGetTheirSecondCopyBack() throws Exception {
    QuillNode gone = holders().values().stream().flatMap(List::stream).anyMatch("c"::equals) ? c : b;
    QuillNode other = gone == c ? b : c;
    String goneName = gone.cluster().name();
    gone.close();
    cluster.nodes().remove(gone);
    cluster.awaitComplete(2, Duration.ofSeconds(20));
    assertThat(holders().values()).as("the messages it held have one copy left").anyMatch(h -> h.size() == 1);

    try (var ops = RemoteAdminOps.connect(dir.resolve("a")).orElseThrow()) {
      assertThatThrownBy(() -> ops.forget("a")).as("a live member is not forgotten").hasMessageContaining("live member");
      assertThat(ops.forget(goneName)).containsExactlyInAnyOrder("a: forgotten",
          other.cluster().name() + ": forgotten");
    }
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(holders()).hasSize(6)
        .allSatisfy((uid, h) -> assertThat(h).as("UID %d", uid).containsExactlyInAnyOrder("a", other.cluster().name())));
    assertThat(subjects(other, "imap")).hasSize(6);
  }

  /** The {@code uid=... flags=...} lines of {@code quill debug fragments USER} run against {@code node}'s data directory. */
  private Map<Long, String> debugFragments(String node) {
    var out = new java.io.StringWriter();
    var err = new java.io.StringWriter();
    int code = dev.quill.server.cli.QuillCli.run(new java.io.PrintWriter(out), new java.io.PrintWriter(err), "debug",
        "fragments", USER, "--data", dir.resolve(node).toString());
    assertThat(code).as("exit code; stderr: %s", err).isZero();
    // the profile has two copies (R = 2); a stopped node's answer is the one it gave while running
    cluster.nodes().stream().filter(n -> n.cluster().name().equals(node)).findFirst()
        .ifPresent(n -> profileHere.put(node, n.store().user(USER).isPresent()));
    assertThat(out.toString()).contains("user " + USER + " profile=" + (profileHere.get(node) ? "here" : "elsewhere"));
    Map<Long, String> lines = new TreeMap<>();
    out.toString().lines().map(String::strip).filter(l -> l.startsWith("uid=")).forEach(l ->
        lines.put(Long.parseLong(l.substring(4, l.indexOf(' '))), l));
    expungedLines.put(node, out.toString().lines().map(String::strip).filter(l -> l.startsWith("expunged ")).toList());
    userLines.put(node, out.toString().lines().filter(l -> l.startsWith("user ")).findFirst().orElseThrow());
    return lines;
  }

  private final Map<String, List<String>> expungedLines = new TreeMap<>();
  private final Map<String, Boolean> profileHere = new TreeMap<>();
  private final Map<String, String> userLines = new TreeMap<>();

  @Test
  void debugFragments_listsEachNodesOwnCopies_withFlagsAndExpunges() throws Exception {
    long seen;
    long expunged;
    try (Store store = MailClients.connect("imap", b.ports().get("imap"), USER, PASSWORD)) {
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      seen = ((UIDFolder) inbox).getUID(inbox.getMessage(1));
      expunged = ((UIDFolder) inbox).getUID(inbox.getMessage(2));
      inbox.getMessage(1).setFlag(Flags.Flag.SEEN, true);
      inbox.getMessage(2).setFlag(Flags.Flag.DELETED, true);
      inbox.expunge();
    }
    int listed = 0;
    for (QuillNode n : cluster.nodes()) {
      String name = n.cluster().name();
      Map<Long, String> lines = debugFragments(name);
      List<MessageMeta> own = n.store().messages(USER, MailStore.INBOX);
      assertThat(lines.keySet()).as("%s lists exactly the UIDs its own store holds", name)
          .containsExactlyElementsOf(own.stream().map(MessageMeta::uid).sorted().toList());
      for (MessageMeta m : own) {
        assertThat(lines.get(m.uid())).as("%s UID %d", name, m.uid())
            .isEqualTo("uid=" + m.uid() + " modseq=" + m.modSeq() + " size=" + m.size() + " crc32c="
                + String.format("%08x", m.crc32c()) + " flags=" + String.join(" ", new java.util.TreeSet<>(m.flags())));
      }
      var image = n.store().exportProfile(USER).filter(i -> !i.tombstone());
      if (image.isPresent()) {
        assertThat(userLines.get(name)).as("%s shows its profile's stamp and digest", name).endsWith(" stamp="
            + image.get().version() + " digest=" + image.get().digest());
      } else {
        assertThat(userLines.get(name)).as("no profile on %s", name).doesNotContain("stamp=");
      }
      if (lines.containsKey(seen)) {
        assertThat(lines.get(seen)).endsWith("flags=\\Seen");
      }
      listed += lines.size();
    }
    assertThat(listed).as("five messages left, two copies each, each listed by its holder only").isEqualTo(10);
    assertThat(userLines.values().stream().filter(l -> l.contains(" profile=here ")).distinct().toList())
        .as("the two copies of the profile: one line, so the same stamp and digest").hasSize(1);
    assertThat(expungedLines.values()).as("the two holders of the expunged UID log it; the third node never held it")
        .filteredOn(l -> l.equals(List.of("expunged " + expunged))).hasSize(2);

    // A stopped node's copies are read from its data directory.
    Map<Long, String> before = debugFragments("c");
    c.close();
    cluster.nodes().remove(c);
    assertThat(debugFragments("c")).isEqualTo(before);
  }
}
