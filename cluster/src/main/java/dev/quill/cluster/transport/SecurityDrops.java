package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents;
import dev.quill.security.SecurityEvents.Reason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node refused, shared by the sealing transport (frames) and the security layer (messages):
 * counted by reason, reported to {@link SecurityEvents}, and logged at most once a minute per reason
 * and sender, so that a flood of bad traffic cannot flood the log.
 */
final class SecurityDrops {
  private static final Logger log = LoggerFactory.getLogger(SecurityDrops.class);
  private static final long WARN_INTERVAL_NANOS = 60_000_000_000L;

  private final String self;
  private final SecurityEvents events;
  private final EnumMap<Reason, LongAdder> counts = new EnumMap<>(Reason.class);
  private final Map<String, Long> lastWarn = new ConcurrentHashMap<>();

  SecurityDrops(String self, SecurityEvents events) {
    this.self = self;
    this.events = events;
    for (Reason r : Reason.values()) {
      counts.put(r, new LongAdder());
    }
  }

  /** Counts, reports and maybe logs one refusal. */
  void drop(Reason reason, String origin, String principal, String detail) {
    counts.get(reason).increment();
    try {
      events.dropped(reason, origin, principal);
    } catch (RuntimeException e) {
      log.error("{}: security event hook failed", self, e);
    }
    String key = reason + "|" + origin;
    long now = System.nanoTime();
    Long last = lastWarn.get(key);
    if (last == null || now - last > WARN_INTERVAL_NANOS) {
      if (lastWarn.size() > 10_000) {
        lastWarn.clear(); // bounded: a flood of distinct senders must not grow the heap
      }
      lastWarn.put(key, now);
      log.warn("{}: dropped cluster traffic ({}) claiming origin {} and principal {}: {}; further drops of this"
          + " kind from this sender are counted, not logged, for a minute", self, reason, origin, principal, detail);
    }
  }

  /** The counts so far, every reason present. */
  Map<Reason, Long> counts() {
    Map<Reason, Long> out = new EnumMap<>(Reason.class);
    counts.forEach((r, n) -> out.put(r, n.sum()));
    return out;
  }
}
