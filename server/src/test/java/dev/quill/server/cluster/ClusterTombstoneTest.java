package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.server.node.QuillNode;
import dev.quill.store.Versioned;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tombstones of a deleted user, domain and alias on three real nodes in this JVM, with a grace
 * period of two seconds: dropped on every node once all have them; kept while a member is away —
 * which returns with the live old objects, takes the deletes instead of spreading them, and then
 * lets the tombstones go.
 */
class ClusterTombstoneTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "pia@" + DOMAIN;
  private static final String ALIAS = "sales@" + DOMAIN;
  private static final String TARGET = "bob@" + DOMAIN;
  private static final String OLD_DOMAIN = "old.test";
  private static final Duration GRACE = Duration.ofSeconds(2);
  private static final Duration WAIT = Duration.ofSeconds(30);
  /** The three deleted objects, each by the kind of its tombstone. */
  private static final Map<Versioned, String> DELETED = Map.of(Versioned.PROFILE, USER, Versioned.ALIAS, ALIAS,
      Versioned.DOMAIN, OLD_DOMAIN);

  @TempDir
  Path dir;

  /** The test's nodes; each test closes them. */
  private InJvmCluster cluster;

  private QuillNode start(String name) throws Exception {
    return cluster.start(name, c -> c.withTombstoneGrace(GRACE));
  }

  /** Three nodes with a user (on two of them), an alias and a second domain (on all); closed again if that fails. */
  private InJvmCluster startThreeWithObjects() throws Exception {
    cluster = new InJvmCluster(dir, "tombstones");
    try {
      QuillNode a = start("a");
      start("b");
      start("c");
      cluster.awaitComplete(3, WAIT);
      a.mailStore().addDomain(DOMAIN);
      a.mailStore().addDomain(OLD_DOMAIN);
      await().atMost(WAIT).until(() -> cluster.nodes().stream().allMatch(n -> n.store().hasDomain(DOMAIN)));
      a.mailStore().addUser(USER, "pw".toCharArray());
      a.mailStore().addUser(TARGET, "pw".toCharArray());
      a.mailStore().addAlias(ALIAS, TARGET);
      await().atMost(WAIT).until(() -> cluster.nodes().stream().allMatch(n -> n.store().hasDomain(OLD_DOMAIN)
          && n.store().aliasTarget(ALIAS).isPresent()));
      return cluster;
    } catch (Exception | AssertionError e) {
      cluster.close();
      throw e;
    }
  }

  private void deleteAllThrough(QuillNode via) {
    assertThat(via.mailStore().deleteUser(USER)).isTrue();
    assertThat(via.mailStore().deleteAlias(ALIAS)).isTrue();
    assertThat(via.mailStore().deleteDomain(OLD_DOMAIN)).isTrue();
  }

  /** The nodes whose own store holds the user's profile. */
  private List<String> holders() {
    return cluster.nodes().stream().filter(n -> n.store().user(USER).isPresent()).map(n -> n.cluster().name())
        .sorted().toList();
  }

  /** The kinds of the deleted objects whose tombstone {@code n} still holds. */
  private static List<Versioned> tombstonesOn(QuillNode n) {
    return DELETED.entrySet().stream().filter(e -> n.store().versions(e.getKey()).containsKey(e.getValue()))
        .map(Map.Entry::getKey).sorted().toList();
  }

  private void awaitNoTombstoneAnywhere() {
    await().atMost(WAIT).untilAsserted(() -> {
      for (QuillNode n : cluster.nodes()) {
        assertThat(tombstonesOn(n)).as("tombstones left on %s", n.cluster().name()).isEmpty();
      }
    });
  }

  /** Nothing deleted is back: no copy of the user, the alias or the domain on any node, and no delivery to them. */
  private void assertNothingCameBack() {
    assertThat(holders()).isEmpty();
    for (QuillNode n : cluster.nodes()) {
      String name = n.cluster().name();
      assertThat(n.store().aliasTarget(ALIAS)).as("alias on %s", name).isEmpty();
      assertThat(n.store().hasDomain(OLD_DOMAIN)).as("domain on %s", name).isFalse();
      assertThat(n.mailStore().resolveRecipient(USER)).as("user via %s", name).isEmpty();
    }
  }

  @Test
  void allUp_theTombstonesOfADeletedUserDomainAndAlias_areDroppedOnEveryNode_afterTheGracePeriod() throws Exception {
    try (InJvmCluster nodes = startThreeWithObjects()) {
      deleteAllThrough(cluster.node("b"));
      for (QuillNode n : nodes.nodes()) {
        assertThat(tombstonesOn(n)).as("the deletes are tombstones on %s at first", n.cluster().name())
            .contains(Versioned.ALIAS, Versioned.DOMAIN);
      }

      awaitNoTombstoneAnywhere();
      assertNothingCameBack();
      assertThat(cluster.node("a").tombstones().orElseThrow().last().blockedBy()).isEmpty();
    }
  }

  @Test
  void aMemberAway_keepsTheTombstones_andReturningWithTheOldObjects_doesNotBringThemBack() throws Exception {
    try (InJvmCluster nodes = startThreeWithObjects()) {
      String away = holders().getLast(); // holds the live profile, the alias and the domain when it stops
      QuillNode gone = cluster.node(away);
      gone.close();
      nodes.nodes().remove(gone);
      nodes.awaitComplete(2, WAIT);
      deleteAllThrough(nodes.nodes().getFirst()); // the tombstone's second copy goes to the spare
      assertThat(nodes.nodes()).as("the profile's tombstone on both live nodes")
          .allMatch(n -> tombstonesOn(n).contains(Versioned.PROFILE));

      // Well past the grace period, runs find the tombstones due, and the member away keeps them all.
      for (QuillNode n : nodes.nodes()) {
        await().atMost(WAIT).until(() -> n.tombstones().orElseThrow().last().due() >= 2
            && n.tombstones().orElseThrow().last().blockedBy().contains(away));
      }
      Thread.sleep(GRACE.toMillis());
      List<QuillNode> tombstoneHolders = nodes.nodes().stream().filter(n -> tombstonesOn(n).size() == 3).toList();
      assertThat(tombstoneHolders).as("a profile holder keeps all three tombstones").isNotEmpty();
      for (QuillNode n : nodes.nodes()) {
        assertThat(tombstonesOn(n)).as("no tombstone dropped on %s", n.cluster().name())
            .contains(Versioned.ALIAS, Versioned.DOMAIN);
      }

      QuillNode back = start(away); // with the live user, alias and domain it had
      nodes.awaitComplete(3, WAIT);
      await().atMost(WAIT).untilAsserted(() -> {
        assertThat(back.store().user(USER)).as("the returning node took the user's delete").isEmpty();
        assertThat(back.store().aliasTarget(ALIAS)).isEmpty();
        assertThat(back.store().hasDomain(OLD_DOMAIN)).isFalse();
      });
      awaitNoTombstoneAnywhere();
      assertNothingCameBack();
    }
  }
}
