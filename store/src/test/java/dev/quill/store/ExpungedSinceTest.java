package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The QRESYNC expunge log: exact while it remembers, a superset once pruned. */
class ExpungedSinceTest {
  static final String ANN = "ann@example.org";

  @TempDir Path dir;
  RocksMailStore store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  private void deliver(int count) {
    for (int i = 0; i < count; i++) {
      store.deliver(List.of(ANN), "INBOX", TestStores.message("m" + i, 60), Instant.EPOCH).join();
    }
  }

  private long highest() {
    return store.mailbox(ANN, "INBOX").orElseThrow().highestModSeq();
  }

  @Test
  void expungedSince_onlyLaterExpunges_inUidOrder() {
    store = TestStores.withUsers(dir, "ann");
    deliver(6);
    store.expunge(ANN, "INBOX", List.of(2L)).join();
    long mark = highest();
    store.expunge(ANN, "INBOX", List.of(5L, 1L)).join();
    store.copy(ANN, "INBOX", List.of(3L), "Trash", true).join();

    assertThat(store.expungedSince(ANN, "INBOX", mark)).containsExactly(1L, 3L, 5L);
    assertThat(store.expungedSince(ANN, "INBOX", 0)).containsExactly(1L, 2L, 3L, 5L);
    assertThat(store.expungedSince(ANN, "INBOX", highest())).isEmpty();
    assertThat(store.expungedSince(ANN, "Nope", 0)).isEmpty();
  }

  @Test
  void expungedSince_survivesRestart() {
    store = TestStores.withUsers(dir, "ann");
    deliver(3);
    store.expunge(ANN, "INBOX", List.of(2L)).join();
    store.close();
    store = TestStores.open(dir);
    assertThat(store.expungedSince(ANN, "INBOX", 1)).containsExactly(2L);
  }

  @Test
  void expungedSince_afterPruning_answersSupersetNeverFewer() {
    store = RocksMailStore.open(dir, TestStores.FAST, 4);
    store.addDomain("example.org");
    store.addUser(ANN, "pw".toCharArray());
    deliver(20);
    long start = highest();
    var marks = new long[11];
    for (int uid = 1; uid <= 10; uid++) {
      marks[uid] = highest();
      store.expunge(ANN, "INBOX", List.of((long) uid)).join();
    }
    // Recent questions stay exact.
    assertThat(store.expungedSince(ANN, "INBOX", marks[9])).containsExactly(9L, 10L);
    assertThat(store.expungedSince(ANN, "INBOX", marks[7])).containsExactly(7L, 8L, 9L, 10L);
    // Old ones get every UID that may have gone, which includes every one that did.
    List<Long> old = store.expungedSince(ANN, "INBOX", start);
    assertThat(old).containsAll(LongStream.rangeClosed(1, 10).boxed().toList());
    assertThat(old).allMatch(uid -> uid <= 10);
    List<Long> middle = store.expungedSince(ANN, "INBOX", marks[3]);
    assertThat(middle).containsAll(LongStream.rangeClosed(3, 10).boxed().toList());
  }

  @Test
  void expungedSince_deletedAndRecreatedMailbox_startsAfresh() {
    store = TestStores.withUsers(dir, "ann");
    store.createMailbox(ANN, "x", Set.of());
    store.deliver(List.of(ANN), "x", TestStores.message("m", 60), Instant.EPOCH).join();
    store.expunge(ANN, "x", List.of(1L)).join();
    store.deleteMailbox(ANN, "x");
    store.createMailbox(ANN, "x", Set.of());
    assertThat(store.expungedSince(ANN, "x", 0)).isEmpty();
  }
}
