package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents;
import java.util.Map;

/**
 * A snapshot of the security layer's counts, for {@code cluster status} and metrics.
 *
 * @param enabled whether the layer runs (all counts are zero when it does not)
 * @param keyId the id of the traffic key this node sends with; 0 when the layer is off
 * @param sealed messages this node secured and sent
 * @param opened messages from peers (and this node's loopback) verified and passed up
 * @param dropped refused messages by reason (every reason present, zeros included)
 */
public record SecurityCounters(boolean enabled, int keyId, long sealed, long opened,
    Map<SecurityEvents.Reason, Long> dropped) {
  public SecurityCounters {
    dropped = Map.copyOf(dropped);
  }

  /** The counts of a node whose layer is off: every reason present, all zero. */
  public static SecurityCounters off() {
    Map<SecurityEvents.Reason, Long> none = new java.util.EnumMap<>(SecurityEvents.Reason.class);
    for (var r : SecurityEvents.Reason.values()) {
      none.put(r, 0L);
    }
    return new SecurityCounters(false, 0, 0, 0, none);
  }

  /** All refused messages. */
  public long droppedTotal() {
    return dropped.values().stream().mapToLong(Long::longValue).sum();
  }
}
