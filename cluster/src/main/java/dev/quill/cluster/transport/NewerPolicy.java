package dev.quill.cluster.transport;

/** Told that a verified message carried a policy version above the one this node has installed. */
@FunctionalInterface
public interface NewerPolicy {
  /**
   * Called on a receiving thread of the transport, so it must return at once (start the fetch elsewhere).
   *
   * @param origin the member that sent the message
   * @param version the policy version it was stamped with
   */
  void seen(String origin, long version);
}
