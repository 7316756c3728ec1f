package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a storing process (local delivery, or manager-assigned UIDs) with SIGKILL and checks what the reopened store holds: every copy
 * the store acknowledged as durable is there with its checksum, and nothing is half-written.
 */
class CrashRecoveryTest {
  static final List<String> USERS = List.of("u0@example.org", "u1@example.org", "u2@example.org", "u3@example.org");
  static final int ACKS_BEFORE_KILL = 500;

  @TempDir Path dir;

  private record Ack(String user, long uid, int crc) {}

  @Test
  void sigkill_duringDelivery_everyAcknowledgedMessageSurvivesIntact() throws Exception {
    Path data = dir.resolve("store");
    try (var store = TestStores.open(data)) {
      store.addDomain("example.org");
      USERS.forEach(u -> store.addUser(u, "pw".toCharArray()));
    }
    checkSurvivors(data, runUntilKilled(data, "deliver"));
  }

  /** The same for a node storing manager-allocated UIDs in fragments of users whose profiles are elsewhere. */
  @Test
  void sigkill_duringAssignedUidStores_everyAcknowledgedMessageSurvivesIntact() throws Exception {
    Path data = dir.resolve("store");
    TestStores.open(data).close();
    List<Ack> acks = runUntilKilled(data, "assigned");
    checkSurvivors(data, acks);
    try (var store = TestStores.open(data)) {
      for (UserFragments user : store.fragments(0, 0)) {
        assertThat(user.holdsProfile()).isFalse();
        assertThat(user.fragments()).singleElement().extracting(FragmentSummary::uidValidity).isEqualTo(CrashChild.UIDVALIDITY);
      }
      // A UID acknowledged before the kill stays taken after it.
      Ack first = acks.getFirst();
      var again = new AssignedMessage(first.user, MailStore.INBOX, CrashChild.UIDVALIDITY, first.uid, first.uid,
          new byte[10], null, null, null);
      assertThatThrownBy(() -> store.storeAssigned(again).join()).hasMessageContaining("already stored");
    }
  }

  /** Runs {@link CrashChild} in {@code mode} on {@code data} and SIGKILLs it after enough acknowledgements. */
  private List<Ack> runUntilKilled(Path data, String mode) throws Exception {
    var command = new ArrayList<String>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED",
        "-cp", System.getProperty("java.class.path"),
        CrashChild.class.getName(), data.toString(), mode, "8"));
    command.addAll(USERS);
    Path stderr = dir.resolve("child.err");
    Path stdout = dir.resolve("child.out"); // a file, not a pipe: the kill closes pipes, and lines must survive it
    Process child = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (!Files.readString(stdout).startsWith("READY") && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(Files.readString(stdout)).as("child start; stderr: %s", stderrOf(stderr)).startsWith("READY");
      // While the child holds the store, a second opener must be refused by RocksDB's LOCK file.
      assertThatThrownBy(() -> TestStores.open(data))
          .isInstanceOf(StoreException.class).hasMessageContaining("is in use by another Quill process");
      while (acksIn(stdout).size() < ACKS_BEFORE_KILL && child.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      child.destroyForcibly(); // SIGKILL: no shutdown hooks, no close
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      child.destroyForcibly();
    }
    // Every complete line, including those printed while the kill landed, is an acknowledgement.
    List<Ack> acks = acksIn(stdout);
    assertThat(acks).as("acknowledged stores; child stderr: %s", stderrOf(stderr)).hasSizeGreaterThanOrEqualTo(ACKS_BEFORE_KILL);
    return acks;
  }

  /** Reopens the store: every acknowledged message is there with its checksum, and counters match the messages. */
  private static void checkSurvivors(Path data, List<Ack> acks) throws Exception {
    try (var store = TestStores.open(data)) {
      for (Ack ack : acks) {
        Optional<byte[]> bytes = store.readMessage(ack.user, MailStore.INBOX, ack.uid);
        assertThat(bytes).as("acknowledged %s", ack).isPresent();
        assertThat(RocksMailStore.crc32c(bytes.get())).as("checksum of %s", ack).isEqualTo(ack.crc);
      }
      for (String user : USERS) {
        List<MessageMeta> messages = store.messages(user, MailStore.INBOX);
        for (MessageMeta meta : messages) {
          assertThat(store.readMessage(user, MailStore.INBOX, meta.uid())).isPresent(); // throws if half-written
        }
        MailboxInfo box = store.mailbox(user, MailStore.INBOX).orElseThrow();
        assertThat(box.messageCount()).isEqualTo(messages.size());
        assertThat(box.totalBytes()).isEqualTo(messages.stream().mapToLong(MessageMeta::size).sum());
        if (!messages.isEmpty()) {
          assertThat(box.uidNext()).isGreaterThan(messages.getLast().uid());
        }
      }
      assertThat(store.stats().quarantined()).isZero();
    }
  }

  private static List<Ack> acksIn(Path stdout) throws java.io.IOException {
    String text = Files.readString(stdout);
    var acks = new ArrayList<Ack>();
    for (String line : text.substring(0, text.lastIndexOf('\n') + 1).split("\n")) {
      if (line.startsWith("ACK ")) {
        String[] f = line.split(" ");
        acks.add(new Ack(f[1], Long.parseLong(f[2]), Integer.parseInt(f[3])));
      }
    }
    return acks;
  }

  private static String stderrOf(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
