package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.cluster.load.LoadReport;
import dev.quill.cluster.mail.Replication;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.server.node.QuillNode;
import dev.quill.store.AppendResult;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose data directory comes back from an old backup, in a cluster keeping one copy of each
 * message: the user's profile node and manager. Its reservation of UIDs is the backup's, and the
 * mail numbered since was stored on it alone and is gone with the restore; yet no UID is given
 * twice, because a profile is kept on two nodes whatever the message copies ({@code
 * Replication.profiles}) and the other copy reports the current reservation. With the profile on
 * the restored node alone, the rebuilt manager continued above the old reservation and gave again
 * UIDs that clients had seen.
 */
class ClusterRestoredProfileTest {
  private static final String DOMAIN = "example.test";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  @Test
  void aProfileNodeRestoredFromAnOldBackup_givesNoUidAgain() throws Exception {
    cluster = new InJvmCluster(dir, "restored");
    for (String name : List.of("a", "b", "c")) {
      start(name);
    }
    cluster.awaitComplete(3, WAIT);
    UserMap map = cluster.node("a").cluster().map();
    String user = IntStream.range(0, 10_000).mapToObj(i -> "rob" + i + "@" + DOMAIN)
        .filter(u -> map.managerOf(u).equals("a")).findFirst().orElseThrow();
    cluster.node("a").mailStore().addDomain(DOMAIN);
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> cluster.nodes().stream()
        .allMatch(n -> n.store().hasDomain(DOMAIN)));
    cluster.node("a").mailStore().addUser(user, "pw".toCharArray()); // profile on a, the user's manager
    org.awaitility.Awaitility.await().atMost(WAIT).until(() -> cluster.nodes().stream()
        .filter(n -> n.store().user(user).isPresent()).count() == 2);
    cluster.node("a").mailStore().append(user, MailStore.INBOX, message("before the backup"), Set.of(), null, null)
        .join();

    cluster.stop(cluster.node("a"));
    copy(dir.resolve("a"), dir.resolve("a-backup"));
    start("a");
    cluster.awaitComplete(3, WAIT);

    // 2,048 more messages, numbered by a in eleven COPYs of the INBOX into itself (each far beyond the
    // block a reservation goes ahead by), stored on a while the others are said to be busy.
    for (int round = 0; round < 11; round++) {
      for (String busy : List.of("b", "c")) {
        cluster.node("a").cluster().loads().update(new LoadReport(busy, 10_000, 1.0, System.currentTimeMillis()));
      }
      List<Long> uids = cluster.node("a").mailStore().messages(user, MailStore.INBOX).stream()
          .map(MessageMeta::uid).toList();
      cluster.node("a").mailStore().copy(user, MailStore.INBOX, uids, MailStore.INBOX, false).join();
    }
    long highestGiven = cluster.holders(user, MailStore.INBOX).keySet().stream().mapToLong(Long::longValue).max()
        .orElseThrow();
    assertThat(highestGiven).isGreaterThanOrEqualTo(2_049);

    // a comes back from the backup: its reservation and its mail are those of before the copies.
    cluster.stop(cluster.node("a"));
    delete(dir.resolve("a"));
    Files.move(dir.resolve("a-backup"), dir.resolve("a"));
    start("a");
    cluster.awaitComplete(3, WAIT);
    assertThat(cluster.node("a").cluster().map().managerOf(user)).as("a manages the user again").isEqualTo("a");

    AppendResult next = org.awaitility.Awaitility.await().atMost(WAIT).ignoreExceptions().until(() ->
        cluster.node("b").mailStore().append(user, MailStore.INBOX, message("after the restore"), Set.of(), null,
            null).join(), AppendResult::stored);
    assertThat(next.uid()).as("the first UID after the restore, above every UID given before it (%s)", highestGiven)
        .isGreaterThan(highestGiven);
  }

  private void start(String name) throws Exception {
    cluster.start(name, c -> c.withReplication(new Replication(1, 1)));
  }

  private static byte[] message(String subject) {
    return ("Subject: " + subject + "\r\n\r\n" + subject + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path f : files.toList()) {
        Files.copy(f, to.resolve(from.relativize(f).toString()));
      }
    }
  }

  private static void delete(Path tree) throws IOException {
    try (Stream<Path> files = Files.walk(tree)) {
      files.sorted(Comparator.reverseOrder()).forEach(f -> {
        try {
          Files.delete(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
