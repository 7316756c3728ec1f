package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents;
import java.util.Map;

/**
 * A snapshot of the security layer's counts, for {@code cluster status} and metrics.
 *
 * @param sealed messages this node secured and sent
 * @param opened messages from peers (and this node's loopback) verified and passed up
 * @param dropped refused messages by reason (every reason present, zeros included)
 */
public record SecurityCounters(boolean enabled, long sealed, long opened, Map<SecurityEvents.Reason, Long> dropped) {
  public SecurityCounters {
    dropped = Map.copyOf(dropped);
  }

  /** All refused messages. */
  public long droppedTotal() {
    return dropped.values().stream().mapToLong(Long::longValue).sum();
  }
}
