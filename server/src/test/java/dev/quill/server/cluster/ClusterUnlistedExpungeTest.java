package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.node.QuillNode;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.MessagingException;
import jakarta.mail.Store;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An IMAP EXPUNGE through a node whose sessions can read the message's flags only from what that
 * node saw before — every holder of the message catching up after a restart, refusing listings
 * while it takes changes — is refused as temporary rather than made on those old flags: the
 * message's {@code \Deleted} was taken back through another node meanwhile, and expunging it would
 * lose it. The holders are held catching up by a policy that forbids the catch-up's reads.
 */
class ClusterUnlistedExpungeTest {
  private static final String USER = "uma@example.test";
  private static final String PASSWORD = "unlisted-pw";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  @Test
  void anExpungeOnFlagsReadBeforeEveryHolderWentAway_isRefused_andTheMessageStays() throws Exception {
    cluster = new InJvmCluster(dir, "unlisted-expunge");
    cluster.startThreeWithUser(USER, PASSWORD);
    await().atMost(WAIT).until(() -> cluster.nodes().stream().filter(n -> n.store().user(USER).isPresent()).count() == 2);
    MailClients.send(cluster.node("a").ports().get("smtp"), USER, "keep me");
    MailClients.send(cluster.node("a").ports().get("smtp"), USER, "pop me");
    Map<Long, List<String>> holders = new java.util.TreeMap<>(cluster.holders(USER, MailStore.INBOX));
    assertThat(holders).hasSize(2);
    long uid = holders.keySet().iterator().next();
    long popped = ((java.util.TreeMap<Long, List<String>>) holders).lastKey();
    List<String> holding = holders.get(uid);
    assertThat(holding).as("two copies").hasSize(2);
    assertThat(holders.get(popped)).as("both on the INBOX's two holders").containsExactlyInAnyOrderElementsOf(holding);
    String reader = cluster.nodes().stream().map(n -> n.cluster().name()).filter(n -> !holding.contains(n))
        .findFirst().orElseThrow();

    try (Store session = imap(reader)) {
      Folder inbox = session.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      inbox.getMessage(1).setFlag(Flags.Flag.DELETED, true); // through the reader: its own view has \Deleted
      try (Store other = imap(holding.getFirst())) {
        Folder there = other.getFolder("INBOX");
        there.open(Folder.READ_WRITE);
        there.getMessage(1).setFlag(Flags.Flag.DELETED, false); // taken back through a holder
        there.close(false);
      }

      // Both holders restart, one at a time, and cannot finish catching up: their copies refuse listings.
      pushPolicy(reader, "version 2\ndefault allow\n*  replica  read  -> deny\n");
      for (String name : holding) {
        cluster.stop(cluster.node(name));
        cluster.awaitComplete(2, WAIT);
        cluster.start(name);
        cluster.awaitComplete(3, WAIT);
      }

      assertThatThrownBy(inbox::expunge).as("EXPUNGE answered NO: the flags it would act on are not known now")
          .isInstanceOf(MessagingException.class).hasMessageContaining("NO [UNAVAILABLE] cannot expunge UID [" + uid + "]");
      for (String name : holding) {
        assertThat(held(cluster.node(name))).as("still on %s", name).containsKey(uid);
      }
      try (Store fresh = imap(reader)) {
        // every catalog refuses listings meanwhile: the mailbox's record comes from their catalogs'
        // answers to FRAGMENT_MAILBOXES, its messages from what the reader saw before
        Folder again = fresh.getFolder("INBOX");
        again.open(Folder.READ_ONLY);
        assertThat(again.getMessageCount()).as("a new session through the reader still selects INBOX").isEqualTo(2);
        again.close(false);
      }
      try (Store pop = MailClients.connect("pop3", cluster.node(reader).ports().get("pop3"), USER, PASSWORD)) {
        // POP3 deletes what its own session marked, not by flags read before: its QUIT goes ahead
        Folder maildrop = pop.getFolder("INBOX");
        maildrop.open(Folder.READ_WRITE);
        maildrop.getMessage(2).setFlag(Flags.Flag.DELETED, true);
        maildrop.close(true);
      }
      for (String name : holding) {
        assertThat(held(cluster.node(name))).as("POP3's delete made on %s", name).doesNotContainKey(popped);
      }

      pushPolicy(reader, "version 3\ndefault allow\n");
      // Once the holders have caught up, the session reads the mailbox again before its next EXPUNGE:
      // the message's \Deleted was taken back, so there is nothing to expunge.
      await().atMost(WAIT).ignoreException(MessagingException.class)
          .untilAsserted(() -> assertThat(inbox.expunge()).as("readable again: nothing to expunge").isEmpty());
      assertThat(inbox.getMessage(1).isSet(Flags.Flag.DELETED)).isFalse();
      inbox.close(false);
    }
    for (String name : holding) {
      MessageMeta kept = held(cluster.node(name)).get(uid);
      assertThat(kept).as("on %s", name).isNotNull();
      assertThat(kept.flags()).as("on %s", name).doesNotContain("\\Deleted");
    }
    assertThat(MailClients.subjects("imap", cluster.node(reader).ports().get("imap"), USER, PASSWORD))
        .containsExactly("keep me");
  }

  private Store imap(String node) throws MessagingException {
    return MailClients.connect("imap", cluster.node(node).ports().get("imap"), USER, PASSWORD);
  }

  private static Map<Long, MessageMeta> held(QuillNode node) {
    return node.store().messages(USER, MailStore.INBOX).stream()
        .collect(java.util.stream.Collectors.toMap(MessageMeta::uid, m -> m));
  }

  private void pushPolicy(String via, String policy) {
    try (RemoteAdminOps ops = RemoteAdminOps.connect(dir.resolve(via)).orElseThrow()) {
      assertThat(ops.pushPolicy(policy).missing()).isEmpty();
    }
  }
}
