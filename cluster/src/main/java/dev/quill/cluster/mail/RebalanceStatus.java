package dev.quill.cluster.mail;

import java.util.List;
import java.util.Map;

/**
 * Every member's progress in rebalancing, as one node gathered it ({@code REBALANCE_STATUS}).
 *
 * @param nodes the members that answered, in view order
 * @param unreachable the members that did not answer, with the reason
 */
public record RebalanceStatus(List<RebalanceProgress> nodes, Map<String, String> unreachable) {
  public RebalanceStatus {
    nodes = List.copyOf(nodes);
    unreachable = Map.copyOf(unreachable);
  }

  /** The progress of the nodes taking part in {@code run}. */
  public List<RebalanceProgress> of(String run) {
    return nodes.stream().filter(p -> p.run().equals(run)).toList();
  }
}
