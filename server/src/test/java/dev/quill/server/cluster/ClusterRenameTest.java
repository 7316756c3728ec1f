package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.server.node.QuillNode;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Store;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IMAP RENAME of a mailbox with inferiors in a three-node cluster with the default two copies of
 * every message and profile: every node holding a fragment of the mailbox, both profile copies
 * included (they hold the whole hierarchy), ends with the new names, and every message is read
 * under them through every node.
 */
class ClusterRenameTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "remy@" + DOMAIN;
  private static final String PASSWORD = "rename-pw";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  @Test
  void renamingAMailboxWithInferiors_movesTheWholeHierarchyOnEveryHolder() throws Exception {
    cluster = new InJvmCluster(dir, "rename");
    for (String name : List.of("a", "b", "c")) {
      cluster.start(name);
    }
    cluster.awaitComplete(3, WAIT);
    QuillNode a = cluster.node("a");
    a.mailStore().addDomain(DOMAIN);
    a.mailStore().addUser(USER, PASSWORD.toCharArray());
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> profileCopies() == 2);

    try (Store imap = MailClients.connect("imap", cluster.node("b").ports().get("imap"), USER, PASSWORD)) {
      Folder projects = imap.getFolder("Projects");
      assertThat(projects.create(Folder.HOLDS_MESSAGES | Folder.HOLDS_FOLDERS)).isTrue();
      Folder old = imap.getFolder("Projects/Old");
      assertThat(old.create(Folder.HOLDS_MESSAGES)).isTrue();
      projects.appendMessages(new Message[] {message("current plan")});
      old.appendMessages(new Message[] {message("old plan 1"), message("old plan 2")});

      assertThat(projects.renameTo(imap.getFolder("Attic"))).isTrue();
    }

    for (QuillNode via : cluster.nodes()) {
      try (Store imap = MailClients.connect("imap", via.ports().get("imap"), USER, PASSWORD)) {
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
    cluster = new InJvmCluster(dir, "rename-superior");
    for (String name : List.of("a", "b", "c")) {
      cluster.start(name);
    }
    cluster.awaitComplete(3, WAIT);
    QuillNode a = cluster.node("a");
    a.mailStore().addDomain(DOMAIN);
    a.mailStore().addUser(USER, PASSWORD.toCharArray());
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> profileCopies() == 2);
    try (Store imap = MailClients.connect("imap", cluster.node("c").ports().get("imap"), USER, PASSWORD)) {
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
      try (Store imap = MailClients.connect("imap", via.ports().get("imap"), USER, PASSWORD)) {
        assertThat(subjects(imap.getFolder("Work/Plans"))).as("through %s", via.cluster().name())
            .containsExactly("a plan");
      }
    }
  }

  private long profileCopies() {
    return cluster.nodes().stream().filter(n -> n.store().user(USER).isPresent()).count();
  }

  private static Message message(String subject) throws Exception {
    MimeMessage m = new MimeMessage(jakarta.mail.Session.getInstance(new java.util.Properties()));
    m.setFrom(new InternetAddress("sender@" + DOMAIN));
    m.setRecipient(Message.RecipientType.TO, new InternetAddress(USER));
    m.setSubject(subject);
    m.setText(subject + "\r\n");
    return m;
  }

  private static List<String> subjects(Folder folder) throws Exception {
    folder.open(Folder.READ_ONLY);
    try {
      return Arrays.stream(folder.getMessages()).map(m -> {
        try {
          return m.getSubject();
        } catch (jakarta.mail.MessagingException e) {
          throw new IllegalStateException(e);
        }
      }).toList();
    } finally {
      folder.close(false);
    }
  }
}
