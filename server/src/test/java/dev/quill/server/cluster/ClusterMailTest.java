package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.mail.Replication;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import dev.quill.store.MailStore;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mail services of a four-node cluster in this JVM, used with Angus Mail and a raw IMAP
 * socket: a user whose manager, profile and mail live on different nodes is served the same way
 * on every node.
 */
class ClusterMailTest {
  private static final String DOMAIN = "example.test";
  private static final String PASSWORD = "secret-pw";

  @TempDir
  Path dir;

  private InJvmCluster cluster;
  private QuillNode a;
  private QuillNode b;
  private QuillNode c;
  private QuillNode d;

  @BeforeEach
  void start() throws Exception {
    cluster = new InJvmCluster(dir, "mail");
    // spread 1 and one copy of each message: a mailbox's mail stays on the nodes already holding it
    // (for a new user's INBOX, its two profile copies), so the test knows where it may be
    // (ClusterReplicationTest covers the replicated placement)
    a = cluster.start("a", ClusterMailTest::placeOnce);
    b = cluster.start("b", ClusterMailTest::placeOnce);
    c = cluster.start("c", ClusterMailTest::placeOnce);
    d = cluster.start("d", ClusterMailTest::placeOnce);
    cluster.awaitComplete(4, Duration.ofSeconds(30));
    try (var ops = RemoteAdminOps.connect(dir.resolve("c")).orElseThrow()) {
      ops.addDomain(DOMAIN);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> cluster.nodes().stream().allMatch(n -> n.store().hasDomain(DOMAIN)));
  }

