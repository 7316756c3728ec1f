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
  private FragmentAccess n1Fragments;
  private FragmentService n1Storing;
  private final List<String> hints = new java.util.concurrent.CopyOnWriteArrayList<>();

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
    new FragmentAccess(n2.rpc, n2.store); // serves the listing, the loads, the rename and the delete on n2
    new FragmentService(n2.rpc, n2.store); // stores a merged fragment's messages on n2
    n1Fragments = new FragmentAccess(n1.rpc, n1.store);
    n1Storing = new FragmentService(n1.rpc, n1.store);
    pending = startPending();
  }

  /** n1's retries, as a node starts them (each start reads the file the last one left). */
  private PendingRenames startPending() {
    return new PendingRenames("n1", n1Fragments, n1Storing, n1.client, (node, user, box) -> hints.add(node + " " + box), members::get, TIMEOUT, dir.resolve("pending"));
  }

  @AfterEach
  void stop() {
    pending.close();
    cluster.close();
  }

  private static void put(MailStore store, String box, long uidValidity, long uid) {
    put(store, box, uidValidity, uid, Set.of());
  }

  private static void put(MailStore store, String box, long uidValidity, long uid, Set<String> flags) {
    store.storeAssigned(new AssignedMessage(ANN, box, uidValidity, uid, uid,
        ("Subject: " + box + " " + uid + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII), flags,
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
  void anotherMailboxUnderTheOldName_isLeftAlone_andATargetOfAnotherUidValidityIsWaitedFor() {
    members.set(List.of("n1", "n2", "n3"));
    put(n2.store, "Old", 200, 1); // created again after the RENAME: not the renamed mailbox (100)
    pending.add(new PendingRenames.Rename("n2", ANN, "Old", "New", Map.of("Old", 100L)));
    await().atMost(Duration.ofSeconds(10)).until(() -> pending.size() == 0);
    assertThat(held(n2.store)).isEqualTo(Map.of("Old", List.of(1L)));

    put(n2.store, "Keep", 300, 5);
    put(n2.store, "Other", 400, 6); // another mailbox under the new name: never merged with this one
    pending.add(new PendingRenames.Rename("n2", ANN, "Keep", "Other", Map.of("Keep", 300L)));
    await().pollDelay(Duration.ofSeconds(5)).atMost(Duration.ofSeconds(8)).until(() -> pending.size() == 1);
    assertThat(held(n2.store)).containsEntry("Keep", List.of(5L)).containsEntry("Other", List.of(6L));
  }

  @Test
  void aTargetThatTookMailMeanwhile_takesTheOldFragmentsMessages_underTheirUidsAndFlags() throws Exception {
    members.set(List.of("n1", "n2", "n3"));
    put(n2.store, "Keep", 300, 5, Set.of("\\Seen", "$Label"));
    put(n2.store, "Keep", 300, 7, Set.of("\\Deleted"));
    put(n2.store, "Full", 300, 6); // delivered under the new name before the retry
    pending.add(new PendingRenames.Rename("n2", ANN, "Keep", "Full", Map.of("Keep", 300L)));

    await().atMost(Duration.ofSeconds(15)).until(() -> pending.size() == 0);
    assertThat(held(n2.store)).isEqualTo(Map.of("Full", List.of(5L, 6L, 7L)));
    Map<Long, MessageMeta> full = n2.store.messages(ANN, "Full").stream()
        .collect(java.util.stream.Collectors.toMap(MessageMeta::uid, m -> m));
    assertThat(full.get(5L).flags()).containsExactlyInAnyOrder("\\Seen", "$Label");
    assertThat(full.get(5L).modSeq()).isEqualTo(5);
    assertThat(full.get(7L).flags()).containsExactly("\\Deleted");
    assertThat(new String(n2.store.readMessage(ANN, "Full", 7).orElseThrow(), StandardCharsets.US_ASCII))
        .startsWith("Subject: Keep 7");
    MailboxInfo record = n2.store.mailbox(ANN, "Full").orElseThrow();
    assertThat(record.uidValidity()).isEqualTo(300);
    assertThat(record.messageCount()).isEqualTo(3);
    assertThat(hints).as("n2 compares the merged fragment with the other copies").contains("n2 Full");
  }

  @Test
  void aRestartOfTheNodeThatMadeTheRename_goesOnWithIt() throws Exception {
    put(n2.store, "Old", 100, 1);
    pending.add(new PendingRenames.Rename("n2", ANN, "Old", "New", Map.of("Old", 100L)));
    pending.close(); // n2 not a member yet: nothing tried before the "restart"
    assertThat(held(n2.store)).containsKey("Old");

    members.set(List.of("n1", "n2", "n3"));
    pending = startPending();
    assertThat(pending.size()).isEqualTo(1);
    await().atMost(Duration.ofSeconds(15)).until(() -> pending.size() == 0);
    assertThat(held(n2.store)).isEqualTo(Map.of("New", List.of(1L)));
    pending.close();
    pending = startPending();
    assertThat(pending.size()).as("done, so no longer kept").isZero();
  }
}
