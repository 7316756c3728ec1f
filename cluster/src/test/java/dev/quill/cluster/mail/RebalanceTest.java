package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.groups.Tuple.tuple;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.MailMap;
import dev.quill.cluster.manager.ManagerNodes;
import dev.quill.cluster.manager.UidGrant;
import dev.quill.store.AssignedMessage;
import dev.quill.store.FlagUpdate;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fragments moved between three in-JVM nodes with real JGroups transports, real stores and real
 * managers: exact copies, client changes to either copy during a move, and a whole rebalance with
 * its progress. The users have no profile on any node, as for fragments held for a manager.
 */
class RebalanceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final long UIDVALIDITY = 1_750_000_000L;
  private static final String CAROL = "carol@example.org";
  private static final String DAVE = "dave@example.org";
  private static final Set<LoadedMessage.Part> ALL = Set.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED);

  @TempDir Path dir;

  private ManagerNodes cluster;
  private final List<ManagerNodes.Node> nodes = new ArrayList<>();
  private final Map<String, FragmentMover> movers = new HashMap<>();
  private final Map<String, FragmentService> storing = new HashMap<>();
  private final Map<String, FragmentAccess> access = new HashMap<>();
  private final Map<String, Rebalancer> rebalancers = new HashMap<>();

  /** The INBOX UIDVALIDITY of each user whose profile is on n2. */
  private static final Map<String, Long> INBOX_VALIDITY = new HashMap<>();

  @BeforeEach
  void create() {
    cluster = new ManagerNodes("rebalance", dir);
    for (String name : List.of("n1", "n2", "n3")) {
      nodes.add(cluster.create(name));
    }
    // Users have profiles (on n2), as every user does: managers reserve UIDs on the profile node.
    for (String user : List.of(CAROL, DAVE)) {
      node("n2").store.addUser(user, "pw".toCharArray());
      INBOX_VALIDITY.put(user, node("n2").store.mailbox(user, MailStore.INBOX).orElseThrow().uidValidity());
    }
  }

  /** The UIDVALIDITY a user's mailbox has: the profile's INBOX, or the test's own for other mailboxes and users. */
  private static long validity(String user, String box) {
    return box.equals(MailStore.INBOX) ? INBOX_VALIDITY.getOrDefault(user, UIDVALIDITY) : UIDVALIDITY;
  }

  private static MailMap.MailboxLocation inbox(MailMap map) {
    return map.mailboxes().stream().filter(b -> b.name().equals(MailStore.INBOX)).findFirst().orElseThrow();
  }

  @AfterEach
  void stop() {
    rebalancers.values().forEach(Rebalancer::close);
    movers.values().forEach(FragmentMover::close);
    cluster.close();
  }

  /** Joins every node, with managers and the fragment and rebalance services. */
  private void join() throws Exception {
    for (ManagerNodes.Node n : nodes) {
      cluster.join(n, true);
      storing.put(n.name, new FragmentService(n.rpc, n.store));
      access.put(n.name, new FragmentAccess(n.rpc, n.store));
      movers.put(n.name, new FragmentMover(n.name, n.store, storing.get(n.name), access.get(n.name), n.client,
          n.notices, TIMEOUT));
      rebalancers.put(n.name, new Rebalancer(n.name, n.rpc, n.store, storing.get(n.name), access.get(n.name), n.client,
          n.notices, () -> n.transport.view().members(), TIMEOUT));
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
  }

  private ManagerNodes.Node node(String name) {
    return nodes.stream().filter(n -> n.name.equals(name)).findFirst().orElseThrow();
  }

  /** Stores a message as a delivery numbered by the manager would have, with flags, a date and derived data. */
  private static void put(MailStore store, String user, String box, long uid, Set<String> flags) {
    byte[] body = ("Subject: " + user + " " + box + " " + uid + "\r\n\r\n" + "x".repeat((int) uid * 7) + "\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    store.storeAssigned(new AssignedMessage(user, box, validity(user, box), uid, uid, body, flags,
        Instant.ofEpochSecond(1_700_000_000L + uid * 3600), new MessageDerived(new byte[] {(byte) uid},
            ("text " + uid).getBytes(StandardCharsets.US_ASCII)))).join();
  }

  private static FlagUpdate set(String... flags) {
    return new FlagUpdate(FlagUpdate.Mode.REPLACE, Set.of(flags), -1);
  }

  private long modSeq(String user) {
    return node("n1").client.allocateModSeq(user, MailStore.INBOX).join().modSeq();
  }

  private static List<Long> uids(MailStore store, String user, String box) {
    return store.messages(user, box).stream().map(MessageMeta::uid).toList();
  }

  @Test
  void move_copiesEveryMessageExactly_thenTheSourceLetsGo() throws Exception {
    MailStore n1 = node("n1").store;
    for (long uid = 1; uid <= 5; uid++) {
      put(n1, CAROL, MailStore.INBOX, uid, uid % 2 == 0 ? Set.of("\\Seen", "$Work") : Set.of());
    }
    put(n1, CAROL, "Lists/quill", 9, Set.of());
    join();
    List<MessageMeta> before = n1.messages(CAROL, MailStore.INBOX);
    List<LoadedMessage> loadedBefore = n1.load(CAROL, MailStore.INBOX, uids(n1, CAROL, MailStore.INBOX), ALL);
    AtomicInteger copies = new AtomicInteger();

    FragmentMover.Outcome outcome = movers.get("n1").move(CAROL, MailStore.INBOX, "n3", b -> copies.incrementAndGet(),
        () -> false);

    assertThat(outcome).isEqualTo(new FragmentMover.Outcome.Moved(5, null));
    assertThat(copies).hasValue(5);
    MailStore n3 = node("n3").store;
    assertThat(n3.messages(CAROL, MailStore.INBOX)).as("same UIDs, MODSEQs, flags, dates, sizes, checksums")
        .isEqualTo(before);
    List<LoadedMessage> loadedAfter = n3.load(CAROL, MailStore.INBOX, uids(n3, CAROL, MailStore.INBOX), ALL);
    for (int i = 0; i < before.size(); i++) {
      assertThat(loadedAfter.get(i).body()).isEqualTo(loadedBefore.get(i).body());
      assertThat(loadedAfter.get(i).derived().structure()).isEqualTo(loadedBefore.get(i).derived().structure());
      assertThat(loadedAfter.get(i).derived().searchText()).isEqualTo(loadedBefore.get(i).derived().searchText());
    }
    assertThat(n3.mailbox(CAROL, MailStore.INBOX).orElseThrow().uidValidity()).isEqualTo(validity(CAROL, "INBOX"));
    assertThat(n3.expungedSince(CAROL, MailStore.INBOX, 0)).as("nothing vanished").isEmpty();
    assertThat(n1.mailbox(CAROL, MailStore.INBOX)).as("the emptied fragment is gone from n1").isEmpty();
    assertThat(uids(n1, CAROL, "Lists/quill")).as("the other fragment stays").containsExactly(9L);
    await().atMost(TIMEOUT).until(() -> inbox(node("n2").client.mailMap(CAROL).join()).nodes()
        .equals(List.of("n2", "n3")));
  }

  @Test
  void move_aDeliveryNumberedBeforeTheSourceLeft_isStoredThereAgain_andTheManagerListsItAgain() throws Exception {
    ManagerNodes.Node n1 = node("n1");
    put(n1.store, CAROL, MailStore.INBOX, 1, Set.of());
    join();
    UidGrant stale = n1.client.allocateUids(CAROL, MailStore.INBOX, 1).join();
    assertThat(stale.fragmentNodes()).containsExactly("n1", "n2");
    // a short timeout, so that the late look at the store comes after 3 s
    FragmentMover mover = new FragmentMover("n1", n1.store, storing.get("n1"), access.get("n1"), n1.client,
        n1.notices, Duration.ofSeconds(2));

    assertThat(mover.move(CAROL, MailStore.INBOX, "n3", b -> { }, () -> false))
        .isEqualTo(new FragmentMover.Outcome.Moved(1, null));
    await().atMost(TIMEOUT).until(() -> inbox(n1.client.mailMap(CAROL).join()).nodes().equals(List.of("n2", "n3")));
    // the delivery's grant named n1, so it stores there without telling the manager
    n1.store.storeAssigned(new AssignedMessage(CAROL, MailStore.INBOX, validity(CAROL, "INBOX"), stale.firstUid(),
        stale.firstModSeq(), "Subject: late\r\n\r\nlate\r\n".getBytes(StandardCharsets.US_ASCII), Set.of(), null,
        null)).join();

    await().atMost(TIMEOUT).until(() -> inbox(n1.client.mailMap(CAROL).join()).nodes()
        .equals(List.of("n1", "n2", "n3")));
  }

  @Test
  void move_whileClientsChangeEitherCopy_losesNothingAndResurrectsNothing() throws Exception {
    ManagerNodes.Node n1 = node("n1");
    ManagerNodes.Node n3 = node("n3");
    for (long uid = 1; uid <= 6; uid++) {
      put(n1.store, DAVE, MailStore.INBOX, uid, Set.of());
    }
    join();
    String box = MailStore.INBOX;
    long[] delivered = {0};
    AtomicInteger copies = new AtomicInteger();

    // After the last copy and before the comparison, clients change both copies (operations reach one
    // holder each, under MODSEQs from the manager), and a new message arrives at the source.
    FragmentMover.Outcome outcome = movers.get("n1").move(DAVE, box, "n3", bytes -> {
      if (copies.incrementAndGet() < 6) {
        return;
      }
      n1.store.expunge(DAVE, box, List.of(2L), modSeq(DAVE)).join();
      n1.store.updateFlags(DAVE, box, List.of(3L), set("\\Seen"), modSeq(DAVE)).join();
      n3.store.updateFlags(DAVE, box, List.of(4L), set("\\Flagged"), modSeq(DAVE)).join();
      n3.store.expunge(DAVE, box, List.of(5L), modSeq(DAVE)).join();
      n3.store.updateFlags(DAVE, box, List.of(6L), set("\\Answered"), modSeq(DAVE)).join();
      n1.store.updateFlags(DAVE, box, List.of(6L), set("$Later"), modSeq(DAVE)).join(); // the later of the two
      n1.store.updateFlags(DAVE, box, List.of(1L), set("\\Seen"), modSeq(DAVE)).join();
      n3.store.updateFlags(DAVE, box, List.of(1L), set("$Work"), modSeq(DAVE)).join(); // the later of the two
      UidGrant grant = n1.client.allocateUids(DAVE, box, 1).join();
      delivered[0] = grant.firstUid();
      n1.store.storeAssigned(new AssignedMessage(DAVE, box, validity(DAVE, box), grant.firstUid(), grant.firstModSeq(),
          "Subject: new\r\n\r\nnew\r\n".getBytes(StandardCharsets.US_ASCII), Set.of(), null, null)).join();
    }, () -> false);

    assertThat(outcome).isEqualTo(new FragmentMover.Outcome.Moved(6, null));
    assertThat(n3.store.messages(DAVE, box)).extracting(MessageMeta::uid, MessageMeta::flags).containsExactly(
        tuple(1L, Set.of("$Work")), tuple(3L, Set.of("\\Seen")), tuple(4L, Set.of("\\Flagged")),
        tuple(6L, Set.of("$Later")));
    assertThat(n3.store.expungedSince(DAVE, box, 0)).as("expunged on n1 during the move, then on n3 too")
        .contains(2L, 5L);
    assertThat(uids(n1.store, DAVE, box)).as("the new message stays on n1; the moved ones left")
        .containsExactly(delivered[0]);
    assertThat(n1.store.expungedSince(DAVE, box, 0)).containsExactly(2L);
    assertThat(inbox(n1.client.mailMap(DAVE).join()).nodes()).containsExactly("n1", "n2", "n3");
  }

  @Test
  void rebalance_movesAboutAThirdOfEachSource_toTheNewNode_andReportsProgress() throws Exception {
    // n1 and n2 hold 63 messages each in six INBOXes of 3, 6, ..., 18; n3 holds nothing
    Map<String, Map<Long, MessageMeta>> before = new TreeMap<>();
    for (int i = 0; i < 12; i++) {
      String user = "u" + i + "@example.org";
      MailStore store = node(i < 6 ? "n1" : "n2").store;
      for (long uid = 1; uid <= 3L * (i % 6 + 1); uid++) {
        put(store, user, MailStore.INBOX, uid, uid % 3 == 0 ? Set.of("\\Seen") : Set.of());
      }
      Map<Long, MessageMeta> metas = new TreeMap<>();
      store.messages(user, MailStore.INBOX).forEach(m -> metas.put(m.uid(), m));
      before.put(user, metas);
    }
    join();
    assertThatThrownBy(() -> rebalancers.get("n1").start("n9")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("not a member");

    Rebalancer.Started started = rebalancers.get("n1").start("n3");

    assertThat(started.target()).isEqualTo("n3");
    assertThat(started.sources()).containsExactly("n1", "n2");
    await().atMost(Duration.ofSeconds(60)).until(() -> rebalancers.get("n2").status().of(started.run()).stream()
        .allMatch(p -> p.state() == RebalanceProgress.State.DONE));
    RebalanceStatus status = rebalancers.get("n2").status();
    assertThat(status.unreachable()).isEmpty();
    assertThat(status.of(started.run())).extracting(RebalanceProgress::node).containsExactly("n1", "n2");
    assertThat(status.nodes()).filteredOn(p -> p.node().equals("n3")).singleElement()
        .satisfies(p -> assertThat(p.state()).isEqualTo(RebalanceProgress.State.IDLE));
    for (RebalanceProgress p : status.of(started.run())) {
      assertThat(p.fragmentsFailed()).as(p.error()).isZero();
      assertThat(p.fragmentsMoved()).isEqualTo(p.fragmentsPlanned()).isPositive();
      assertThat(p.messagesMoved()).as("a third of 63, in whole fragments").isEqualTo(p.messagesPlanned())
          .isEqualTo(21);
      assertThat(p.bytesMoved()).isPositive();
    }
    // every message exactly once, on some node, exactly as before
    long onN3 = 0;
    for (var user : before.entrySet()) {
      Map<Long, MessageMeta> after = new TreeMap<>();
      for (ManagerNodes.Node n : nodes) {
        for (MessageMeta m : n.store.messages(user.getKey(), MailStore.INBOX)) {
          assertThat(after.put(m.uid(), m)).as("UID %d of %s held twice", m.uid(), user.getKey()).isNull();
          onN3 += n.name.equals("n3") ? 1 : 0;
        }
      }
      assertThat(after).as(user.getKey()).isEqualTo(user.getValue());
    }
    assertThat(onN3).isEqualTo(42);
  }
}