  private static NodeConfig.Cluster placeOnce(NodeConfig.Cluster cl) {
    return cl.withSpread(1).withReplication(Replication.NONE);
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  /** A user managed by {@code manager}, created (profile and INBOX) through {@code home}'s admin channel. */
  private String user(String manager, String home) throws Exception {
    String user = IntStream.range(0, 10_000).mapToObj(i -> "user" + i + "@" + DOMAIN)
        .filter(u -> a.cluster().map().managerOf(u).equals(manager) && !a.store().user(u).isPresent()
            && cluster.nodes().stream().noneMatch(n -> n.store().user(u).isPresent()))
        .findFirst().orElseThrow();
    try (var ops = RemoteAdminOps.connect(dir.resolve(home)).orElseThrow()) {
      ops.addUser(user, PASSWORD.toCharArray());
    }
    return user;
  }

  private static void send(QuillNode via, String to, String subject) throws MessagingException {
    MailClients.send(via.ports().get("smtp"), to, subject);
  }

  private static Store connect(QuillNode node, String protocol, String user) throws MessagingException {
    Properties p = new Properties();
    p.put("mail." + protocol + ".connectiontimeout", "10000");
    p.put("mail." + protocol + ".timeout", "20000");
    Store store = Session.getInstance(p).getStore(protocol);
    store.connect("127.0.0.1", node.ports().get(protocol), user, PASSWORD);
    return store;
  }

  private static List<String> subjects(Folder folder) throws MessagingException {
    return Arrays.stream(folder.getMessages()).map(m -> {
      try {
        return m.getSubject();
      } catch (MessagingException e) {
        throw new IllegalStateException(e);
      }
    }).toList();
  }

  /**
   * The nodes holding a copy of {@code user}'s profile, once both are made: one copy of each message
   * here, but never fewer than two of a profile ({@code Replication.profiles}), and each copy holds
   * an (empty) fragment of every mailbox, so the two are the INBOX's holders, where its mail goes.
   */
  private List<QuillNode> profileNodes(String user) {
    await().atMost(Duration.ofSeconds(10))
        .until(() -> cluster.nodes().stream().filter(n -> n.store().user(user).isPresent()).count() == 2);
    return cluster.nodes().stream().filter(n -> n.store().user(user).isPresent()).toList();
  }

  @Test
  void smtpOnA_forAUserManagedByB_storedOnC_isReadByPop3AndImapOnD() throws Exception {
    // Four roles on four distinct nodes with "C" two profile copies: a fifth node.
    cluster.start("e", ClusterMailTest::placeOnce);
    cluster.awaitComplete(5, Duration.ofSeconds(30));
    String user = null;
    List<QuillNode> storing = List.of();
    QuillNode manager = null;
    for (QuillNode m : List.of(b, a, d)) { // a manager that holds no copy of the profile
      String candidate = user(m.cluster().name(), "c");
      storing = profileNodes(candidate);
      if (!storing.contains(m)) {
        user = candidate;
        manager = m;
        break;
      }
    }
    assertThat(user).as("a user whose manager holds no copy of its profile").isNotNull();
    List<QuillNode> profiles = storing;
    QuillNode managing = manager;
    List<QuillNode> others = cluster.nodes().stream().filter(n -> !profiles.contains(n) && n != managing).toList();
    assertThat(others).hasSize(2);
    QuillNode sender = others.get(0);
    QuillNode reader = others.get(1);
    List<String> profileNames = profiles.stream().map(n -> n.cluster().name()).toList();

    send(sender, user, "first");
    send(manager, user, "second");

    Map<Long, List<String>> holders = cluster.holders(user, MailStore.INBOX);
    assertThat(holders).as("two messages").hasSize(2);
    assertThat(holders.values()).as("each stored once, on a holder of the INBOX (%s)", profileNames)
        .allSatisfy(on -> assertThat(on).singleElement().isIn(profileNames));

    try (Store pop = connect(reader, "pop3", user)) {
      Folder inbox = pop.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      assertThat(subjects(inbox)).containsExactly("first", "second");
      // RETR 1 reads message 2 ahead with it, from the nodes holding them (the reader holds neither)
      assertThat(((String) inbox.getMessage(1).getContent()).strip()).isEqualTo("Body of first");
      assertThat(((String) inbox.getMessage(2).getContent()).strip()).isEqualTo("Body of second");
      inbox.close(false);
    }
    try (Store imap = connect(reader, "imap", user)) {
      Folder inbox = imap.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      assertThat(subjects(inbox)).containsExactly("first", "second");
      long[] uids = Arrays.stream(inbox.getMessages()).mapToLong(m -> {
        try {
          return ((UIDFolder) inbox).getUID(m);
        } catch (MessagingException e) {
          throw new IllegalStateException(e);
        }
      }).toArray();
      assertThat(uids[1]).isGreaterThan(uids[0]);
      inbox.getMessage(1).setFlag(Flags.Flag.FLAGGED, true);
      inbox.close(false);
    }
    // the flag change made through the reader is stored where the message is, under a MODSEQ the manager gave
    QuillNode holder = cluster.node(holders.values().iterator().next().getFirst());
    long first = holders.keySet().iterator().next();
    assertThat(holder.store().messages(user, MailStore.INBOX)).filteredOn(m -> m.uid() == first).singleElement()
        .satisfies(m -> assertThat(m.flags()).contains("\\Flagged"));
    assertThat(holder.store().mailbox(user, MailStore.INBOX).orElseThrow().highestModSeq()).isGreaterThan(2);
  }

  @Test
  void foldersFlagsAndExpunges_madeOnOneNode_areSeenOnAnother() throws Exception {
    String user = user("a", "b");
    send(c, user, "one");
    send(c, user, "two");
    send(c, user, "three");

    try (Store onA = connect(a, "imap", user); Store onD = connect(d, "imap", user)) {
      Folder project = onA.getFolder("Projects/Quill");
      assertThat(project.create(Folder.HOLDS_MESSAGES)).isTrue();
      assertThat(Arrays.stream(onD.getDefaultFolder().list("*")).map(Folder::getFullName))
          .contains("Projects", "Projects/Quill", "INBOX", "Sent", "Trash");

      Folder inboxA = onA.getFolder("INBOX");
      inboxA.open(Folder.READ_WRITE);
      inboxA.copyMessages(new Message[] {inboxA.getMessage(1)}, project);
      inboxA.getMessage(2).setFlag(Flags.Flag.DELETED, true);
      inboxA.expunge();
      assertThat(subjects(inboxA)).containsExactly("one", "three");

      Folder projectD = onD.getFolder("Projects/Quill");
      projectD.open(Folder.READ_WRITE);
      assertThat(subjects(projectD)).containsExactly("one");
      projectD.appendMessages(new Message[] {message("appended on d")});
      assertThat(projectD.getMessageCount()).isEqualTo(2);

      Folder inboxD = onD.getFolder("INBOX");
      inboxD.open(Folder.READ_ONLY);
      assertThat(subjects(inboxD)).containsExactly("one", "three");
      inboxD.close(false);
      projectD.close(false);

      Folder renamed = onA.getFolder("Archive/Quill");
      assertThat(project.renameTo(renamed)).isTrue();
      Folder renamedD = onD.getFolder("Archive/Quill");
      renamedD.open(Folder.READ_ONLY);
      assertThat(subjects(renamedD)).containsExactly("one", "appended on d");
      renamedD.close(false);
      assertThat(onD.getFolder("Projects/Quill").exists()).isFalse();
      assertThat(renamedD.delete(false)).isTrue();
      assertThat(onA.getFolder("Archive/Quill").exists()).isFalse();
      inboxA.close(false);

      // RFC 9051: renaming INBOX moves its messages to the new mailbox and leaves INBOX empty
      assertThat(onD.getFolder("INBOX").renameTo(onD.getFolder("Old Inbox"))).isTrue();
      Folder old = onA.getFolder("Old Inbox");
      old.open(Folder.READ_ONLY);
      assertThat(subjects(old)).containsExactly("one", "three");
      old.close(false);
      Folder emptied = onA.getFolder("INBOX");
      emptied.open(Folder.READ_ONLY);
      assertThat(emptied.getMessageCount()).isZero();
      emptied.close(false);
    }
    send(c, user, "one again");
    send(c, user, "three again");
    // the POP3 view on b is the same INBOX; a deletion there is gone from IMAP on c
    try (Store pop = connect(b, "pop3", user)) {
      Folder inbox = pop.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      assertThat(subjects(inbox)).containsExactly("one again", "three again");
      inbox.getMessage(1).setFlag(Flags.Flag.DELETED, true);
      inbox.close(true);
    }
    try (Store imap = connect(c, "imap", user)) {
      Folder inbox = imap.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      assertThat(subjects(inbox)).containsExactly("three again");
    }
  }

  @Test
  void idleOnOneNode_seesADeliveryThroughAnother_storedOnAThird() throws Exception {
    String user = user("c", "b");
    List<QuillNode> profiles = profileNodes(user);
    // IDLE where nothing of the mailbox is, the delivery through another node
    QuillNode idler = cluster.nodes().stream().filter(n -> !profiles.contains(n) && n != c).findFirst().orElseThrow();
    QuillNode sender = cluster.nodes().stream().filter(n -> !profiles.contains(n) && n != idler).findFirst()
        .orElseThrow();
    send(sender, user, "before idle");
    try (Socket socket = new Socket("127.0.0.1", idler.ports().get("imap"))) {
      socket.setSoTimeout(15_000);
      var in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      OutputStream out = socket.getOutputStream();
      assertThat(in.readLine()).startsWith("* OK");
      command(out, in, "a1 LOGIN " + user + " " + PASSWORD, "a1 OK");
      command(out, in, "a2 SELECT INBOX", "a2 OK");
      out.write("a3 IDLE\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(in.readLine()).startsWith("+ ");

      send(sender, user, "during idle");
      assertThat(profiles.stream().mapToInt(n -> n.store().messages(user, MailStore.INBOX).size()).sum())
          .as("both stored on the INBOX's holders").isEqualTo(2);
      assertThat(idler.store().messages(user, MailStore.INBOX)).as("none where the session is").isEmpty();
      assertThat(in.readLine()).as("pushed by the manager's change notice").isEqualTo("* 2 EXISTS");
      out.write("DONE\r\n".getBytes(StandardCharsets.US_ASCII));
      String line;
      do {
        line = in.readLine();
      } while (!line.startsWith("a3 "));
      assertThat(line).startsWith("a3 OK");
    }
  }

  @Test
  void usersAndAliases_workFromAnyNode() throws Exception {
    String user = user("d", "a");
    try (var ops = RemoteAdminOps.connect(dir.resolve("b")).orElseThrow()) {
      assertThatThrownBy(() -> ops.addUser(user, "other".toCharArray())).hasMessageContaining("already exists on a");
      ops.addAlias("alias@" + DOMAIN, user);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> c.store().aliasTarget("alias@" + DOMAIN).isPresent());
    send(c, "alias@" + DOMAIN, "via alias");
    try (Store imap = connect(b, "imap", user)) {
      Folder inbox = imap.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      assertThat(subjects(inbox)).containsExactly("via alias");
    }
    assertThatThrownBy(() -> send(c, "nobody@" + DOMAIN, "x")).isInstanceOf(MessagingException.class);
    try (var ops = RemoteAdminOps.connect(dir.resolve("c")).orElseThrow()) {
      ops.setPassword(user, "changed-pw".toCharArray());
    }
    Properties p = new Properties();
    Store store = Session.getInstance(p).getStore("imap");
    store.connect("127.0.0.1", d.ports().get("imap"), user, "changed-pw");
    store.close();
    assertThat(a.store().authenticate(user, "changed-pw".toCharArray())).as("changed on the profile node").isTrue();
  }

  /** A COPY through the cluster numbers the copies in the source's order (RFC 4315's COPYUID pairs them so). */
  @Test
  void copyOfManyMessages_keepsTheirOrder() throws Exception {
    String user = user("b", "c");
    List<String> sent = IntStream.rangeClosed(1, 20).mapToObj(i -> "message " + i).toList();
    for (String subject : sent) {
      send(a, user, subject);
    }
    try (Store imap = connect(d, "imap", user)) {
      Folder inbox = imap.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      Folder copies = imap.getFolder("Copies");
      assertThat(copies.create(Folder.HOLDS_MESSAGES)).isTrue();
      inbox.copyMessages(inbox.getMessages(), copies);
      copies.open(Folder.READ_ONLY);
      assertThat(subjects(copies)).containsExactlyElementsOf(sent);
    }
  }

  /**
   * Nodes cache profiles for a minute; a change made through one node reaches the others' caches
   * by notice, so it takes effect everywhere in well under that (the bound below is far shorter
   * than any cache lifetime, so only the notice can pass it).
   */
  @Test
  void profileChanges_reachTheCachesOfOtherNodes() throws Exception {
    String user = user("b", "a");
    send(c, user, "cached on c");
    b.mailStore().setQuota(user, 10); // the cluster-wide store of b: the profile is on a
    await().atMost(Duration.ofSeconds(3)).untilAsserted(() ->
        assertThatThrownBy(() -> send(c, user, "over quota")).isInstanceOf(MessagingException.class));
    try (var ops = RemoteAdminOps.connect(dir.resolve("d")).orElseThrow()) {
      assertThat(ops.deleteUser(user)).isTrue();
    }
    await().atMost(Duration.ofSeconds(3)).untilAsserted(() ->
        assertThatThrownBy(() -> send(c, user, "deleted")).isInstanceOf(MessagingException.class));

    String later = "later@" + DOMAIN;
    assertThatThrownBy(() -> send(c, later, "before it exists")).isInstanceOf(MessagingException.class);
    try (var ops = RemoteAdminOps.connect(dir.resolve("d")).orElseThrow()) {
      ops.addUser(later, PASSWORD.toCharArray());
    }
    await().atMost(Duration.ofSeconds(3)).untilAsserted(() -> send(c, later, "after"));
    try (Store pop3 = connect(a, "pop3", later)) {
      Folder inbox = pop3.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      assertThat(subjects(inbox)).containsExactly("after");
    }
  }

  @Test
  void aNodeJoinsDuringLoad_bucketsMove_andEveryAcceptedMessageIsThere() throws Exception {
    d.close(); // start with three; d joins again under load
    cluster.nodes().remove(d);
    cluster.awaitComplete(3, Duration.ofSeconds(20));
    List<String> users = new java.util.ArrayList<>();
    for (String home : List.of("a", "b", "c", "a", "b", "c")) {
      users.add(user(List.of("a", "b", "c").get(users.size() % 3), home));
    }
    List<QuillNode> entry = List.of(a, b, c);
    java.util.Map<String, List<String>> accepted = new java.util.concurrent.ConcurrentHashMap<>();
    List<String> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
    List<Thread> senders = new java.util.ArrayList<>();
    for (int t = 0; t < 3; t++) {
      int id = t;
      senders.add(Thread.ofVirtual().start(() -> {
        for (int i = 0; running.get(); i++) {
          String to = users.get((id + i) % users.size());
          String subject = "load " + id + "-" + i;
          try {
            send(entry.get((id + i) % entry.size()), to, subject);
            accepted.computeIfAbsent(to, u -> new java.util.concurrent.CopyOnWriteArrayList<>()).add(subject);
          } catch (MessagingException e) {
            failures.add(subject + ": " + e);
          }
        }
      }));
    }
    Thread.sleep(1500);
    QuillNode joined = cluster.start("d", ClusterMailTest::placeOnce);
    cluster.awaitComplete(4, Duration.ofSeconds(30));
    Thread.sleep(1500);
    running.set(false);
    for (Thread t : senders) {
      t.join();
    }
    assertThat(failures).as("nothing fails while buckets move").isEmpty();
    assertThat(accepted.values().stream().mapToInt(List::size).sum()).isGreaterThan(30);
    for (String user : users) {
      try (Store imap = connect(joined, "imap", user)) {
        Folder inbox = imap.getFolder("INBOX");
        inbox.open(Folder.READ_ONLY);
        assertThat(subjects(inbox)).as(user).containsExactlyInAnyOrderElementsOf(accepted.getOrDefault(user, List.of()));
      }
    }
  }

  private static MimeMessage message(String subject) throws MessagingException {
    MimeMessage m = new MimeMessage(Session.getInstance(new Properties()));
    m.setFrom(new InternetAddress("me@" + DOMAIN));
    m.setSubject(subject);
    m.setText("text\n");
    return m;
  }

  private static void command(OutputStream out, BufferedReader in, String command, String expected) throws Exception {
    out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
    String tag = command.substring(0, command.indexOf(' ') + 1);
    String line;
    do {
      line = in.readLine();
    } while (line != null && !line.startsWith(tag));
    assertThat(line).startsWith(expected);
  }
}
