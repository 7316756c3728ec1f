package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.directory.ProfileReplicas;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.server.node.QuillNode;
import dev.quill.store.MailboxInfo;
import dev.quill.store.Versioned;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Profiles on two of three real nodes in this JVM (the default R = 2): a user's password, quota and
 * mailbox catalog are on two nodes; with either one gone the user logs in and changes things; a
 * holder that was away takes the changes it missed when it returns, a user deleted meanwhile stays
 * deleted, and a node whose clock runs ten seconds ahead cannot make its older change win.
 */
class ClusterProfileReplicationTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "pia@" + DOMAIN;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  private List<QuillNode> startThree(long clockOffsetOfA) throws Exception {
    cluster = new InJvmCluster(dir, "profiles");
    QuillNode a = cluster.start("a", c -> c.withClockOffsetMillis(clockOffsetOfA));
    QuillNode b = cluster.start("b");
    QuillNode c = cluster.start("c");
    cluster.awaitComplete(3, WAIT);
    a.mailStore().addDomain(DOMAIN);
    await().atMost(WAIT).until(() -> cluster.nodes().stream().allMatch(n -> n.store().hasDomain(DOMAIN)));
    return List.of(a, b, c);
  }

  /** The nodes whose own store holds the user's profile. */
  private List<String> holders() {
    return cluster.nodes().stream().filter(n -> n.store().user(USER).isPresent()).map(n -> n.cluster().name())
        .sorted().toList();
  }

  /** Name and UIDVALIDITY of each mailbox of the catalog on one node's own store. */
  private static Map<String, Long> catalog(QuillNode n) {
    return n.store().mailboxes(USER).stream()
        .collect(Collectors.toMap(MailboxInfo::name, MailboxInfo::uidValidity, (x, y) -> x, TreeMap::new));
  }

  private static boolean loginWorks(QuillNode via, String password) throws Exception {
    return MailClients.imapLogin(via.ports().get("imap"), USER, password).contains("OK");
  }

  private void restart(String name, long clockOffset) throws Exception {
    cluster.start(name, c -> c.withClockOffsetMillis(clockOffset));
    cluster.awaitComplete(3, WAIT);
  }

  private void stopNode(QuillNode n) {
    n.close();
    cluster.nodes().remove(n);
    cluster.awaitComplete(2, WAIT);
  }

  @Test
  void profileAndCatalog_areOnTwoNodes_andEitherOneServesAlone() throws Exception {
    List<QuillNode> nodes = startThree(0);
    QuillNode a = nodes.get(0);
    a.mailStore().addUser(USER, "first-pw".toCharArray());
    assertThat(holders()).as("the profile on R = 2 nodes").hasSize(2).contains("a");

    nodes.get(1).mailStore().setPassword(USER, "second-pw".toCharArray());
    nodes.get(2).mailStore().setQuota(USER, 1_000_000);
    try (var store = MailClients.connect("imap", nodes.get(2).ports().get("imap"), USER, "second-pw")) {
      store.getFolder("Projects").create(jakarta.mail.Folder.HOLDS_MESSAGES);
    }
    for (String h : holders()) {
      QuillNode n = cluster.node(h);
      assertThat(n.store().authenticate(USER, "second-pw".toCharArray())).as("new password on %s", h).isTrue();
      assertThat(n.store().user(USER).orElseThrow().quotaBytes()).as("quota on %s", h).isEqualTo(1_000_000);
      assertThat(catalog(n)).as("catalog on %s", h).containsKey("Projects").isEqualTo(catalog(a));
    }

    // Each holder in turn is the only one left of the two: the user still logs in and changes things.
    for (String gone : holders()) {
      QuillNode g = cluster.node(gone);
      stopNode(g);
      for (QuillNode via : cluster.nodes()) {
        assertThat(loginWorks(via, "second-pw")).as("login via %s with %s gone", via.cluster().name(), gone).isTrue();
      }
      cluster.nodes().getFirst().mailStore().setSubscribed(USER, "Projects", false);
      assertThat(holders()).as("a spare took a copy: two live copies again").hasSize(2);
      restart(gone, 0);
      cluster.nodes().getFirst().mailStore().setSubscribed(USER, "Projects", true);
    }
  }

  @Test
  void catalogChanges_reachEveryCopy_andLeaveNoStaleMailbox() throws Exception {
    List<QuillNode> nodes = startThree(0);
    nodes.get(0).mailStore().addUser(USER, "pw".toCharArray());
    try (var store = MailClients.connect("imap", nodes.get(1).ports().get("imap"), USER, "pw")) {
      store.getFolder("Old").create(jakarta.mail.Folder.HOLDS_MESSAGES);
      store.getFolder("Gone").create(jakarta.mail.Folder.HOLDS_MESSAGES);
    }
    try (var store = MailClients.connect("imap", nodes.get(2).ports().get("imap"), USER, "pw")) {
      assertThat(store.getFolder("Old").renameTo(store.getFolder("New"))).isTrue();
      assertThat(store.getFolder("Gone").delete(false)).isTrue();
    }
    Map<String, Long> primary = catalog(cluster.node(holders().getFirst()));
    assertThat(primary).containsKey("New").doesNotContainKeys("Old", "Gone");
    for (String h : holders()) {
      assertThat(catalog(cluster.node(h))).as("catalog on %s", h).isEqualTo(primary);
    }
    for (QuillNode n : cluster.nodes()) {
      assertThat(catalog(n)).as("no stale mailbox on %s", n.cluster().name()).doesNotContainKeys("Old", "Gone");
    }
  }

  @Test
  void deleteThroughTheSecondHolder_removesTheUserEverywhere() throws Exception {
    List<QuillNode> nodes = startThree(0);
    nodes.get(0).mailStore().addUser(USER, "pw".toCharArray());
    MailClients.send(nodes.get(1).ports().get("smtp"), USER, "hello");
    QuillNode second = cluster.node(holders().getLast()); // not the primary: its copy goes with the tombstone first

    assertThat(second.mailStore().deleteUser(USER)).isTrue();

    assertThat(holders()).isEmpty();
    for (QuillNode n : cluster.nodes()) {
      assertThat(n.store().mailboxes(USER)).as("mailboxes left on %s", n.cluster().name()).isEmpty();
    }
  }

  @Test
  void aHolderAway_missesChanges_andTakesThemWhenBack_andADeleteStays() throws Exception {
    List<QuillNode> nodes = startThree(0);
    nodes.get(0).mailStore().addUser(USER, "first-pw".toCharArray());
    String away = holders().getLast(); // the holder that is not the primary
    stopNode(cluster.node(away));

    cluster.nodes().getFirst().mailStore().setPassword(USER, "while-away".toCharArray());
    restart(away, 0);
    await().atMost(WAIT).untilAsserted(() -> assertThat(cluster.node(away).store()
        .authenticate(USER, "while-away".toCharArray())).as("%s took the change it missed", away).isTrue());
    assertThat(cluster.node(away).store().authenticate(USER, "first-pw".toCharArray())).isFalse();

    stopNode(cluster.node(away));
    cluster.nodes().getFirst().mailStore().deleteUser(USER);
    restart(away, 0);
    await().atMost(WAIT).untilAsserted(() -> assertThat(cluster.node(away).store().user(USER))
        .as("the delete reached %s when it returned", away).isEmpty());
    for (QuillNode via : cluster.nodes()) {
      assertThat(via.mailStore().resolveRecipient(USER)).as("unknown via %s", via.cluster().name()).isEmpty();
      assertThat(loginWorks(via, "while-away")).isFalse();
    }
    assertThat(holders()).isEmpty();
  }

  @Test
  void aNodeTenSecondsAhead_cannotMakeItsOlderChangeWin() throws Exception {
    List<QuillNode> nodes = startThree(10_000);
    QuillNode a = nodes.get(0);
    a.mailStore().addUser(USER, "first-pw".toCharArray());
    a.mailStore().setPassword(USER, "from-fast-a".toCharArray()); // stamped on a, ten seconds ahead
    long fastStamp = a.store().version(Versioned.PROFILE, USER);
    assertThat(fastStamp >>> 16).as("a's stamp is ahead of the wall clock")
        .isGreaterThan(System.currentTimeMillis() + 5_000);
    stopNode(a);

    QuillNode b = cluster.node("b");
    b.mailStore().setPassword(USER, "later-on-b".toCharArray()); // made later, by a node with a true clock
    restart("a", 10_000);

    await().atMost(WAIT).untilAsserted(() -> assertThat(cluster.node("a").store()
        .authenticate(USER, "later-on-b".toCharArray())).as("a took the later change").isTrue());
    for (String h : holders()) {
      assertThat(cluster.node(h).store().authenticate(USER, "from-fast-a".toCharArray())).as("old password on %s", h).isFalse();
      assertThat(cluster.node(h).store().version(Versioned.PROFILE, USER)).as("stamp on %s", h).isGreaterThan(fastStamp);
    }
    for (QuillNode via : cluster.nodes()) {
      assertThat(loginWorks(via, "later-on-b")).as("login via %s", via.cluster().name()).isTrue();
    }
    assertThat(Set.copyOf(holders())).contains("a");
  }

  @Test
  void aProfileCreatedOnALoneNode_getsItsSecondCopyWhenOthersJoin_andAnUnreplicatedChangeIsRepaired()
      throws Exception {
    cluster = new InJvmCluster(dir, "profiles-grow");
    QuillNode a = cluster.start("a");
    cluster.awaitComplete(1, WAIT);
    a.mailStore().addDomain(DOMAIN);
    a.mailStore().addUser(USER, "alone".toCharArray());
    assertThat(holders()).containsExactly("a");

    cluster.start("b");
    cluster.start("c");
    cluster.awaitComplete(3, WAIT);
    // Anti-entropy: the profile's primary (a, the only holder) sees one copy where R = 2 and adds one.
    await().atMost(WAIT).untilAsserted(() -> {
      a.profileReplicas().orElseThrow().syncAll();
      assertThat(holders()).hasSize(2).contains("a");
    });
    String second = holders().get(1);
    assertThat(cluster.node(second).store().authenticate(USER, "alone".toCharArray())).isTrue();

    // A change made on the primary whose replication never ran: same stamp, other contents. The next
    // run finds the copies differ and the primary stamps and pushes its copy again.
    long stamp = a.store().version(Versioned.PROFILE, USER);
    a.store().setPassword(USER, "changed".toCharArray());
    assertThat(a.store().version(Versioned.PROFILE, USER)).isEqualTo(stamp);
    await().atMost(WAIT).untilAsserted(() -> {
      a.profileReplicas().orElseThrow().syncAll();
      assertThat(cluster.node(second).store().authenticate(USER, "changed".toCharArray())).isTrue();
    });
    assertThat(cluster.node(second).store().version(Versioned.PROFILE, USER)).isGreaterThan(stamp);
    assertThat(holders()).hasSize(2);
  }
  @Test
  void aHolderBackAfterASpareTookItsPlace_isTrimmedToTwoCopies_andNoMessageOrNumberIsLost() throws Exception {
    List<QuillNode> nodes = startThree(0);
    nodes.get(0).mailStore().addUser(USER, "pw".toCharArray());
    for (QuillNode n : nodes) {
      MailClients.send(n.ports().get("smtp"), USER, "before, via " + n.cluster().name());
    }
    String away = holders().getLast(); // not the primary
    stopNode(cluster.node(away));
    cluster.nodes().getFirst().mailStore().setPassword(USER, "while-away".toCharArray());
    assertThat(holders()).as("a spare took the copy of %s", away).hasSize(2).doesNotContain(away);
    MailClients.send(cluster.nodes().getFirst().ports().get("smtp"), USER, "while away");
    for (QuillNode via : cluster.nodes()) { // each node now remembers where the profile is: itself on the holders
      assertThat(loginWorks(via, "while-away")).as("login via %s", via.cluster().name()).isTrue();
    }
    restart(away, 0); // three copies now: the returning holder's and the spare's
    assertThat(loginWorks(cluster.node(away), "while-away")).as("login via the returning holder").isTrue();

    await().atMost(WAIT).untilAsserted(() -> {
      cluster.nodes().forEach(n -> n.profileReplicas().orElseThrow().syncAll());
      assertThat(holders()).as("one of three copies given up").hasSize(2);
    });
    List<String> kept = holders();
    for (QuillNode n : cluster.nodes()) {
      assertThat(n.store().authenticate(USER, "while-away".toCharArray()))
          .as("the copy on %s, if any, is current", n.cluster().name()).isEqualTo(kept.contains(n.cluster().name()));
      assertThat(n.store().mailboxes(USER)).as("%s keeps its fragments", n.cluster().name()).isNotEmpty();
    }
    ManagerClient client = new ManagerClient(nodes.get(0).cluster().rpc(), nodes.get(0).cluster()::map,
        Duration.ofSeconds(5), 5, Duration.ofMillis(100));
    await().atMost(WAIT).untilAsserted(() -> assertThat(client.mailMap(USER).get().profileNodes())
        .as("the manager lists the copies kept").containsExactlyInAnyOrderElementsOf(kept));

    List<Long> before = MailClients.imapUids(cluster.nodes().getFirst().ports().get("imap"), USER, "while-away");
    assertThat(before).as("every message, wherever it is").hasSize(4);
    for (QuillNode via : cluster.nodes()) {
      assertThat(loginWorks(via, "while-away")).as("login via %s", via.cluster().name()).isTrue();
      MailClients.send(via.ports().get("smtp"), USER, "after, via " + via.cluster().name());
    }
    List<Long> after = MailClients.imapUids(cluster.node(kept.getLast()).ports().get("imap"), USER, "while-away");
    assertThat(after).as("the earlier messages, then three new ones above them").hasSize(7)
        .startsWith(before.toArray(Long[]::new)).isSorted().doesNotHaveDuplicates();
  }
  @Test
  void aNodeThatGaveUpItsCopy_readsLoginsFromTheCopiesKept_atOnce() throws Exception {
    List<QuillNode> nodes = startThree(0);
    nodes.get(0).mailStore().addUser(USER, "pw".toCharArray());
    QuillNode second = cluster.node(holders().getLast()); // not the primary, which every node reads otherwise
    assertThat(loginWorks(second, "pw")).as("login via %s, which reads its own copy", second.cluster().name()).isTrue();

    // What a PROFILE_DROP does on the node, without the manager's notice: the node's own memory of
    // where the profile is must not outlive the copy (it kept "here" for 60 s).
    assertThat(second.store().dropProfile(USER, second.store().version(Versioned.PROFILE, USER))).isTrue();
    assertThat(loginWorks(second, "pw")).as("login via %s after it gave its copy up", second.cluster().name())
        .isTrue();
  }
  @Test
  void aDropRequest_isRefusedWhileTheManagerListsTooFewOtherCopies() throws Exception {
    List<QuillNode> nodes = startThree(0);
    nodes.get(0).mailStore().addUser(USER, "pw".toCharArray());
    List<String> copies = holders();
    assertThat(copies).hasSize(2);
    QuillNode primary = cluster.node(copies.getFirst());
    QuillNode second = cluster.node(copies.getLast());
    long stamp = second.store().version(Versioned.PROFILE, USER);

    // A primary acting on an old view of the copies (or a misbehaving one) asks the only other copy to go.
    Set<String> dropped = primary.cluster().rpc().call(second.cluster().name(), ProfileReplicas.DROP,
        Map.of(USER, stamp), Duration.ofSeconds(10)).get();

    assertThat(dropped).as("the manager lists one other live copy where R = 2 are kept").isEmpty();
    assertThat(holders()).isEqualTo(copies);
    assertThat(second.store().authenticate(USER, "pw".toCharArray())).isTrue();
  }
}
