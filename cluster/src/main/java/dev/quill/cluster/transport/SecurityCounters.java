package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents;
import java.util.Map;

/**
 * A snapshot of the security layer's counts, for {@code cluster status} and metrics.
 *
 * @param enabled whether the layer runs (all counts are zero when it does not)
 * @param keyId the id of the traffic key this node sends with; 0 when the layer is off
 * @param sealed transport frames (each a bundle of one or more messages) this node sealed and sent
 * @param opened transport frames from peers verified and passed up (a node's loopback is never sealed)
 * @param dropped refused frames and messages by reason (every reason present, zeros included)
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
