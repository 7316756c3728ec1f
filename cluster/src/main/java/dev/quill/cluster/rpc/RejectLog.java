package dev.quill.cluster.rpc;

import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * One WARN line per rejected frame, at most one a second: a peer sending garbage must not flood the
 * log. Lines left out are counted and the count rides on the next line.
 */
final class RejectLog {
  private static final long INTERVAL_NANOS = 1_000_000_000L;

  private final Logger log;
  private final String self;
  private final AtomicLong nextLine = new AtomicLong(System.nanoTime());
  private final AtomicLong suppressed = new AtomicLong();
  private final AtomicLong total = new AtomicLong();

  RejectLog(Logger log, String self) {
    this.log = log;
    this.self = self;
  }

  void reject(String from, String reason) {
    total.incrementAndGet();
    long now = System.nanoTime();
    long next = nextLine.get();
    if (now - next >= 0 && nextLine.compareAndSet(next, now + INTERVAL_NANOS)) {
      long skipped = suppressed.getAndSet(0);
      log.warn("{} <-- {}: rejected frame: {}{}", self, from, reason,
          skipped == 0 ? "" : " (" + skipped + " more rejected since the last line)");
    } else {
      suppressed.incrementAndGet();
    }
  }

  long total() {
    return total.get();
  }
}
