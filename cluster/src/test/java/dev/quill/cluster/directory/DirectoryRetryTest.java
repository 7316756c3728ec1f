package dev.quill.cluster.directory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory message that gets no answer is sent again while its member stays in the view, so a
 * join-time sync lost on its way does not leave the member without the lists until the next view
 * change. The member here is a real node whose handler keeps the first sync unanswered past the
 * sender's timeout, as a lost message would.
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
}
