package dev.quill.cluster.transport;

import java.util.List;

/**
 * One membership view as the services see it: node names instead of JGroups addresses.
 *
 * @param id the JGroups view id, {@code creator|sequence}; unique per view
 * @param sequence the view's sequence number; rises with every view the coordinator installs
 * @param members node names, oldest first (JGroups' order; the first is the coordinator)
 * @param coordinator the node that installs the next view
 */
public record ClusterView(String id, long sequence, List<String> members, String coordinator) {
  public ClusterView {
    members = List.copyOf(members);
  }

  public boolean contains(String node) {
    return members.contains(node);
  }

  public int size() {
    return members.size();
  }
}
