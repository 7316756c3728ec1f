package dev.quill.security.audit;

import java.time.Duration;

/**
 * Tunables of an {@link AuditLog}.
 *
 * @param maxFileBytes a file is closed and a new one started once it reaches this size (bytes; default 16 MiB)
 * @param queueCapacity events waiting to be written; past it new events are dropped and counted (default 65,536)
 * @param forceInterval written records are forced to disk at most this long after the first unforced one (default 100 ms)
 * @param forceEvery … or as soon as this many records are unforced (default 1,024)
 */
public record AuditOptions(long maxFileBytes, int queueCapacity, Duration forceInterval, int forceEvery) {
  public AuditOptions {
    if (maxFileBytes < 1024) {
      throw new IllegalArgumentException("audit maxFileBytes " + maxFileBytes + " is below the minimum 1024");
    }
    if (queueCapacity < 1 || forceEvery < 1) {
      throw new IllegalArgumentException("audit queueCapacity and forceEvery must be at least 1");
    }
    if (forceInterval.isNegative() || forceInterval.isZero()) {
      throw new IllegalArgumentException("audit forceInterval must be positive");
    }
  }

  /** The defaults: 16 MiB files, 65,536 queued events, forced every 100 ms or 1,024 records. */
  public static AuditOptions defaults() {
    return new AuditOptions(16L << 20, 65_536, Duration.ofMillis(100), 1_024);
  }

  /** These options with files of at most {@code bytes}. */
  public AuditOptions withMaxFileBytes(long bytes) {
    return new AuditOptions(bytes, queueCapacity, forceInterval, forceEvery);
  }

  /** These options with a queue of {@code capacity} events. */
  public AuditOptions withQueueCapacity(int capacity) {
    return new AuditOptions(maxFileBytes, capacity, forceInterval, forceEvery);
  }
}
