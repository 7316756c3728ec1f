package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.mail.Replication;
import dev.quill.server.admin.RebalanceReport;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.cli.QuillCli;
import dev.quill.server.node.QuillNode;
import dev.quill.store.DeliveryResult;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.FragmentSummary;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import dev.quill.store.UserFragments;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.UIDFolder;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code quill cluster rebalance} on whole {@link QuillNode}s in this JVM ({@link InJvmCluster}): three
 * nodes hold the mail of many users, a fourth joins and takes its share, and every mailbox reads
 * the same before and after, also while clients deliver, change flags and expunge during the move.
 */
class ClusterRebalanceTest {
  private static final String DOMAIN = "example.test";
  private static final String PASSWORD = "secret-pw";
  private static final List<String> BOXES = List.of(MailStore.INBOX, "Sent");
  private static final Map<Flags.Flag, String> SYSTEM_FLAGS = Map.of(Flags.Flag.SEEN, "\\Seen", Flags.Flag.FLAGGED,
      "\\Flagged", Flags.Flag.ANSWERED, "\\Answered", Flags.Flag.DELETED, "\\Deleted", Flags.Flag.DRAFT, "\\Draft");

  /** Copies of each message: the default replication, which moves must keep (distinct nodes, none lost). */
  private static final int COPIES = Replication.DEFAULT.replicas();

  @TempDir
  Path dir;

