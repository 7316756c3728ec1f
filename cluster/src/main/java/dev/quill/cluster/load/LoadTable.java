package dev.quill.cluster.load;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The latest load report of every node, forgotten once older than {@code maxAge}: a node that
 * stopped reporting (left, hung, partitioned) must not keep attracting or repelling work.
 *
 * <p>Age is measured on this node's monotonic clock from the moment a report <em>arrived</em>, not
 * from the sender's timestamp, so clock skew between machines does not matter.
 */
public final class LoadTable {
  /** Reports older than this are ignored; about four gossip rounds. */
  public static final Duration DEFAULT_MAX_AGE = Duration.ofSeconds(2);

  private record Entry(LoadReport report, long receivedNanos) {}

  private final Map<String, Entry> entries = new ConcurrentHashMap<>();
  private final long maxAgeNanos;
  private final LongSupplier nanoClock;

  public LoadTable() {
    this(DEFAULT_MAX_AGE, System::nanoTime);
  }

  /** @param nanoClock a monotonic clock in nanoseconds (tests pass their own) */
  public LoadTable(Duration maxAge, LongSupplier nanoClock) {
    this.maxAgeNanos = maxAge.toNanos();
    this.nanoClock = nanoClock;
  }

  public void update(LoadReport report) {
    entries.put(report.node(), new Entry(report, nanoClock.getAsLong()));
  }

  /** The node's report if it is fresh. */
  public Optional<LoadReport> get(String node) {
    Entry entry = entries.get(node);
    return entry != null && fresh(entry, nanoClock.getAsLong()) ? Optional.of(entry.report()) : Optional.empty();
  }

  /** How long ago the node's report arrived, if it is fresh. */
  public Optional<Duration> age(String node) {
    Entry entry = entries.get(node);
    long now = nanoClock.getAsLong();
    return entry != null && fresh(entry, now) ? Optional.of(Duration.ofNanos(now - entry.receivedNanos())) : Optional.empty();
  }

  /** Every fresh report, by node name; stale ones are dropped on the way. */
  public Map<String, LoadReport> current() {
    long now = nanoClock.getAsLong();
    entries.values().removeIf(entry -> !fresh(entry, now));
    Map<String, LoadReport> fresh = new TreeMap<>();
    entries.forEach((node, entry) -> fresh.put(node, entry.report()));
    return fresh;
  }

  private boolean fresh(Entry entry, long now) {
    return now - entry.receivedNanos() <= maxAgeNanos;
  }
}
