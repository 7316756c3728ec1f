package dev.quill.cluster.rpc;

import dev.quill.security.Sid;
import java.util.Optional;

/**
 * Decides, on the receiving node, whether a remote caller's principal may make a request of a type,
 * before its handler runs: the enforcement point of the cluster's policy ({@link RpcEndpoint#setAccessCheck}).
 */
@FunctionalInterface
public interface AccessCheck {
  /** Lets every request through (a node without a policy, and tests of the layers below). */
  AccessCheck ALLOW_ALL = (from, principal, type) -> Optional.empty();

  /**
   * Why {@code principal}, calling from node {@code from}, may not make a request of {@code type};
   * empty when it may. Must not throw.
   */
  Optional<String> refusal(String from, Sid principal, MessageType<?, ?> type);
}
