package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.mail.Replication;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.server.node.QuillNode;
import dev.quill.store.FlagUpdate;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A flag change or expunge of a message that only a node which does not answer holds is refused as
 * temporary, never answered OK without effect (a STORE \Deleted and an EXPUNGE answered OK would
 * leave the message in place while the client believes it deleted).
 * Three real nodes in this JVM, one copy per message so that a message has a single holder.
 */
class ClusterUnseenChangeTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "uma@" + DOMAIN;
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  @Test
  void aChangeOfAMessageHeldOnlyWhereNobodyAnswers_isRefusedAsTemporary_andWorksOnceItIsBack() throws Exception {
    cluster = new InJvmCluster(dir, "unseen");
    for (String name : List.of("a", "b", "c")) {
      cluster.start(name, c -> c.withReplication(new Replication(1, 1)));
    }
    cluster.awaitComplete(3, WAIT);
    QuillNode a = cluster.node("a");
    a.mailStore().addDomain(DOMAIN);
    a.mailStore().addUser(USER, "pw".toCharArray());
    MailClients.send(a.ports().get("smtp"), USER, "only one copy");
    Map<Long, List<String>> holders = cluster.holders(USER, MailStore.INBOX);
    assertThat(holders).hasSize(1);
    long uid = holders.keySet().iterator().next();
    String holder = holders.get(uid).getFirst();
    // Asked through a node that never read the mailbox (its first look comes with the holder away).
    String via = List.of("a", "b", "c").stream().filter(n -> !n.equals(holder) && !n.equals("a")).findFirst()
        .orElse(List.of("a", "b", "c").stream().filter(n -> !n.equals(holder)).findFirst().orElseThrow());
    QuillNode down = cluster.node(holder);
    down.close();
    cluster.nodes().remove(down);
    cluster.awaitComplete(2, WAIT);

    FlagUpdate deleted = new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Deleted"), -1);
    MailStore store = cluster.node(via).mailStore();
    assertThatThrownBy(() -> store.updateFlags(USER, MailStore.INBOX, List.of(uid), deleted).join())
        .cause().isInstanceOf(StoreException.class).hasMessageContaining(holder).hasMessageContaining("try again");
    assertThatThrownBy(() -> store.expunge(USER, MailStore.INBOX, List.of(uid)).join())
        .cause().isInstanceOf(StoreException.class).hasMessageContaining("try again");

    // The holder returns: the same change is made, on its copy.
    cluster.start(holder, c -> c.withReplication(new Replication(1, 1)));
    cluster.awaitComplete(3, WAIT);
    org.awaitility.Awaitility.await().atMost(WAIT).ignoreExceptions().untilAsserted(() ->
        assertThat(cluster.node(via).mailStore().updateFlags(USER, MailStore.INBOX, List.of(uid), deleted).join().updated())
            .extracting(MessageMeta::uid).containsExactly(uid));
    assertThat(cluster.node(holder).store().messages(USER, MailStore.INBOX)).singleElement()
        .satisfies(m -> assertThat(m.flags()).contains("\\Deleted"));
  }

  /**
   * The message's only holder was also its user's manager: the next manager never heard what that
   * node held, yet reads through the others say that part of the mailbox is out of reach, and a
   * change of the message is refused as temporary, not answered OK with nothing done. A user whose
   * manager stays knows where all its messages are: nothing is reported out of reach for it.
   */
  @Test
  void aMessageWhoseOnlyHolderWasItsUsersManager_isReportedOutOfReach_andItsChangeRefusedUntilItReturns()
      throws Exception {
    cluster = new InJvmCluster(dir, "unseen-manager");
    // one copy of each profile too: a second copy would give a an (empty) fragment of kept's INBOX
    for (String name : List.of("a", "b", "c")) {
      cluster.start(name, c -> c.withSpread(3).withReplication(new Replication(1, 1, 1)));
    }
    cluster.awaitComplete(3, WAIT);
    UserMap map = cluster.node("a").cluster().map();
    String user = IntStream.range(0, 10_000).mapToObj(i -> "mgr" + i + "@" + DOMAIN)
        .filter(u -> map.managerOf(u).equals("a")).findFirst().orElseThrow();
    String kept = IntStream.range(0, 10_000).mapToObj(i -> "kept" + i + "@" + DOMAIN)
        .filter(u -> map.managerOf(u).equals("b")).findFirst().orElseThrow();
    cluster.node("a").mailStore().addDomain(DOMAIN);
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> cluster.node("b").mailStore().hasDomain(DOMAIN));
    cluster.node("b").mailStore().addUser(user, "pw".toCharArray()); // profile on b, which stays
    // a stores what it accepts when it is not clearly busier than the others; with a spread of 3 it
    // stays a candidate whichever nodes took the INBOX's earlier messages. The loads of nodes in one
    // JVM are the same machine's, sampled at different moments, so a may look busier: before each try
    // a is told b and c are loaded (the reports their gossip would bring if they were; the next real
    // ones replace them within 0.5 s), and the tries go on for up to WAIT
    java.util.concurrent.atomic.AtomicLong found = new java.util.concurrent.atomic.AtomicLong(-1);
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    try {
      org.awaitility.Awaitility.await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).until(() -> {
        for (String busy : List.of("b", "c")) {
          cluster.node("a").cluster().loads().update(new dev.quill.cluster.load.LoadReport(busy, 10_000, 1.0,
              System.currentTimeMillis()));
        }
        MailClients.send(cluster.node("a").ports().get("smtp"), user, "kept by its manager " + sent.getAndIncrement());
        found.set(cluster.holders(user, MailStore.INBOX).entrySet().stream()
            .filter(e -> e.getValue().equals(List.of("a"))).mapToLong(Map.Entry::getKey).findFirst().orElse(-1));
        return found.get() > 0;
      });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // said below, with the loads a decided on
    }
    long uid = found.get();
    assertThat(uid).as("a message accepted and stored on a, which manages the user, in %s tries; a's loads: %s;"
        + " holders: %s", sent.get(), cluster.node("a").cluster().loads().current(),
        cluster.holders(user, MailStore.INBOX)).isPositive();
    cluster.node("b").mailStore().addUser(kept, "pw".toCharArray()); // its INBOX on b alone
    // A mailbox made and filled through b: the balancer prefers b, its only holder, but may pick a.
    cluster.node("b").mailStore().createMailbox(user, "Projects", Set.of());
    cluster.node("b").mailStore().append(user, "Projects", "Subject: kept\r\n\r\nkept\r\n".getBytes(
        java.nio.charset.StandardCharsets.US_ASCII), Set.of(), null, null).join();

    QuillNode a = cluster.node("a");
    a.close();
    cluster.nodes().remove(a);
    cluster.awaitComplete(2, WAIT);
    MailStore viaB = cluster.node("b").mailStore();
    assertThat(cluster.node("b").cluster().map().managerOf(user)).as("a new manager").isNotEqualTo("a");
    viaB.messages(user, MailStore.INBOX);
    assertThat(viaB.unreachable(user, MailStore.INBOX)).as("reads say that part of the INBOX is out of reach")
        .containsExactly("a");
    FlagUpdate deleted = new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Deleted"), -1);
    assertThatThrownBy(() -> viaB.updateFlags(user, MailStore.INBOX, List.of(uid), deleted).join())
        .cause().isInstanceOf(StoreException.class).hasMessageContaining("a").hasMessageContaining("try again");
    viaB.messages(user, "Projects");
    // Projects' holder record names a whether or not a got the message: with one profile copy, a (the
    // manager) took Projects' reservation with b, to make a majority of the three members.
    assertThat(viaB.unreachable(user, "Projects")).as("a is named missing in Projects: its holder record names it")
        .containsExactly("a");
    MailStore viaC = cluster.node("c").mailStore();
    assertThat(viaC.messages(kept, MailStore.INBOX)).isEmpty();
    assertThat(viaC.unreachable(kept, MailStore.INBOX)).as("b kept managing it and knows a holds none of it")
        .isEmpty();

    cluster.start("a", c -> c.withSpread(3).withReplication(new Replication(1, 1, 1)));
    cluster.awaitComplete(3, WAIT);
    org.awaitility.Awaitility.await().atMost(WAIT).ignoreExceptions().untilAsserted(() ->
        assertThat(viaB.updateFlags(user, MailStore.INBOX, List.of(uid), deleted).join().updated())
            .extracting(MessageMeta::uid).containsExactly(uid));
    assertThat(viaB.unreachable(user, MailStore.INBOX)).isEmpty();
  }
}
