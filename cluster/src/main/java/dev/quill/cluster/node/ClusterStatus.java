package dev.quill.cluster.node;

import dev.quill.cluster.load.LoadReport;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What one node knows about the cluster at one moment: the view, the user map's share per member
 * and the load each member last reported.
 *
 * @param self this node's name
 * @param clusterName the cluster this node belongs to
 * @param viewId the current view's id ({@code creator|sequence})
 * @param coordinator the member that installs the next view
 * @param buckets the user map's bucket count
 * @param members every member, in view order (oldest first)
 */
public record ClusterStatus(
    String self, String clusterName, String viewId, String coordinator, int buckets, List<Member> members) {
  public ClusterStatus {
    members = List.copyOf(members);
  }

  /**
   * One member as this node sees it.
   *
   * @param name the member's node name
   * @param buckets how many user-map buckets it manages
   * @param load its latest load report, empty when none arrived within the load table's max age
   * @param loadAge how long ago that report arrived here (this node's clock)
   */
  public record Member(String name, int buckets, Optional<LoadReport> load, Optional<Duration> loadAge) {}
}