  private InJvmCluster cluster;
  private final List<QuillNode> nodes = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    cluster = new InJvmCluster(dir, "rebalance");
    for (String name : List.of("a", "b", "c")) {
      nodes.add(cluster.start(name));
    }
    cluster.awaitComplete(3, Duration.ofSeconds(30));
    nodes.getFirst().mailStore().addDomain(DOMAIN);
    await().atMost(Duration.ofSeconds(5)).until(() -> nodes.stream().allMatch(n -> n.store().hasDomain(DOMAIN)));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  /** {@code count} users, profiles spread over a, b and c, each with mail in INBOX and Sent delivered through all three. */
  private List<String> usersWithMail(int count, int messagesEach) {
    List<String> users = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String user = "user" + i + "@" + DOMAIN;
      nodes.get(i % 3).mailStore().addUser(user, PASSWORD.toCharArray());
      users.add(user);
    }
    List<CompletableFuture<?>> writes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      for (int m = 0; m < messagesEach; m++) {
        MailStore via = nodes.get((i + m) % 3).mailStore();
        byte[] body = message(users.get(i) + " #" + m, 200 + 37 * m);
        writes.add(m % 4 == 3
            ? via.append(users.get(i), "Sent", body, Set.of("\\Seen"), Instant.ofEpochSecond(1_700_000_000L + m), null)
            : via.deliver(List.of(users.get(i)), MailStore.INBOX, body, Instant.ofEpochSecond(1_700_000_000L + m)));
      }
    }
    writes.forEach(CompletableFuture::join);
    for (int i = 0; i < count; i += 2) {
      MailStore via = nodes.get(i % 3).mailStore();
      List<Long> uids = via.messages(users.get(i), MailStore.INBOX).stream().map(MessageMeta::uid).toList();
      via.updateFlags(users.get(i), MailStore.INBOX, uids.subList(0, Math.min(2, uids.size())),
          new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Flagged", "$Work"), -1)).join();
    }
    return users;
  }

  private static byte[] message(String subject, int size) {
    StringBuilder sb = new StringBuilder("From: sender@elsewhere.example\r\nSubject: ").append(subject).append("\r\n\r\n");
    while (sb.length() < size) {
      sb.append("Lorem ipsum dolor sit amet.\r\n");
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  /** A mailbox as clients see it: every message's metadata (UID, flags, MODSEQ, date, size, checksum) and bytes. */
  private record Seen(List<MessageMeta> messages, Map<Long, String> bytes) {}

  private static Seen read(MailStore via, String user, String box) {
    List<MessageMeta> messages = via.messages(user, box);
    Map<Long, String> bytes = new TreeMap<>();
    List<Long> uids = messages.stream().map(MessageMeta::uid).toList();
    for (LoadedMessage m : via.load(user, box, uids, EnumSet.of(LoadedMessage.Part.BODY))) {
      bytes.put(m.meta().uid(), new String(m.body(), StandardCharsets.US_ASCII));
    }
    return new Seen(messages, bytes);
  }

  private static long messagesHeld(QuillNode node) {
    return node.store().fragments(0, 0).stream().flatMap(u -> u.fragments().stream())
        .mapToLong(FragmentSummary::messageCount).sum();
  }

  /** Each UID of a user's mailbox is stored on exactly {@link #COPIES} nodes once the moves are over. */
  private void assertEachMessageStoredOnEnoughNodes(List<String> users) {
    for (String user : users) {
      for (String box : BOXES) {
        Map<Long, Integer> copies = new TreeMap<>();
        for (QuillNode n : cluster.nodes()) {
          for (MessageMeta m : n.store().messages(user, box)) {
            copies.merge(m.uid(), 1, Integer::sum);
          }
        }
        assertThat(copies).as("%s/%s: copies per UID", user, box).allSatisfy((uid, n) -> assertThat(n).isEqualTo(COPIES));
      }
    }
  }

  private static int run(StringWriter out, StringWriter err, String... args) {
    return QuillCli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
  }

  @Test
  void rebalance_toANewNode_givesItItsShare_andEveryMailboxReadsExactlyAsBefore() throws Exception {
    List<String> users = usersWithMail(30, 8);
    Map<String, Seen> before = new HashMap<>();
    for (String user : users) {
      for (String box : BOXES) {
        before.put(user + "/" + box, read(nodes.getFirst().mailStore(), user, box));
      }
    }
    long total = nodes.stream().mapToLong(ClusterRebalanceTest::messagesHeld).sum();
    assertThat(total).as("every message on %d nodes", COPIES).isEqualTo(30 * 8 * COPIES);
    QuillNode d = cluster.start("d");
    cluster.awaitComplete(4, Duration.ofSeconds(30));

    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = run(out, err, "cluster", "rebalance", "--data", dir.resolve("b").toString());

    assertThat(code).as(out + "\n" + err).isZero();
    List<String> lines = out.toString().lines().toList();
    assertThat(lines.getFirst()).as("without --to, the member storing the fewest messages")
        .matches("rebalance b-\\d+: a, b, c move about 1/4 of their messages to d");
    assertThat(lines.subList(1, lines.size() - 1))
        .allMatch(l -> l.matches("moved \\d+ of \\d+ messages \\(\\d+ of \\d+ fragments\\) to d; 0 failed"));
    assertThat(lines.getLast()).matches("done: \\d+ messages \\(\\d+ bytes\\) in \\d+ fragments moved to d; 0 fragments"
        + " failed");
    long onD = messagesHeld(d);
    assertThat(lines.getLast()).startsWith("done: " + onD + " messages");
    assertThat(onD).as("about a quarter of %d", total).isBetween(total / 8, total * 3 / 8);
    assertThat(cluster.nodes().stream().mapToLong(ClusterRebalanceTest::messagesHeld).sum()).isEqualTo(total);
    assertEachMessageStoredOnEnoughNodes(users);

    for (QuillNode via : cluster.nodes()) {
      for (String user : users) {
        for (String box : BOXES) {
          Seen after = read(via.mailStore(), user, box);
          Seen was = before.get(user + "/" + box);
          assertThat(after.messages()).as("%s/%s through %s", user, box, via.cluster().name())
              .isEqualTo(was.messages());
          assertThat(after.bytes()).as("bytes of %s/%s", user, box).isEqualTo(was.bytes());
        }
      }
    }
    // and through IMAP on the new node, for users whose mail moved there
    List<String> moved = d.store().fragments(0, 0).stream().map(UserFragments::user).limit(2).toList();
    assertThat(moved).isNotEmpty();
    for (String user : moved) {
      assertThat(imapUidsAndFlags(d, user)).as(user).isEqualTo(before.get(user + "/INBOX").messages().stream()
          .map(m -> m.uid() + " " + new TreeSet<>(m.flags())).toList());
    }
  }

  /** UID and flags (sorted, system flags as IMAP spells them) of each INBOX message, read with Angus Mail. */
  private static List<String> imapUidsAndFlags(QuillNode node, String user) throws MessagingException {
    Properties p = new Properties();
    p.put("mail.imap.connectiontimeout", "10000");
    p.put("mail.imap.timeout", "20000");
    Store store = Session.getInstance(p).getStore("imap");
    store.connect("127.0.0.1", node.ports().get("imap"), user, PASSWORD);
    try (store) {
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      List<String> result = new ArrayList<>();
      for (Message m : inbox.getMessages()) {
        TreeSet<String> flags = new TreeSet<>(Arrays.asList(m.getFlags().getUserFlags()));
        for (Flags.Flag f : m.getFlags().getSystemFlags()) {
          if (SYSTEM_FLAGS.containsKey(f)) {
            flags.add(SYSTEM_FLAGS.get(f)); // \Recent is a session's, not the message's
          }
        }
        result.add(((UIDFolder) inbox).getUID(m) + " " + flags);
      }
      inbox.close(false);
      return result;
    }
  }

  /**
   * Clients deliver, change flags and expunge on the mailboxes being moved, through all four nodes,
   * until the rebalance is over: every delivery acknowledged is readable after, every expunged
   * message stays gone, and every message has the flags last set.
   * A flag change or expunge sent by a layout read just before its message moved is found again
   * by {@code ClusterMailStore} where the message is now.
   */
  @Test
  void rebalance_whileClientsDeliverChangeFlagsAndExpunge_losesNothingAndResurrectsNothing() throws Exception {
    // few users with large INBOXes: the largest fragments move first, so the clients' mailboxes move
    List<String> users = usersWithMail(6, 40);
    QuillNode d = cluster.start("d");
    cluster.awaitComplete(4, Duration.ofSeconds(30));
    List<Client> clients = new ArrayList<>();
    for (int i = 0; i < users.size(); i++) {
      clients.add(new Client(users.get(i), cluster.nodes(), new Random(i)));
    }
    AtomicBoolean moving = new AtomicBoolean(true);
    List<CompletableFuture<Void>> running = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (Client client : clients) {
        running.add(CompletableFuture.runAsync(() -> {
          while (moving.get() || client.operations < 10) {
            client.step();
          }
        }, threads));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> clients.stream().allMatch(c -> c.operations >= 2));

      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = run(out, err, "cluster", "rebalance", "--to", "d", "--no-wait", "--data", dir.resolve("c").toString());
      assertThat(code).as(err.toString()).isZero();
      assertThat(out.toString()).contains("move about 1/4 of their messages to d", "started; it goes on in the background");
      String runId = out.toString().lines().findFirst().orElseThrow().split(" ")[1].replace(":", "");
      int atStart = clients.stream().mapToInt(c -> c.operations).sum();
      try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve("a")).orElseThrow()) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
          RebalanceReport r = ops.rebalanceStatus(runId);
          return r.nodes().size() == 3 && r.nodes().stream().allMatch(n -> n.state().equals("DONE"));
        });
        RebalanceReport done = ops.rebalanceStatus(runId);
        assertThat(done.nodes()).allSatisfy(n -> assertThat(n.fragmentsFailed()).as(n.error()).isZero());
        assertThat(done.nodes().stream().mapToLong(RebalanceReport.Node::messagesMoved).sum()).isPositive();
      }
      assertThat(clients.stream().mapToInt(c -> c.operations).sum()).as("operations during the move")
          .isGreaterThan(atStart + users.size());
      moving.set(false);
      CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).get();
    }
    int operations = clients.stream().mapToInt(c -> c.operations).sum();
    int refused = clients.stream().mapToInt(c -> c.refused).sum();
    org.slf4j.LoggerFactory.getLogger(ClusterRebalanceTest.class).info("{} client operations during the rebalance,"
        + " {} refused", operations, refused);
    assertThat(refused).as("refusals among %d operations", operations).isLessThan(operations / 10 + 1);

    assertThat(messagesHeld(d)).as("d took its share").isPositive();
    assertEachMessageStoredOnEnoughNodes(users);
    for (Client client : clients) {
      for (QuillNode via : cluster.nodes()) {
        Map<Long, MessageMeta> now = new TreeMap<>();
        via.mailStore().messages(client.user, MailStore.INBOX).forEach(m -> now.put(m.uid(), m));
        assertThat(now.keySet()).as("deliveries acknowledged during the move, read on %s", via.cluster().name())
            .containsAll(client.delivered);
        assertThat(now.keySet()).as("expunged stay gone").doesNotContainAnyElementsOf(client.expunged);
        client.flags.forEach((uid, set) ->
            assertThat(now.get(uid).flags()).as("%s UID %d flags as last set", client.user, uid).isEqualTo(set));
      }
    }
  }

  /**
   * One client working on one user's INBOX through a random node per operation, reading the mailbox
   * before each (as a session does when told of a change): a delivery, a flag change or an expunge
   * in turn. It records what was acknowledged; an operation that fails is not acknowledged, and the
   * message it touched is expected nothing of any more.
   */
  private static final class Client {
    final String user;
    final List<QuillNode> nodes;
    final Random random;
    final Set<Long> delivered = new HashSet<>();
    final Set<Long> expunged = new HashSet<>();
    final Map<Long, Set<String>> flags = new HashMap<>();
    volatile int operations;
    int refused;

    Client(String user, List<QuillNode> nodes, Random random) {
      this.user = user;
      this.nodes = List.copyOf(nodes);
      this.random = random;
    }

    void step() {
      MailStore via = nodes.get(random.nextInt(nodes.size())).mailStore();
      long uid = -1;
      try {
        List<Long> uids = via.messages(user, MailStore.INBOX).stream().map(MessageMeta::uid).toList();
        int kind = uids.isEmpty() ? 0 : operations % 3;
        if (kind == 0) {
          DeliveryResult r = via.deliver(List.of(user), MailStore.INBOX, message(user + " " + operations, 300),
              Instant.now()).join().getFirst();
          if (r.status() == DeliveryResult.Status.STORED) {
            delivered.add(r.uid());
          }
        } else {
          uid = uids.get(random.nextInt(uids.size()));
          if (kind == 1) {
            changeFlags(via, uid, Set.of("$Step" + operations));
          } else {
            expunge(via, uid);
          }
        }
      } catch (RuntimeException e) {
        refused++;
        if (uid >= 0) {
          flags.remove(uid);
          delivered.remove(uid);
        }
      }
      operations++;
    }

    private void changeFlags(MailStore via, long uid, Set<String> set) {
      FlagResult r = via.updateFlags(user, MailStore.INBOX, List.of(uid), new FlagUpdate(FlagUpdate.Mode.REPLACE, set,
          -1)).join();
      assertThat(r.updated()).as("UID %d of %s changed wherever it is now", uid, user)
          .anyMatch(m -> m.uid() == uid && m.flags().equals(set));
      flags.put(uid, set);
    }

    private void expunge(MailStore via, long uid) {
      via.expunge(user, MailStore.INBOX, List.of(uid)).join();
      if (via.messages(user, MailStore.INBOX).stream().anyMatch(m -> m.uid() == uid)) {
        // Where the copy that outlived the expunge is, now and a moment later (a move in flight?)
        String now = holdersOf(uid);
        sleepQuietly(500);
        throw new AssertionError("UID " + uid + " of " + user + " gone wherever it was: still held by " + now
            + "; 500 ms later by " + holdersOf(uid) + "; the cluster lists it "
            + (via.messages(user, MailStore.INBOX).stream().anyMatch(m -> m.uid() == uid) ? "still" : "no more"));
      }
      expunged.add(uid);
      flags.remove(uid);
      delivered.remove(uid);
    }

    /** The nodes whose own store holds {@code uid} of this user's INBOX, with its MODSEQ there. */
    private String holdersOf(long uid) {
      List<String> holders = new ArrayList<>();
      for (QuillNode node : nodes) {
        try {
          node.store().messages(user, MailStore.INBOX).stream().filter(m -> m.uid() == uid)
              .forEach(m -> holders.add(node.cluster().name() + "(modseq " + m.modSeq() + ")"));
        } catch (RuntimeException e) {
          holders.add(node.cluster().name() + "(unreadable: " + e.getMessage() + ")");
        }
      }
      return holders.toString();
    }

    private static void sleepQuietly(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Test
  void rebalance_onAStandaloneNode_needsACluster() throws Exception {
    QuillNode solo = cluster.add(QuillNode.start(cluster.config("solo")));
    assertThat(solo.cluster()).isNull();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();

    int code = run(out, err, "cluster", "rebalance", "--data", dir.resolve("solo").toString());

    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("a rebalance needs a cluster");
    assertThat(run(new StringWriter(), err, "cluster", "rebalance", "--data", dir.resolve("none").toString()))
        .isEqualTo(1);
    assertThat(err.toString()).contains("no running node on");
  }
}
