package dev.quill.server.admin;

import java.util.List;
import java.util.Map;

/**
 * One rebalance as {@code quill cluster rebalance} shows it, assembled by the running node and sent
 * as JSON over the admin channel: where the fragments go, which members move their share, and each
 * one's progress.
 *
 * @param run the rebalance's id
 * @param target the node receiving fragments
 * @param sources the members asked to move their share
 * @param nodes the progress of the sources that answered (empty in the answer to a start)
 * @param unreachable members that did not answer the status request, with the reason
 */
public record RebalanceReport(String run, String target, List<String> sources, List<Node> nodes,
    Map<String, String> unreachable) {

  public RebalanceReport {
    sources = List.copyOf(sources);
    nodes = List.copyOf(nodes);
    unreachable = Map.copyOf(unreachable);
  }

  /**
   * One source's progress.
   *
   * @param state {@code RUNNING} or {@code DONE}
   * @param error the latest failure there, or empty
   */
  public record Node(String name, String state, int fragmentsPlanned, int fragmentsMoved, int fragmentsFailed,
      long messagesPlanned, long messagesMoved, long bytesMoved, String error) {}
}
