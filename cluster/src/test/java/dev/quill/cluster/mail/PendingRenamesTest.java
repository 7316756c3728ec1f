package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerNodes;
import dev.quill.store.AssignedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MessageMeta;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fragment renames a holder did not make during a RENAME, made again in the background
 * ({@link PendingRenames}), on three in-JVM nodes with real transports, stores and managers; the
 * holder n2 has the user's profile, so its catalog holds the fragments' records too. That the renamed
 * fragments are read through every node afterwards is {@code ClusterCatalogTest}'s part.
 */
class PendingRenamesTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String ANN = "ann@example.org";

  @TempDir Path dir;

  private ManagerNodes cluster;
  private ManagerNodes.Node n1;
  private ManagerNodes.Node n2;
  private final AtomicReference<List<String>> members = new AtomicReference<>(List.of("n1", "n3"));
  private PendingRenames pending;

  @BeforeEach
  void start() throws Exception {
    cluster = new ManagerNodes("pending-renames", dir);
    n1 = cluster.create("n1");
    n2 = cluster.create("n2");
    ManagerNodes.Node n3 = cluster.create("n3");
    n2.store.addUser(ANN, "pw".toCharArray());
    for (ManagerNodes.Node n : List.of(n1, n2, n3)) {
      cluster.join(n, true);
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
    new FragmentAccess(n2.rpc, n2.store); // serves the listing, the rename and the delete on n2
    pending = new PendingRenames("n1", new FragmentAccess(n1.rpc, n1.store), n1.client, members::get, TIMEOUT);
  }

  @AfterEach
  void stop() {
    pending.close();
    cluster.close();
  }

  private static void put(MailStore store, String box, long uidValidity, long uid) {
    store.storeAssigned(new AssignedMessage(ANN, box, uidValidity, uid, uid,
        ("Subject: " + box + " " + uid + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII), Set.of(),
        Instant.EPOCH, null)).join();
  }

  private static Map<String, List<Long>> held(MailStore store) {
    return store.mailboxes(ANN).stream().filter(b -> !Set.of("INBOX", "Drafts", "Sent", "Trash", "Junk", "Archive")
        .contains(b.name())).collect(java.util.stream.Collectors.toMap(MailboxInfo::name,
            b -> store.messages(ANN, b.name()).stream().map(MessageMeta::uid).toList()));
  }

  @Test
  void aRenameWaitsForItsHolderToBeAMember_thenMovesTheHierarchy_overAnEmptyCopyOfTheNewName() {
    put(n2.store, "Old", 100, 1);
    put(n2.store, "Old/Sub", 101, 2);
    put(n2.store, "New", 100, 3); // the catalog image's empty copy of the renamed mailbox
    n2.store.expunge(ANN, "New", List.of(3L)).join();
    pending.add(new PendingRenames.Rename("n2", ANN, "Old", "New", Map.of("Old", 100L, "Old/Sub", 101L)));

    await().pollDelay(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(5)).until(() -> pending.size() == 1);
    assertThat(held(n2.store)).as("not a member yet: untouched").containsKeys("Old", "Old/Sub");

    members.set(List.of("n1", "n2", "n3"));
    await().atMost(Duration.ofSeconds(20)).until(() -> pending.size() == 0);
    assertThat(held(n2.store)).isEqualTo(Map.of("New", List.of(1L), "New/Sub", List.of(2L)));
    assertThat(n2.store.mailbox(ANN, "New").orElseThrow().uidValidity()).isEqualTo(100);
    assertThat(n2.store.mailbox(ANN, "New/Sub").orElseThrow().uidValidity()).isEqualTo(101);
  }

  @Test
  void anotherMailboxUnderTheOldName_isLeftAlone_andATargetWithMessagesIsWaitedFor() {
    members.set(List.of("n1", "n2", "n3"));
    put(n2.store, "Old", 200, 1); // created again after the RENAME: not the renamed mailbox (100)
    pending.add(new PendingRenames.Rename("n2", ANN, "Old", "New", Map.of("Old", 100L)));
    await().atMost(Duration.ofSeconds(10)).until(() -> pending.size() == 0);
    assertThat(held(n2.store)).isEqualTo(Map.of("Old", List.of(1L)));

    put(n2.store, "Keep", 300, 5);
    put(n2.store, "Full", 300, 6); // took mail under the new name already: merging is not done
    pending.add(new PendingRenames.Rename("n2", ANN, "Keep", "Full", Map.of("Keep", 300L)));
    await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8)).until(() -> pending.size() == 1);
    assertThat(held(n2.store)).containsEntry("Keep", List.of(5L)).containsEntry("Full", List.of(6L));
  }
}
