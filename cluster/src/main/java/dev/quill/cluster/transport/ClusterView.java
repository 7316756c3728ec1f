package dev.quill.cluster.transport;

import java.util.List;

/**
 * One membership view as the services see it: node names instead of JGroups addresses.
 *
 * @param id the JGroups view id, {@code creator|sequence}; unique per view
 * @param sequence the view's sequence number; rises with every view the coordinator installs
 * @param members node names, oldest first (JGroups' order; the first is the coordinator)
 * @param coordinator the node that installs the next view
 * @param merged whether this view merges partitions (JGroups' MergeView): a member may have been
 *     excluded and readmitted without seeing either, so soft state built from the members' reports
 *     is rebuilt from fresh reports of everyone
 */
public record ClusterView(String id, long sequence, List<String> members, String coordinator, boolean merged) {
  public ClusterView {
    members = List.copyOf(members);
  }

  /** A view that merges nothing. */
  public ClusterView(String id, long sequence, List<String> members, String coordinator) {
    this(id, sequence, members, coordinator, false);
  }

  public boolean contains(String node) {
    return members.contains(node);
  }

  public int size() {
    return members.size();
  }
}
