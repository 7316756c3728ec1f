package dev.quill.cluster.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory message that gets no answer is sent again while its member stays in the view, so a
 * join-time sync lost on its way does not leave the member without the lists until the next view
 * change; and a change the member missed every time reaches it in a whole sync later. The member
 * here is a real node whose handler answers past the sender's timeout, as a lost message would look.
 */
class DirectoryRetryTest {
  private static final Duration TIMEOUT = Duration.ofMillis(500);

  @TempDir Path dir;

  @Test
  void aSyncWithoutAnswer_isSentAgain_whileTheMemberStaysInTheView() throws Exception {
    try (DirectoryNodes nodes = new DirectoryNodes("directory-retry", dir)) {
      nodes.timeout = TIMEOUT;
      DirectoryNodes.Node a = nodes.create("a");
      a.store.addDomain("example.org");
      nodes.join(a);
      List<DirectoryList> received = new CopyOnWriteArrayList<>();
      nodes.bare("m", rpc -> rpc.register(Directory.SYNC, (from, list) -> {
        received.add(list);
        if (received.size() == 1) {
          Thread.sleep(TIMEOUT.multipliedBy(3).toMillis()); // answered after the sender gave up on it
        }
        return null;
      }));

      await().atMost(Duration.ofSeconds(15)).until(() -> received.size() >= 2);
      assertThat(received).as("the same lists, sent again").allSatisfy(list ->
          assertThat(list.domains()).containsExactly("example.org"));
      // no more once one was answered
      await().during(TIMEOUT.multipliedBy(4)).atMost(TIMEOUT.multipliedBy(6)).until(() -> received.size() == 2);
    }
  }

  @Test
  void aChangeAMemberMissedEveryTime_reachesItInAWholeSyncLater() throws Exception {
    try (DirectoryNodes nodes = new DirectoryNodes("directory-resync", dir)) {
      nodes.timeout = TIMEOUT;
      DirectoryNodes.Node a = nodes.start("a");
      List<DirectoryList> syncs = new CopyOnWriteArrayList<>();
      AtomicInteger changes = new AtomicInteger();
      nodes.bare("m", rpc -> {
        rpc.register(Directory.SYNC, (from, list) -> {
          syncs.add(list);
          return null;
        });
        rpc.register(Directory.CHANGE, (from, change) -> {
          changes.incrementAndGet();
          Thread.sleep(TIMEOUT.multipliedBy(3).toMillis()); // every try answered after the sender gave up
          return null;
        });
      });
      await().atMost(Duration.ofSeconds(15)).until(() -> !syncs.isEmpty()); // the sync at m's join

      a.directory.addDomain("example.net");

      await().atMost(Duration.ofSeconds(20))
          .until(() -> syncs.stream().anyMatch(list -> list.domains().contains("example.net")));
      assertThat(changes.get()).as("the change itself was tried every time").isEqualTo(Directory.ATTEMPTS);
    }
  }
}
