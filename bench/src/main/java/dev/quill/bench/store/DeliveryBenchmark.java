package dev.quill.bench.store;

import dev.quill.store.DeliveryResult;
import dev.quill.store.MailStore;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import dev.quill.store.StoreStats;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable deliveries per second into the RocksDB store: each operation is one
 * {@link MailStore#deliver} of a 4 KiB message to one user, waited for until it is synced.
 *
 * <p>Sixteen threads deliver at once, to users picked uniformly from {@code users}, so the
 * measurement shows what group commit buys: many deliveries share each WAL sync, and throughput
 * grows with concurrency instead of being capped at one delivery per fsync. With
 * {@code users = 1} every delivery contends for the same mailbox lock (UID allocation), which is
 * the worst case for a hot mailbox. The store lives in a fresh directory under {@code java.io.tmpdir}
 * (put it on the disk you want to measure with {@code -Djava.io.tmpdir=...}); at the end of each
 * trial the commit and sync counts are printed, so the commits-per-sync ratio can be read beside
 * the score. Record the machine and disk with the numbers.
 *
 * <p>Run (from the repository root, JDK 25):
 *
 * <pre>
 * ./mvnw -q -pl bench -am package -DskipTests
 * java --enable-native-access=ALL-UNNAMED -cp bench/target/quill-bench.jar org.openjdk.jmh.Main DeliveryBenchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@Threads(16)
public class DeliveryBenchmark {

  /** Size of each message in bytes. */
  @Param("4096")
  int messageBytes;

  /** Number of recipients the deliveries are spread over; 1 is one hot mailbox. */
  @Param({"1", "100"})
  int users;

  private Path dir;
  private RocksMailStore store;
  private byte[] message;
  private List<String> addresses;

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory("quill-delivery-bench");
    // Password hashing is not what is measured: a cheap fixed cost keeps setup fast.
    store = RocksMailStore.open(dir, StoreOptions.defaults().withHashIterations(1_000));
    store.addDomain("bench.example");
    addresses = new ArrayList<>();
    for (int i = 0; i < users; i++) {
      String address = "user" + i + "@bench.example";
      store.addUser(address, "password".toCharArray());
      addresses.add(address);
    }
    message = messageOf(messageBytes);
  }

  @Benchmark
  public List<DeliveryResult> deliver() {
    String user = addresses.get(ThreadLocalRandom.current().nextInt(addresses.size()));
    return store.deliver(List.of(user), MailStore.INBOX, message, null).join();
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    StoreStats stats = store.stats();
    System.out.printf("%nstore: %d commits, %d syncs (%.1f commits per sync), %d messages%n",
        stats.commits(), stats.syncs(), (double) stats.commits() / Math.max(1, stats.syncs()), stats.messagesStored());
    store.close();
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** A plain-text RFC 5322 message of exactly {@code size} bytes with CRLF line endings. */
  private static byte[] messageOf(int size) {
    var text = new StringBuilder("From: load@bench.example\r\nTo: user@bench.example\r\nSubject: bench\r\n\r\n");
    while (text.length() < size) {
      text.append("Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n");
    }
    byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
    return java.util.Arrays.copyOf(bytes, size);
  }
}
