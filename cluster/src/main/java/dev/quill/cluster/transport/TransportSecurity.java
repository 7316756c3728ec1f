package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents;
import dev.quill.security.keys.NodeCredential;
import dev.quill.security.keys.TrafficKeys;
import java.util.Objects;
import java.util.Set;

/**
 * Whether and how the cluster transport secures its messages: on with the node's traffic keys, or
 * off (benchmarks comparing the cost, and clusters of one that never talk to anyone).
 */
public sealed interface TransportSecurity {
  /** Off: messages travel in clear and the principal a peer names is believed as it is. */
  record Off() implements TransportSecurity {}

  /**
   * On: every message sealed with the current traffic key and verified on receipt.
   *
   * @param keys the node's live key ring (a rotation replaces it)
   * @param events told of every refused message (the audit hook)
   * @param revoked node names whose messages are refused even under a valid key
   * @param credential the node's credential, with which it takes the current key after missing a
   *     rotation and gives it to members that did ({@link KeyCatchUp}); null: neither
   */
  record On(TrafficKeys keys, SecurityEvents events, Set<String> revoked, NodeCredential credential)
      implements TransportSecurity {
    public On {
      Objects.requireNonNull(keys, "keys");
      Objects.requireNonNull(events, "events");
      revoked = Set.copyOf(revoked);
    }

    public On(TrafficKeys keys, SecurityEvents events, Set<String> revoked) {
      this(keys, events, revoked, null);
    }

    public On(TrafficKeys keys) {
      this(keys, SecurityEvents.NONE, Set.of(), null);
    }
  }

  /** The layer off. */
  static TransportSecurity off() {
    return new Off();
  }
}
