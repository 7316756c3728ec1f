package dev.quill.cluster.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.directory.DirectoryNodes.Node;
import dev.quill.store.StoreException;
import dev.quill.store.Versioned;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Domains and aliases changed on one node reach every node, and their tombstones go once every member
 * confirms them ({@link TombstonePruner}): in-JVM nodes with real transports and stores.
 */
class DirectoryTest {
  private static final Duration DEADLINE = Duration.ofSeconds(15);
  private static final String ANN = "ann@example.org";

  @TempDir Path dir;
  private DirectoryNodes nodes;
  private Node a;
  private Node b;
  private Node c;

  @BeforeEach
  void start() throws Exception {
    nodes = new DirectoryNodes("directory", dir);
    a = nodes.start("a");
    b = nodes.start("b");
    c = nodes.start("c");
    await().atMost(DEADLINE).until(() -> List.of(a, b, c).stream().allMatch(n -> n.transport.view().size() == 3));
  }

  @AfterEach
  void close() {
    nodes.close();
  }

  @Test
  void domainAndAlias_addedOnOneNode_visibleOnEveryNode_andDeletesPropagate() {
    assertThat(a.directory.addDomain("Example.org")).isTrue();
    await().atMost(DEADLINE).until(() -> b.store.hasDomain("example.org") && c.store.hasDomain("example.org"));
    assertThat(b.directory.addDomain("example.org")).as("already there: no error, nothing new").isFalse();

    c.store.addUser(ANN, "secret".toCharArray());
    a.directory.addAlias("Info@example.org", ANN); // ann's profile is on c only
    await().atMost(DEADLINE).until(() -> everyNode(n -> n.store.aliasTarget("info@example.org").equals(Optional.of(ANN))));
    assertThat(c.store.resolveRecipient("info@example.org")).as("c holds ann").contains(ANN);
    assertThat(a.store.resolveRecipient("info@example.org")).as("a does not hold ann").isEmpty();

    assertThatThrownBy(() -> a.directory.addAlias("x@unknown.example", ANN))
        .isInstanceOf(StoreException.class).hasMessageContaining("unknown.example is not a local domain");
    assertThatThrownBy(() -> c.directory.addAlias(ANN, "bob@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("collides with the user " + ANN);
    assertThatThrownBy(() -> b.directory.addAlias("info@example.org", "bob@example.org"))
        .isInstanceOf(StoreException.class).hasMessageContaining("already points to " + ANN);

    assertThat(b.directory.deleteAlias("info@example.org")).isTrue();
    await().atMost(DEADLINE).until(() -> everyNode(n -> n.store.aliases().isEmpty()));
    assertThat(b.directory.deleteAlias("info@example.org")).isFalse();

    // a has no user in example.org, c has ann: a and b delete the domain, c keeps it and logs why.
    assertThat(a.directory.deleteDomain("example.org")).isTrue();
    a.directory.addDomain("later.example"); // applied on c after the delete, since changes to c go in order
    await().atMost(DEADLINE).until(() -> !b.store.hasDomain("example.org") && c.store.hasDomain("later.example"));
    assertThat(c.store.hasDomain("example.org")).isTrue();
    assertThat(c.store.user(ANN)).isPresent();
    assertThat(a.store.domains()).containsExactly("later.example");
  }

  @Test
  void changesToOneMember_applyInOrder_soAnAliasNeverArrivesBeforeItsDomain() {
    for (int i = 0; i < 20; i++) {
      a.directory.addDomain("d" + i + ".example");
      a.directory.addAlias("info@d" + i + ".example", "ann@elsewhere.example");
    }
    a.directory.deleteAlias("info@d0.example");
    assertThatThrownBy(() -> a.directory.deleteDomain("d1.example"))
        .as("refused here, so not sent").isInstanceOf(StoreException.class).hasMessageContaining("1 alias(es)");

    await().atMost(DEADLINE).until(() -> everyNode(n -> n.store.aliases().size() == 19));
    for (Node n : List.of(b, c)) {
      assertThat(n.store.domains()).hasSize(20).isEqualTo(a.store.domains());
      assertThat(n.store.aliases()).isEqualTo(a.store.aliases());
    }
  }

  @Test
  void laterMember_receivesTheListsThroughMembersJoined_andSendsItsOwn() throws Exception {
    a.directory.addDomain("example.org");
    a.directory.addDomain("other.example");
    a.directory.addAlias("info@example.org", ANN);
    a.directory.addAlias("sales@example.org", ANN);
    await().atMost(DEADLINE).until(() -> c.store.aliases().size() == 2);

    // d was never in the cluster: it has a domain of its own and a conflicting alias, made straight
    // in its store (no stamp): the cluster's stamped change of info@ wins over it.
    Node d = nodes.create("d");
    d.store.addDomain("d-only.example");
    d.store.addDomain("example.org");
    d.store.putAlias("info@example.org", "bob@example.org");
    d.store.putAlias("help@d-only.example", "bob@example.org");
    nodes.join(d);

    await().atMost(DEADLINE).until(() -> d.store.hasDomain("other.example")
        && d.store.aliasTarget("sales@example.org").isPresent());
    assertThat(d.store.domains()).containsExactly("d-only.example", "example.org", "other.example");
    await().atMost(DEADLINE).until(() -> d.store.aliasTarget("info@example.org").equals(Optional.of(ANN)));

    await().atMost(DEADLINE).until(() -> List.of(a, b, c).stream().allMatch(n -> n.store.hasDomain("d-only.example")
        && n.store.aliasTarget("help@d-only.example").isPresent()));
    for (Node n : List.of(a, b, c)) {
      assertThat(n.store.aliases()).isEqualTo(Map.of("info@example.org", ANN, "sales@example.org", ANN,
          "help@d-only.example", "bob@example.org"));
    }
    assertThat(d.store.aliases()).isEqualTo(a.store.aliases());

    // Changes made after the join reach d like any member.
    b.directory.addDomain("after.example");
    await().atMost(DEADLINE).until(() -> d.store.hasDomain("after.example"));
  }

  @Test
  void aNodeAwayDuringDeletes_doesNotBringTheNamesBack_andTakesTheDeletes() throws Exception {
    a.directory.addDomain("example.org");
    a.directory.addDomain("old.example");
    a.directory.addAlias("info@example.org", ANN);
    a.directory.addAlias("sales@example.org", ANN);
    await().atMost(DEADLINE).until(() -> everyNode(n -> n.store.aliases().size() == 2 && n.store.domains().size() == 2));

    // c goes away (its store stays), the others delete and add meanwhile
    c.rpc.close();
    c.transport.close();
    await().atMost(DEADLINE).until(() -> a.transport.view().size() == 2);
    b.directory.deleteAlias("info@example.org");
    b.directory.deleteDomain("old.example");
    a.directory.addAlias("new@example.org", ANN);

    Node back = nodes.join(nodes.reopen(c));
    await().atMost(DEADLINE).until(() -> back.store.aliasTarget("new@example.org").isPresent()
        && back.store.aliasTarget("info@example.org").isEmpty() && !back.store.hasDomain("old.example"));
    Thread.sleep(1_000); // the lists crossed both ways: nothing deleted may have come back anywhere
    for (Node n : List.of(a, b, back)) {
      assertThat(n.store.aliases()).as("aliases on %s", n.name).isEqualTo(Map.of("sales@example.org", ANN,
          "new@example.org", ANN));
      assertThat(n.store.domains()).as("domains on %s", n.name).containsExactly("example.org");
    }
  }

  private boolean everyNode(java.util.function.Predicate<Node> condition) {
    return List.of(a, b, c).stream().allMatch(condition);
  }

  // ---------------------------------------------------------------- dropping tombstones (TombstonePruner)

  /** Adds and deletes {@code domain} through {@code via}, and waits until every node holds its tombstone. */
  private void addAndDelete(Node via, String domain) {
    via.directory.addDomain(domain);
    await().atMost(DEADLINE).until(() -> List.of(a, b, c).stream().allMatch(n -> n.store.hasDomain(domain)));
    via.directory.deleteDomain(domain);
    await().atMost(DEADLINE).until(() -> List.of(a, b, c).stream().allMatch(n -> !n.store.hasDomain(domain)
        && n.store.version(Versioned.DOMAIN, domain) != 0));
  }

  @Test
  void aMemberWithAnOlderOrUnstampedLiveCopy_keepsTheTombstone_theOthersGo() throws Exception {
    addAndDelete(a, "gone.test");
    addAndDelete(a, "old.test");
    a.store.setVersion(Versioned.DOMAIN, "kept.test", a.store.version(Versioned.DOMAIN, "old.test"));
    c.store.addDomain("kept.test"); // live on c, never stamped: DIRECTORY_SYNC would add it where none is
    c.store.addDomain("old.test");
    c.store.setVersion(Versioned.DOMAIN, "old.test", 1); // live on c under an older stamp
    Thread.sleep(5); // the tombstones are older than "now" minus a grace of zero

    TombstonePruner.Result result = a.tombstones.pruneOnce();

    assertThat(result.due()).isEqualTo(3);
    assertThat(result.pruned()).isEqualTo(1);
    assertThat(result.blockedBy()).containsExactly("c");
    assertThat(a.store.versions(Versioned.DOMAIN)).doesNotContainKey("gone.test")
        .containsKeys("kept.test", "old.test");
    assertThat(b.tombstones.pruneOnce().pruned()).as("b drops its own copy of the same tombstone").isEqualTo(1);
    assertThat(b.store.versions(Versioned.DOMAIN)).doesNotContainKey("gone.test");
    assertThat(c.tombstones.pruneOnce().pruned()).as("a node that dropped it confirms: nothing live there")
        .isEqualTo(1);
  }

  @Test
  void aMemberSeenButAway_blocksEveryTombstone_untilForgotten() throws Exception {
    addAndDelete(b, "gone.test");
    a.alsoSeen.add("d"); // was in a's view once, stopped since
    Thread.sleep(5);

    TombstonePruner.Result blocked = a.tombstones.pruneOnce();
    assertThat(blocked.due()).isEqualTo(1);
    assertThat(blocked.pruned()).isZero();
    assertThat(blocked.blockedBy()).containsExactly("d");
    assertThat(a.store.versions(Versioned.DOMAIN)).containsKey("gone.test");

    a.alsoSeen.remove("d"); // cluster forget
    assertThat(a.tombstones.pruneOnce().pruned()).isEqualTo(1);
    assertThat(a.store.versions(Versioned.DOMAIN)).doesNotContainKey("gone.test");
  }
}
