package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.node.QuillNode;
import dev.quill.store.AssignedMessage;
import dev.quill.store.MailboxInfo;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Store;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IMAP mailbox operations in a three-node cluster with the default copies (two of each message and
 * of each profile; each profile copy holds a fragment of every mailbox): a RENAME of a mailbox with
 * inferiors, a RENAME under a new superior, and a run of CREATE with superiors, APPEND, RENAME,
 * DELETE, RENAME INBOX and CREATE of a deleted name through different nodes. Afterwards every node
 * lists the same mailboxes with the same messages, and every fragment of a mailbox, on whichever
 * node, has the mailbox's one UIDVALIDITY. Also a DELETE that a holder refuses midway.
 */
class ClusterCatalogTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "cleo@" + DOMAIN;
  private static final String PASSWORD = "catalog-pw";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  @Test
  void mailboxOperationsThroughSeveralNodes_leaveOneCatalogAndOneUidValidityPerMailbox() throws Exception {
    startWithUser("catalog");
    for (int i = 1; i <= 2; i++) {
      MailClients.send(cluster.node("b").ports().get("smtp"), USER, "inbox " + i);
    }

    try (Store imap = connect("a")) {
      assertThat(imap.getFolder("A/B/C").create(Folder.HOLDS_MESSAGES)).isTrue();
      imap.getFolder("A/B/C").appendMessages(new Message[] {message("deep")});
      imap.getFolder("A").appendMessages(new Message[] {message("top")});
    }
    try (Store imap = connect("b")) {
      assertThat(imap.getFolder("A/B").renameTo(imap.getFolder("X/Y"))).isTrue();
      assertThat(imap.getFolder("A").delete(false)).isTrue();
    }
    try (Store imap = connect("c")) {
      assertThat(imap.getFolder("INBOX").renameTo(imap.getFolder("Old Inbox"))).isTrue();
      assertThat(imap.getFolder("A").create(Folder.HOLDS_MESSAGES)).isTrue();
      imap.getFolder("A").appendMessages(new Message[] {message("top again")});
      assertThat(imap.getFolder("X").renameTo(imap.getFolder("A/X"))).isTrue();
    }
    MailClients.send(cluster.node("c").ports().get("smtp"), USER, "inbox 3");

    Map<String, List<String>> expected = new TreeMap<>(Map.of(
        "INBOX", List.of("inbox 3"),
        "Old Inbox", List.of("inbox 1", "inbox 2"),
        "A", List.of("top again"),
        "A/X", List.of(),
        "A/X/Y", List.of(),
        "A/X/Y/C", List.of("deep")));
    for (QuillNode via : cluster.nodes()) {
      try (Store imap = connect(via.cluster().name())) {
        Map<String, List<String>> seen = new TreeMap<>();
        for (Folder f : imap.getDefaultFolder().list("*")) {
          String name = f.getFullName();
          if (expected.containsKey(name) || name.startsWith("A/") || name.equals("X") || name.startsWith("X/")) {
            seen.put(name, subjects(f));
          }
        }
        assertThat(seen).as("through %s", via.cluster().name()).isEqualTo(expected);
      }
    }
    // One UIDVALIDITY per mailbox, on every node holding a fragment of it; the profile copies agree.
    org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(() -> {
      Map<String, TreeSet<Long>> validities = new HashMap<>();
      List<TreeSet<String>> catalogs = new java.util.ArrayList<>();
      for (QuillNode n : cluster.nodes()) {
        List<MailboxInfo> boxes = n.store().user(USER).isPresent() ? n.store().mailboxes(USER) : List.of();
        if (n.store().user(USER).isPresent()) {
          catalogs.add(new TreeSet<>(boxes.stream().map(MailboxInfo::name).toList()));
        }
        for (String box : expected.keySet()) {
          n.store().mailbox(USER, box).ifPresent(info ->
              validities.computeIfAbsent(box, k -> new TreeSet<>()).add(info.uidValidity()));
        }
      }
      assertThat(validities).allSatisfy((box, values) -> assertThat(values).as(box).hasSize(1));
      assertThat(catalogs).hasSize(2);
      assertThat(catalogs.get(0)).as("both profile copies list the same mailboxes").isEqualTo(catalogs.get(1));
    });
  }

  @Test
  void renamingAMailboxWithInferiors_movesTheWholeHierarchyOnEveryHolder() throws Exception {
    startWithUser("rename");

    try (Store imap = connect("b")) {
      Folder projects = imap.getFolder("Projects");
      assertThat(projects.create(Folder.HOLDS_MESSAGES | Folder.HOLDS_FOLDERS)).isTrue();
      Folder old = imap.getFolder("Projects/Old");
      assertThat(old.create(Folder.HOLDS_MESSAGES)).isTrue();
      projects.appendMessages(new Message[] {message("current plan")});
      old.appendMessages(new Message[] {message("old plan 1"), message("old plan 2")});

      assertThat(projects.renameTo(imap.getFolder("Attic"))).isTrue();
    }

    for (QuillNode via : cluster.nodes()) {
      try (Store imap = connect(via.cluster().name())) {
        assertThat(Arrays.stream(imap.getDefaultFolder().list("*")).map(Folder::getFullName))
            .as("through %s", via.cluster().name()).contains("Attic", "Attic/Old")
            .doesNotContain("Projects", "Projects/Old");
        assertThat(subjects(imap.getFolder("Attic"))).containsExactly("current plan");
        assertThat(subjects(imap.getFolder("Attic/Old"))).containsExactly("old plan 1", "old plan 2");
      }
    }
    for (QuillNode node : cluster.nodes()) {
      assertThat(node.store().mailbox(USER, "Projects")).as("no Projects fragment left on %s", node.cluster().name())
          .isEmpty();
      assertThat(node.store().mailbox(USER, "Projects/Old")).as("no Projects/Old fragment left on %s",
          node.cluster().name()).isEmpty();
    }
    assertThat(cluster.nodes().stream().mapToInt(n -> n.store().messages(USER, "Attic/Old").size()).sum())
        .as("two copies of each message of Attic/Old").isEqualTo(4);
  }
  @Test
  void renamingUnderANewSuperior_givesTheSuperiorOneUidValidityOnEveryCopy() throws Exception {
    startWithUser("rename-superior");
    try (Store imap = connect("c")) {
      Folder plans = imap.getFolder("Plans");
      assertThat(plans.create(Folder.HOLDS_MESSAGES)).isTrue();
      plans.appendMessages(new Message[] {message("a plan")});
      assertThat(plans.renameTo(imap.getFolder("Work/Plans"))).isTrue();
    }
    List<QuillNode> copies = cluster.nodes().stream().filter(n -> n.store().user(USER).isPresent()).toList();
    assertThat(copies).hasSize(2);
    org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(() -> assertThat(copies.stream()
        .map(n -> n.store().mailbox(USER, "Work").orElseThrow().uidValidity()).distinct())
        .as("Work's UIDVALIDITY on both profile copies").hasSize(1));
    for (QuillNode via : cluster.nodes()) {
      try (Store imap = connect(via.cluster().name())) {
        assertThat(subjects(imap.getFolder("Work/Plans"))).as("through %s", via.cluster().name())
            .containsExactly("a plan");
      }
    }
  }
  /**
   * A DELETE that a fragment holder refuses midway (here: a policy that denies deleting fragments)
   * leaves the mailbox listed with the messages not deleted, and made again once allowed, deletes
   * every fragment: a mailbox created again under the name is empty. Deleting the catalog first left
   * the refusing holder's fragment unseen, and its messages came back in the mailbox created again.
   */
  @Test
  void aDeleteRefusedByAHolderMidway_leavesTheMailboxListed_andMadeAgainLeavesNothingToComeBack() throws Exception {
    startWithUser("delete-midway");
    String primary = fooOnThreeNodes();
    QuillNode other = nodeWithoutTheProfile();
    List<String> all = List.of("kept 1", "kept 2", "moved here");

    pushPolicy(primary, "version 2\ndefault allow\n*  fragment  delete  -> deny\n");
    try (Store imap = connect(primary)) {
      assertThat(deleted(imap.getFolder("Foo"))).as("refused by the holders").isFalse();
    }
    for (QuillNode via : cluster.nodes()) {
      try (Store imap = connect(via.cluster().name())) {
        assertThat(subjects(imap.getFolder("Foo"))).as("Foo, still listed, through %s", via.cluster().name())
            .isEqualTo(all);
      }
    }

    pushPolicy(primary, "version 3\ndefault allow\n");
    try (Store imap = connect(primary)) {
      assertThat(deleted(imap.getFolder("Foo"))).isTrue();
    }
    for (QuillNode node : cluster.nodes()) {
      assertThat(node.store().mailbox(USER, "Foo")).as("Foo's fragment on %s", node.cluster().name()).isEmpty();
    }
    try (Store imap = connect(other.cluster().name())) {
      assertThat(imap.getFolder("Foo").create(Folder.HOLDS_MESSAGES)).isTrue();
      imap.getFolder("Foo").appendMessages(new Message[] {message("new")});
    }
    for (QuillNode via : cluster.nodes()) {
      try (Store imap = connect(via.cluster().name())) {
        assertThat(subjects(imap.getFolder("Foo"))).as("Foo created again, through %s", via.cluster().name())
            .containsExactly("new");
      }
    }
  }

  /**
   * A RENAME that the other holders refuse midway (a policy that denies changing fragments) is made
   * everywhere else — the catalog, the manager — and fails naming them; the refused renames are made
   * again in the background, so once the holders take them every node lists the new name alone, with
   * every message, and new mail gets UIDs above every old one. A holder that took messages of the new
   * name meanwhile is not repaired (CLUSTER.md).
   */
  @Test
  void aRenameRefusedByHoldersMidway_isMadeEverywhereElse_andCompletedOnceTheyTakeIt() throws Exception {
    renameRefusedMidway("rename-midway", false);
  }

  @Test
  void aRenameRefusedMidway_isCompletedEvenWhenTheNodeThatMadeItRestartsMeanwhile() throws Exception {
    renameRefusedMidway("rename-restart", true);
  }

  /**
   * Foo renamed to Bar through the profile's primary while the other holders refuse fragment
   * changes; with {@code restart}, the primary (which keeps the retries) restarts before they are
   * allowed again. Then every node lists Bar with every message, and Foo nowhere.
   */
  private void renameRefusedMidway(String clusterName, boolean restart) throws Exception {
    startWithUser(clusterName);
    String primary = fooOnThreeNodes();
    QuillNode other = nodeWithoutTheProfile();

    pushPolicy(primary, "version 2\ndefault allow\n*  fragment  update  -> deny\n");
    try (Store imap = connect(primary)) {
      assertThat(imap.getFolder("Foo").renameTo(imap.getFolder("Bar"))).as("refused by the holders (IMAP NO)")
          .isFalse();
    }
    try (Store imap = connect(primary)) {
      assertThat(names(imap)).as("the catalog is renamed").contains("Bar").doesNotContain("Foo");
      assertThat(subjects(imap.getFolder("Bar"))).as("the primary's part").contains("kept 1", "kept 2")
          .doesNotContain("moved here");
    }
    if (restart) {
      cluster.stop(cluster.node(primary));
      cluster.awaitComplete(2, WAIT);
      cluster.start(primary);
      cluster.awaitComplete(3, WAIT);
      other = nodeWithoutTheProfile();
    }

    pushPolicy(other.cluster().name(), "version 3\ndefault allow\n");
    org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(() -> {
      for (QuillNode via : cluster.nodes()) {
        try (Store imap = connect(via.cluster().name())) {
          assertThat(names(imap)).as("through %s", via.cluster().name()).contains("Bar").doesNotContain("Foo");
          assertThat(subjects(imap.getFolder("Bar"))).as("Bar through %s", via.cluster().name())
              .containsExactly("kept 1", "kept 2", "moved here");
        }
      }
    });
    for (QuillNode node : cluster.nodes()) {
      assertThat(node.store().mailbox(USER, "Foo")).as("a Foo fragment on %s", node.cluster().name()).isEmpty();
    }
    try (Store imap = connect(other.cluster().name())) {
      imap.getFolder("Bar").appendMessages(new Message[] {message("after")});
    }
    for (QuillNode via : cluster.nodes()) {
      try (Store imap = connect(via.cluster().name())) {
        Folder bar = imap.getFolder("Bar");
        bar.open(Folder.READ_ONLY);
        try {
          long after = Arrays.stream(bar.getMessages()).filter(m -> subject(m).equals("after"))
              .mapToLong(m -> uid((jakarta.mail.UIDFolder) bar, m)).findFirst().orElseThrow();
          assertThat(after).as("through %s, a UID above the 500 given before the rename", via.cluster().name())
              .isGreaterThan(500);
        } finally {
          bar.close(false);
        }
      }
    }
  }

  private static List<String> names(Store imap) throws MessagingException {
    return Arrays.stream(imap.getDefaultFolder().list("*")).map(Folder::getFullName).toList();
  }

  private static String subject(Message m) {
    try {
      return m.getSubject();
    } catch (MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static long uid(jakarta.mail.UIDFolder folder, Message m) {
    try {
      return folder.getUID(m);
    } catch (MessagingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Foo with "kept 1" and "kept 2" on both profile copies, and "moved here" on the node without the
   * profile, as a rebalance leaves it (that node restarts, and coming back reports the fragment to the
   * user's manager). The profile copy that makes catalog changes.
   */
  private String fooOnThreeNodes() throws Exception {
    try (Store imap = connect("a")) {
      assertThat(imap.getFolder("Foo").create(Folder.HOLDS_MESSAGES)).isTrue();
      imap.getFolder("Foo").appendMessages(new Message[] {message("kept 1"), message("kept 2")});
    }
    String primary = cluster.nodes().stream().filter(n -> n.store().user(USER).isPresent())
        .map(n -> n.cluster().name()).sorted().findFirst().orElseThrow();
    QuillNode other = nodeWithoutTheProfile();
    MailboxInfo foo = cluster.node(primary).store().mailbox(USER, "Foo").orElseThrow();
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    message("moved here").writeTo(bytes);
    other.store().storeAssigned(new AssignedMessage(USER, "Foo", foo.uidValidity(), 500, foo.highestModSeq() + 1,
        bytes.toByteArray(), Set.of(), java.time.Instant.now(), null)).join();
    String otherName = other.cluster().name();
    cluster.stop(other);
    cluster.awaitComplete(2, WAIT);
    cluster.start(otherName);
    cluster.awaitComplete(3, WAIT);
    org.awaitility.Awaitility.await().atMost(WAIT).untilAsserted(() -> {
      try (Store imap = connect(primary)) {
        assertThat(subjects(imap.getFolder("Foo"))).containsExactly("kept 1", "kept 2", "moved here");
      }
    });
    return primary;
  }

  private QuillNode nodeWithoutTheProfile() {
    return cluster.nodes().stream().filter(n -> n.store().user(USER).isEmpty()).findFirst().orElseThrow();
  }

  private void pushPolicy(String via, String policy) {
    try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve(via)).orElseThrow()) {
      assertThat(ops.pushPolicy(policy).missing()).isEmpty();
    }
  }

  /** Whether the server deleted the folder: an IMAP NO is false. */
  private static boolean deleted(Folder folder) {
    try {
      return folder.delete(false);
    } catch (MessagingException e) {
      return false;
    }
  }

  /** Three nodes with the default copies, and the user with both copies of its profile made. */
  private void startWithUser(String clusterName) throws Exception {
    cluster = new InJvmCluster(dir, clusterName);
    for (String name : List.of("a", "b", "c")) {
      cluster.start(name);
    }
    cluster.awaitComplete(3, WAIT);
    cluster.node("a").mailStore().addDomain(DOMAIN);
    cluster.node("a").mailStore().addUser(USER, PASSWORD.toCharArray());
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> profileCopies() == 2);
  }

  private long profileCopies() {
    return cluster.nodes().stream().filter(n -> n.store().user(USER).isPresent()).count();
  }

  private Store connect(String node) throws MessagingException {
    return MailClients.connect("imap", cluster.node(node).ports().get("imap"), USER, PASSWORD);
  }

  private static Message message(String subject) throws MessagingException {
    MimeMessage m = new MimeMessage(jakarta.mail.Session.getInstance(new java.util.Properties()));
    m.setFrom(new InternetAddress("sender@" + DOMAIN));
    m.setRecipient(Message.RecipientType.TO, new InternetAddress(USER));
    m.setSubject(subject);
    m.setText(subject + "\r\n");
    return m;
  }

  private static List<String> subjects(Folder folder) throws MessagingException {
    if ((folder.getType() & Folder.HOLDS_MESSAGES) == 0) {
      return List.of();
    }
    folder.open(Folder.READ_ONLY);
    try {
      return Arrays.stream(folder.getMessages()).map(m -> {
        try {
          return m.getSubject();
        } catch (MessagingException e) {
          throw new IllegalStateException(e);
        }
      }).sorted().toList();
    } finally {
      folder.close(false);
    }
  }
}
