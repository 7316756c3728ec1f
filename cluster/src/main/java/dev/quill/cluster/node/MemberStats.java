package dev.quill.cluster.node;

/** One member's answer to a {@code NODE_STATS} request: its counts, or why there are none. */
public sealed interface MemberStats {
  String node();

  /** The member answered in time. */
  record Answered(String node, NodeStats stats) implements MemberStats {}

  /** The member did not answer (timeout, left, refused); {@code reason} is for the operator. */
  record Unreachable(String node, String reason) implements MemberStats {}
}
