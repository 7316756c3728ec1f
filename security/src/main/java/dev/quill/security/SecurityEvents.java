package dev.quill.security;

/**
 * Hears of every inter-node message the transport's security layer refused, so that the node can
 * audit it; called on JGroups' receiver threads, so an implementation hands off and never blocks.
 */
@FunctionalInterface
public interface SecurityEvents {
  /** Ignores every event (a node whose audit log is not wired yet). */
  SecurityEvents NONE = (reason, origin, principal) -> { };

  /** Why a message was refused. */
  enum Reason {
    /** No security context at all: a peer with the layer off, or not a Quill node. */
    MISSING,
    /** A context or an inner message that does not parse, or a protocol version this node does not speak. */
    MALFORMED,
    /** A key id this node never had: another cluster, or a key rotated in while this node was away. */
    UNKNOWN_KEY,
    /** A key that was retired (rotation done, or a revoked node's last key). */
    RETIRED_KEY,
    /** The authentication tag failed: the header or payload was changed, or the key is not ours. */
    BAD_TAG,
    /** The origin named in the context is not the sending member. */
    FORGED_ORIGIN,
    /** The principal belongs to another node than the one speaking for it. */
    FORGED_SID,
    /** A unicast for another member, replayed to this one. */
    MISDIRECTED,
    /** A sequence number this node already accepted, or too old to tell. */
    REPLAY,
    /** A member whose node name is on the revocation list. */
    REVOKED,
    /** A key request or grant whose credential this cluster's CA did not issue, or that does not open with it. */
    BAD_CREDENTIAL,
    /**
     * An order only the CA or the security server gives — a key install, retirement or revocation
     * without the CA's signature, a rotation round from a member that is not the security server —
     * from a member that holds the cluster key: refused, nothing changed.
     */
    UNAUTHORIZED_ORDER
  }

  /**
   * One refused message.
   *
   * @param claimedOrigin the node the message says it comes from (unverified), or "?"
   * @param claimedPrincipal the principal it says it speaks for (unverified), or "?"
   */
  void dropped(Reason reason, String claimedOrigin, String claimedPrincipal);
}
