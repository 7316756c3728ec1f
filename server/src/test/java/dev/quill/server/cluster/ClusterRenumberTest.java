package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.mail.Replication;
import dev.quill.server.node.QuillNode;
import dev.quill.store.AssignedMessage;
import dev.quill.store.FlagUpdate;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MessageMeta;
import dev.quill.store.UidValidityChangedException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fragment whose UIDVALIDITY differs from the mailbox's (a data directory restored from an old
 * backup, a fragment made by hand): its UIDs collide with the mailbox's own. Reads must never merge
 * the two numberings, and the user's manager renumbers the odd fragment so that its messages come
 * back as new messages under the UIDVALIDITY clients know. Three real nodes in this JVM.
 */
class ClusterRenumberTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "rita@" + DOMAIN;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  private static byte[] message(String subject) {
    return ("Subject: " + subject + "\r\n\r\n" + subject + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static String subject(MailStore store, long uid) throws Exception {
    return new String(store.readMessage(USER, "INBOX", uid).orElseThrow(), StandardCharsets.US_ASCII).lines()
        .findFirst().orElseThrow();
  }

  /** The subjects of the mailbox as read through {@code store}, in UID order. */
  private static List<String> subjects(MailStore store) throws Exception {
    List<String> subjects = new ArrayList<>();
    for (MessageMeta m : store.messages(USER, "INBOX")) {
      subjects.add(subject(store, m.uid()));
    }
    return subjects;
  }

  /** Three nodes keeping {@code replication} copies, and the user with three messages, added through b. */
  private MailStore startWithInbox(String name, Replication replication) throws Exception {
    cluster = new InJvmCluster(dir, name);
    for (String node : List.of("a", "b", "c")) {
      cluster.start(node, c -> c.withReplication(replication));
    }
    cluster.awaitComplete(3, WAIT);
    MailStore viaB = cluster.node("b").mailStore();
    viaB.addDomain(DOMAIN);
    await().atMost(WAIT).until(() -> cluster.node("a").mailStore().hasDomain(DOMAIN)
        && cluster.node("c").mailStore().hasDomain(DOMAIN));
    viaB.addUser(USER, "pw".toCharArray());
    for (int i = 1; i <= 3; i++) {
      viaB.append(USER, "INBOX", message("own " + i), Set.of(), null, null).join();
    }
    return viaB;
  }

  @Test
  void aFragmentWithAnotherUidValidity_isRenumberedIntoTheMailbox_withFreshUids() throws Exception {
    MailStore viaB = startWithInbox("renumber", new Replication(1, 1)); // profile on b
    long uidValidity = viaB.mailbox(USER, "INBOX").orElseThrow().uidValidity();
    List<Long> own = viaB.messages(USER, "INBOX").stream().map(MessageMeta::uid).toList();
    assertThat(own).hasSize(3);
    String odd = cluster.nodes().stream().map(n -> n.cluster().name())
        .filter(n -> !n.equals("b") && cluster.node(n).store().mailbox(USER, "INBOX").isEmpty()).findFirst().orElseThrow();

    // A fragment under an older UIDVALIDITY (as from an old backup) whose UIDs are the mailbox's own,
    // written into that node's store directly; its restart reports it to the manager.
    long other = uidValidity - 1_000;
    for (int i = 0; i < 2; i++) {
      cluster.node(odd).store().storeAssigned(new AssignedMessage(USER, "INBOX", other, own.get(i), 5 + i,
          message("restored " + (i + 1)), Set.of("\\Seen"), Instant.parse("2020-01-01T00:00:00Z"), null)).join();
    }
    cluster.stop(cluster.node(odd));
    cluster.start(odd, c -> c.withReplication(new Replication(1, 1)));
    cluster.awaitComplete(3, WAIT);

    for (String reader : List.of("a", "b", "c")) {
      MailStore store = cluster.node(reader).mailStore();
      await("renumbered, as read through " + reader).atMost(WAIT).ignoreExceptions()
          .untilAsserted(() -> assertThat(store.messages(USER, "INBOX")).hasSize(5));
      List<MessageMeta> listed = store.messages(USER, "INBOX");
      assertThat(listed).extracting(MessageMeta::uid).as("one UID per message").doesNotHaveDuplicates();
      assertThat(listed.subList(0, 3)).extracting(MessageMeta::uid).as("the mailbox's own keep theirs")
          .containsExactlyElementsOf(own);
      assertThat(listed.get(3).uid()).as("the restored ones are new: above every UID given")
          .isGreaterThan(own.getLast());
      assertThat(subjects(store)).containsExactly("Subject: own 1", "Subject: own 2", "Subject: own 3",
          "Subject: restored 1", "Subject: restored 2");
      assertThat(listed.get(4).flags()).containsExactly("\\Seen");
      assertThat(store.mailbox(USER, "INBOX").orElseThrow().uidValidity()).as("what clients know")
          .isEqualTo(uidValidity);
      assertThat(store.mailbox(USER, "INBOX").orElseThrow().messageCount()).isEqualTo(5);
    }
    assertThat(cluster.node(odd).store().mailbox(USER, "INBOX").orElseThrow().uidValidity()).isEqualTo(uidValidity);
    // New mail goes on under the same UIDVALIDITY, above the renumbered messages.
    cluster.node("a").mailStore().append(USER, "INBOX", message("after"), Set.of(), null, null).join();
    List<MessageMeta> after = viaB.messages(USER, "INBOX");
    assertThat(after).hasSize(6);
    assertThat(after.getLast().uid()).isGreaterThan(after.get(4).uid());
    assertThat(viaB.mailbox(USER, "INBOX").orElseThrow().uidValidity()).isEqualTo(uidValidity);
  }

  /**
   * A mailbox whose UIDs are used up under its UIDVALIDITY (2^32 - 1 given): the next delivery waits
   * while its manager renumbers every message from UID 1 under a higher UIDVALIDITY, then goes on.
   */
  @Test
  void aMailboxWhoseUidsAreUsedUp_startsOverFromUid1_underAHigherUidValidity() throws Exception {
    MailStore viaB = startWithInbox("renumber-used-up", new Replication(1, 1)); // profile and INBOX on b
    long uidValidity = viaB.mailbox(USER, "INBOX").orElseThrow().uidValidity();
    long last = 0xffff_ffffL;
    // A message three UIDs from the end, written into b's store directly; b's restart reports it.
    cluster.node("b").store().storeAssigned(new AssignedMessage(USER, "INBOX", uidValidity, last - 3, 50,
        message("near the end"), Set.of(), Instant.parse("2020-01-01T00:00:00Z"), null)).join();
    cluster.stop(cluster.node("b"));
    cluster.start("b", c -> c.withReplication(new Replication(1, 1)));
    cluster.awaitComplete(3, WAIT);

    // Sessions anywhere hear of the renumbering at once (a "read again" event with no UIDs), not only
    // at the mailbox's next change: one whose UIDVALIDITY changed must not act on its old UIDs.
    List<MailboxEvent> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<AutoCloseable> watches = new ArrayList<>();
    for (String node : List.of("a", "b", "c")) {
      watches.add(cluster.node(node).mailStore().watch(USER, heard::add));
    }
    MailStore viaA = cluster.node("a").mailStore();
    for (int i = 1; i <= 6; i++) {
      int n = i;
      // the fourth finds the UIDs used up and waits for the renumbering; a refusal meanwhile is tried again
      await("late " + n).atMost(WAIT).ignoreExceptions()
          .until(() -> viaA.append(USER, "INBOX", message("late " + n), Set.of(), null, null).join().stored());
    }

    for (String reader : List.of("a", "b", "c")) {
      MailStore store = cluster.node(reader).mailStore();
      await("renumbered, as read through " + reader).atMost(WAIT).ignoreExceptions()
          .untilAsserted(() -> assertThat(store.mailbox(USER, "INBOX").orElseThrow().uidValidity())
              .isGreaterThan(uidValidity));
      List<MessageMeta> listed = store.messages(USER, "INBOX");
      assertThat(listed).extracting(MessageMeta::uid).as("from 1, in the old order")
          .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
      assertThat(subjects(store)).containsExactly("Subject: own 1", "Subject: own 2", "Subject: own 3",
          "Subject: near the end", "Subject: late 1", "Subject: late 2", "Subject: late 3", "Subject: late 4",
          "Subject: late 5", "Subject: late 6");
    }
    // A session that took UIDs 1 and 2 under the old UIDVALIDITY, its expunge arriving now: refused
    // (by the manager, which numbers the new one), and both messages of the new numbering stay.
    for (String via : List.of("a", "b", "c")) {
      assertThat(catchThrowable(() -> cluster.node(via).mailStore().expungeUnder(USER, "INBOX", uidValidity,
          List.of(1L, 2L)).join())).as("through " + via).isInstanceOf(java.util.concurrent.CompletionException.class)
          .cause().isInstanceOf(UidValidityChangedException.class);
    }
    FlagUpdate deleted = new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Deleted"), -1);
    assertThat(catchThrowable(() -> viaA.updateFlagsUnder(USER, "INBOX", uidValidity, List.of(1L), deleted).join()))
        .as("a STORE taken under the old UIDVALIDITY").cause().isInstanceOf(UidValidityChangedException.class);
    assertThat(viaA.messages(USER, "INBOX")).hasSize(10).allSatisfy(m -> assertThat(m.flags())
        .doesNotContain("\\Deleted")).first().satisfies(m -> assertThat(m.uid()).isEqualTo(1));
    // A FETCH or MOVE taken under the old UIDVALIDITY: refused on the nodes the messages are read from,
    // rather than answering with the bytes of the messages those UIDs name now.
    Set<LoadedMessage.Part> body = Set.of(LoadedMessage.Part.BODY);
    for (String via : List.of("a", "b", "c")) {
      MailStore store = cluster.node(via).mailStore();
      assertThat(catchThrowable(() -> store.loadUnder(USER, "INBOX", uidValidity, List.of(4L, 5L), body)))
          .as("a read through " + via).isInstanceOf(UidValidityChangedException.class);
      long now = store.mailbox(USER, "INBOX").orElseThrow().uidValidity();
      assertThat(store.loadUnder(USER, "INBOX", now, List.of(4L), body)).singleElement()
          .satisfies(m -> assertThat(new String(m.body(), StandardCharsets.US_ASCII)).contains("Subject: near the end"));
    }
    assertThat(catchThrowable(() -> viaA.copyUnder(USER, "INBOX", uidValidity, List.of(1L), "INBOX", true).join()))
        .as("a MOVE").cause().isInstanceOf(UidValidityChangedException.class);
    assertThat(viaA.messages(USER, "INBOX")).as("nothing moved or copied").hasSize(10);
    await("every node's watch told to read INBOX again").atMost(WAIT).untilAsserted(() ->
        assertThat(heard.stream().filter(e -> e.kind() == MailboxEvent.Kind.FLAGS && e.uids().isEmpty()
            && e.mailbox().equals("INBOX"))).hasSizeGreaterThanOrEqualTo(3));
    for (AutoCloseable watch : watches) {
      watch.close();
    }
  }

  @Test
  void withTwoCopies_aMailboxWaitsForItsHoldersAway_andMeanwhileReadsLeaveTheOddFragmentOut() throws Exception {
    MailStore viaB = startWithInbox("renumber-r2", new Replication(2, 2));
    long uidValidity = viaB.mailbox(USER, "INBOX").orElseThrow().uidValidity();
    List<Long> own = viaB.messages(USER, "INBOX").stream().map(MessageMeta::uid).toList();
    List<String> odds = cluster.nodes().stream().map(n -> n.cluster().name())
        .filter(n -> cluster.node(n).store().mailbox(USER, "INBOX").isEmpty()).toList();
    assertThat(odds).as("with two copies of the profile, one node of three has no INBOX").hasSize(1);
    String odd = odds.getFirst();
    String reader = cluster.nodes().stream().map(n -> n.cluster().name()).filter(n -> !n.equals(odd)).findFirst()
        .orElseThrow();
    String away = cluster.nodes().stream().map(n -> n.cluster().name())
        .filter(n -> !n.equals(odd) && !n.equals(reader)).findFirst().orElseThrow();

    cluster.stop(cluster.node(away));
    for (int i = 0; i < 2; i++) {
      cluster.node(odd).store().storeAssigned(new AssignedMessage(USER, "INBOX", uidValidity + 1_000, own.get(i), 5 + i,
          message("restored " + (i + 1)), Set.of(), Instant.parse("2020-01-01T00:00:00Z"), null)).join();
    }
    cluster.stop(cluster.node(odd));
    cluster.start(odd, c -> c.withReplication(new Replication(2, 2)));
    cluster.awaitComplete(2, WAIT);

    MailStore viaReader = cluster.node(reader).mailStore();
    await("reads through " + reader + " without the odd fragment on " + odd + " while " + away + " is away").atMost(WAIT).ignoreExceptions()
        .untilAsserted(() -> assertThat(subjects(viaReader))
            .containsExactly("Subject: own 1", "Subject: own 2", "Subject: own 3"));
    await("not renumbered while " + away + " may hold copies").during(Duration.ofSeconds(3)).atMost(WAIT)
        .until(() -> cluster.node(odd).store().mailbox(USER, "INBOX").orElseThrow().uidValidity() == uidValidity + 1_000);
    assertThat(viaReader.messages(USER, "INBOX")).extracting(MessageMeta::uid).containsExactlyElementsOf(own);
    assertThat(viaReader.unreachable(USER, "INBOX")).as("said to be out of reach").contains(odd);

    cluster.start(away, c -> c.withReplication(new Replication(2, 2)));
    cluster.awaitComplete(3, WAIT);
    await("renumbered once every holder is back").atMost(WAIT).ignoreExceptions()
        .untilAsserted(() -> assertThat(viaReader.messages(USER, "INBOX")).hasSize(5));
    // The odd fragment had the higher UIDVALIDITY: the mailbox takes it (never lower than one a client
    // may have seen), the restored messages keep their UIDs, and its own come back as new ones above them.
    assertThat(viaReader.mailbox(USER, "INBOX").orElseThrow().uidValidity()).isEqualTo(uidValidity + 1_000);
    assertThat(subjects(viaReader)).containsExactly("Subject: restored 1", "Subject: restored 2", "Subject: own 1",
        "Subject: own 2", "Subject: own 3");
    assertThat(viaReader.messages(USER, "INBOX")).extracting(MessageMeta::uid).doesNotHaveDuplicates()
        .startsWith(own.get(0), own.get(1));
    for (QuillNode n : cluster.nodes()) {
      n.store().mailbox(USER, "INBOX").ifPresent(f -> assertThat(f.uidValidity()).as(n.cluster().name())
          .isEqualTo(uidValidity + 1_000));
    }
  }
}
