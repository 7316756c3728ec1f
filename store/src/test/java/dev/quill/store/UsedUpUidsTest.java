package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A single node's mailbox whose UIDs are used up (UIDNEXT beyond 2^32 - 1): no message ever gets a
 * UID IMAP cannot express, nor one given before. The write is refused while the mailbox starts over
 * from UID 1 under a higher UIDVALIDITY, and goes through when tried again.
 */
class UsedUpUidsTest {
  private static final String ANN = "ann@example.org";
  private static final long LAST = 0xffff_ffffL;

  @TempDir Path dir;

  private static byte[] message(String subject) {
    return ("Subject: " + subject + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  private static List<String> subjects(MailStore store) throws CorruptMessageException {
    List<String> subjects = new ArrayList<>();
    for (MessageMeta m : store.messages(ANN, "INBOX")) {
      subjects.add(new String(store.readMessage(ANN, "INBOX", m.uid()).orElseThrow(), StandardCharsets.US_ASCII)
          .lines().findFirst().orElseThrow());
    }
    return subjects;
  }

  /** What {@code write} failed with, thrown or through its future. */
  private static Throwable refusal(Runnable write) {
    try {
      write.run();
    } catch (java.util.concurrent.CompletionException e) {
      return e.getCause();
    } catch (RuntimeException e) {
      return e;
    }
    throw new AssertionError("the write went through");
  }

  /** Tries {@code write} until it returns true, for up to 10 s: the start-over runs in the background. */
  private static void eventually(java.util.concurrent.Callable<Boolean> write) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try {
        if (write.call()) {
          return;
        }
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not done within 10 s");
      }
      Thread.sleep(50);
    }
  }

  @Test
  void aMailboxAtTheLastUid_refusesTheNextMessage_startsOverFromUid1_andThenTakesIt() throws Exception {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      store.deliver(List.of(ANN), "INBOX", message("first"), Instant.now()).join();
      MailboxInfo before = store.mailbox(ANN, "INBOX").orElseThrow();
      // the last UID there is, given by a cluster's manager (or after four billion messages)
      store.storeAssigned(new AssignedMessage(ANN, "INBOX", before.uidValidity(), LAST, before.highestModSeq() + 1,
          message("last"), Set.of("\\Seen"), Instant.now(), null)).join();
      assertThat(store.mailbox(ANN, "INBOX").orElseThrow().uidNext()).isEqualTo(LAST + 1);

      Throwable refused = refusal(() -> store.deliver(List.of(ANN), "INBOX", message("after"), Instant.now()).join());
      assertThat(refused).isInstanceOf(StoreException.class).hasMessageContaining("used up");
      eventually(() -> store.append(ANN, "INBOX", message("after"), Set.of(), null, null).join().stored());

      MailboxInfo after = store.mailbox(ANN, "INBOX").orElseThrow();
      assertThat(after.uidValidity()).isGreaterThan(before.uidValidity());
      assertThat(store.messages(ANN, "INBOX")).extracting(MessageMeta::uid).containsExactly(1L, 2L, 3L);
      assertThat(subjects(store)).containsExactly("Subject: first", "Subject: last", "Subject: after");
      assertThat(store.messages(ANN, "INBOX").get(1).flags()).containsExactly("\\Seen");
      assertThat(after.uidNext()).isEqualTo(4);
    }
  }

  @Test
  void aCopyThatWouldPassTheLastUid_isRefusedAsWell() throws Exception {
    try (RocksMailStore store = TestStores.withUsers(dir, "ann")) {
      store.createMailbox(ANN, "Saved", Set.of());
      store.deliver(List.of(ANN), "INBOX", message("one"), Instant.now()).join();
      store.deliver(List.of(ANN), "INBOX", message("two"), Instant.now()).join();
      MailboxInfo saved = store.mailbox(ANN, "Saved").orElseThrow();
      store.storeAssigned(new AssignedMessage(ANN, "Saved", saved.uidValidity(), LAST - 1, 5, message("old"),
          Set.of(), Instant.now(), null)).join();
      List<Long> both = store.messages(ANN, "INBOX").stream().map(MessageMeta::uid).toList();

      Throwable refused = refusal(() -> store.copy(ANN, "INBOX", both, "Saved", false).join());
      assertThat(refused).isInstanceOf(StoreException.class).hasMessageContaining("used up");
      assertThat(store.messages(ANN, "Saved")).extracting(MessageMeta::uid).as("nothing above the last UID")
          .allSatisfy(uid -> assertThat(uid).isLessThanOrEqualTo(LAST));
      eventually(() -> store.copy(ANN, "INBOX", both, "Saved", false).join().destinationUids().size() == 2);
      assertThat(store.messages(ANN, "Saved")).extracting(MessageMeta::uid).containsExactly(1L, 2L, 3L);
    }
  }
}
