package dev.quill.cluster.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.directory.DirectoryNodes.Node;
import dev.quill.store.Versioned;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The confirmation round of {@link TombstonePruner} on three real nodes (no grace period): a member
 * holding a live copy with an older or no stamp keeps a tombstone, as does a member seen but away;
 * the others' tombstones go.
 */
class TombstonePrunerTest {
  private static final Duration DEADLINE = Duration.ofSeconds(15);

  @TempDir Path dir;
  private DirectoryNodes nodes;
  private Node a;
  private Node b;
  private Node c;

  @BeforeEach
  void start() throws Exception {
    nodes = new DirectoryNodes("tombstones", dir);
    a = nodes.start("a");
    b = nodes.start("b");
    c = nodes.start("c");
    await().atMost(DEADLINE).until(() -> List.of(a, b, c).stream().allMatch(n -> n.transport.view().size() == 3));
  }

  @AfterEach
  void close() {
    nodes.close();
  }

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
