package dev.quill.cluster.manager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerNodes.Node;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.AssignedMessage;
import dev.quill.store.FragmentSummary;
import dev.quill.store.MailStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Holder records (issue 4, "reads say so rather than hiding it", without saying it of every
 * mailbox): the user's profile node keeps, per mailbox, every node that may hold its messages, so a
 * manager that takes a bucket while members are away lists them as missing only where they may hold
 * something. Real in-JVM nodes, real transports and stores.
 */
class HolderRecordTest {
  private static final Duration VIEWS = Duration.ofSeconds(20);

  @TempDir Path dir;

  /**
   * INBOX has a message on x only, Sent (created on y) on y only. x and then m (the manager) leave, so
   * y takes the bucket without having heard from either. Before holder records, both mailboxes listed x
   * and m as missing; now each lists those its record names: INBOX x and m, Sent only m. (m is in both
   * as it took their reservations: a majority of four members is three, and with one profile node the
   * manager reserves on holders first, then on itself, then on members in view order.)
   */
  @Test
  void aNewManager_listsMembersAwayAsMissing_onlyInTheMailboxesTheirRecordNames() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("holders-away", dir).rememberingMembers()) {
      String user = user(u -> UserMap.of(List.of("p", "x", "m", "y"), ManagerNodes.BUCKETS).managerOf(u).equals("m")
          && UserMap.of(List.of("p", "y"), ManagerNodes.BUCKETS).managerOf(u).equals("y"));
      List<Node> started = cluster.startWithProfileOnFirst(user, "p", "x", "m", "y");
      Node p = started.get(0);
      Node x = started.get(1);
      Node m = started.get(2);
      Node y = started.get(3);
      awaitComplete(cluster, p, user, Set.of("p", "x", "m", "y"));

      UidGrant inbox = p.client.allocateUids(user, MailStore.INBOX, 1).get(10, TimeUnit.SECONDS);
      store(x, user, inbox);
      p.client.fragmentStored(user, MailStore.INBOX, "x").get(10, TimeUnit.SECONDS);
      p.client.mailboxCreated(user, "Sent", 1_700_000_000L, "y").get(10, TimeUnit.SECONDS);
      UidGrant sent = p.client.allocateUids(user, "Sent", 1).get(10, TimeUnit.SECONDS);
      store(y, user, sent);
      p.client.fragmentStored(user, "Sent", "y").get(10, TimeUnit.SECONDS);
      // The answer came after the record was durable on the profile node.
      assertThat(reported(p, user, MailStore.INBOX).holders()).hasValueSatisfying(h -> assertThat(h).contains("x"));
      assertThat(reported(p, user, "Sent").holders()).hasValueSatisfying(h -> assertThat(h).contains("y", "m")
          .doesNotContain("x"));

      cluster.leave(x);
      await().atMost(VIEWS).until(() -> cluster.viewsAre(Set.of("p", "m", "y")));
      cluster.leave(m);
      awaitComplete(cluster, p, user, Set.of("p", "y"));
      assertThat(y.map.managerOf(user)).isEqualTo("y");

      MailMap map = p.client.mailMap(user).get(5, TimeUnit.SECONDS);
      assertThat(location(map, MailStore.INBOX).missing()).as("x may hold INBOX messages: its record says so")
          .containsExactly("m", "x");
      assertThat(location(map, "Sent").missing()).as("x never held part of Sent").containsExactly("m");
      assertThat(location(map, "Sent").nodes()).contains("y");
    }
  }

  /**
   * A node that already holds a fragment but is not in the record yet (an empty fragment made by a
   * CREATE, which records nothing) is recorded before the next UIDs of the mailbox are given, so a
   * delivery there needs no record of its own.
   */
  @Test
  void aKnownHolderMissingFromTheRecord_isRecordedBeforeTheNextUidsAreGiven() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("holders-created", dir)) {
      String user = user(u -> UserMap.of(List.of("p", "m", "z"), ManagerNodes.BUCKETS).managerOf(u).equals("m"));
      List<Node> started = cluster.startWithProfileOnFirst(user, "p", "m", "z");
      Node p = started.get(0);
      Node z = started.get(2);
      awaitComplete(cluster, z, user, Set.of("p", "m", "z"));
      UidGrant first = z.client.allocateUids(user, "Archive", 1).get(10, TimeUnit.SECONDS);
      assertThat(reported(p, user, "Archive").holders()).hasValueSatisfying(h -> assertThat(h).doesNotContain("z"));
      z.client.mailboxCreated(user, "Archive", first.uidValidity(), "z").get(10, TimeUnit.SECONDS);

      UidGrant next = z.client.allocateUids(user, "Archive", 1).get(10, TimeUnit.SECONDS);
      assertThat(next.fragmentNodes()).contains("z");
      assertThat(reported(p, user, "Archive").holders()).hasValueSatisfying(h -> assertThat(h).contains("z"));
    }
  }

  private static MailMap.MailboxLocation location(MailMap map, String mailbox) {
    return map.mailboxes().stream().filter(b -> b.name().equals(mailbox)).findFirst().orElseThrow();
  }

  private static void awaitComplete(ManagerNodes cluster, Node asker, String user, Set<String> names) {
    await().atMost(VIEWS).until(() -> cluster.viewsAre(names));
    await().atMost(VIEWS).until(() -> asker.client.mailMap(user).get(5, TimeUnit.SECONDS).complete());
  }

  private static FragmentSummary reported(Node node, String user, String mailbox) {
    return node.held().stream().filter(u -> u.user().equals(user)).flatMap(u -> u.fragments().stream())
        .filter(f -> f.mailbox().equals(mailbox)).findFirst().orElseThrow();
  }

  private static void store(Node node, String user, UidGrant grant) {
    byte[] body = ("Subject: " + grant.firstUid() + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
    node.store.storeAssigned(new AssignedMessage(user, grant.mailbox(), grant.uidValidity(), grant.firstUid(),
        grant.firstModSeq(), body, Set.of(), null, null)).join();
  }

  private static String user(java.util.function.Predicate<String> wanted) {
    for (int i = 0; ; i++) {
      String user = "h" + i + "@example.org";
      if (wanted.test(user)) {
        return user;
      }
    }
  }
}
