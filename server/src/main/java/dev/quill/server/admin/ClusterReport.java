package dev.quill.server.admin;

import java.util.List;
import java.util.Map;

/**
 * What {@code quill cluster status} shows, as the running node assembled it: its view of the
 * cluster and every member's local counts. Travels as JSON over the admin channel; a field that
 * does not apply is null (a standalone node has no view; an unreachable member has no counts).
 *
 * @param clustered false for a node without a cluster port (standalone)
 * @param self this node's name (its host name when standalone)
 * @param clusterName the cluster name, or null when standalone
 * @param viewId the current view's id, or null when standalone
 * @param coordinator the view's coordinator, or null when standalone
 * @param buckets the user map's bucket count, or 0 when standalone
 * @param nodes one line per member in view order (just this node when standalone)
 */
public record ClusterReport(
    boolean clustered, String self, String clusterName, String viewId, String coordinator, int buckets,
    List<Node> nodes) {

  public ClusterReport {
    nodes = List.copyOf(nodes);
  }

  /**
   * One member.
   *
   * @param name the node name
   * @param buckets buckets it manages (null when standalone)
   * @param diskQueue its last reported disk queue depth (null: no fresh report)
   * @param cpu its last reported CPU load, 0..1, or -1 when its platform does not say (null: no fresh report)
   * @param loadAgeMillis how long ago its report arrived at the node asked (null: no fresh report)
   * @param counts what it stores locally, or null when it did not answer
   * @param unreachable why it did not answer, or null when it did
   * @param sync how far its catch-up and anti-entropy are, or null when it did not answer
   * @param security its transport security counts, or null when it did not answer (or is standalone)
   */
  public record Node(
      String name, Integer buckets, Integer diskQueue, Double cpu, Long loadAgeMillis, Counts counts,
      String unreachable, String sync, Security security) {}

  /**
   * A member's transport security layer since it started.
   *
   * @param enabled whether its messages are sealed (false: {@code security = "off"})
   * @param keyId the traffic key it sends with (0 when off)
   * @param sealed messages it sealed and sent
   * @param opened messages it verified and passed up
   * @param dropped messages it refused, by reason (only reasons with a count above zero)
   */
  public record Security(boolean enabled, int keyId, long sealed, long opened, Map<String, Long> dropped) {
    public Security {
      dropped = dropped == null ? Map.of() : new java.util.TreeMap<>(dropped);
    }

    /** All messages it refused. */
    public long droppedTotal() {
      return dropped.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** A node's local counts. */
  public record Counts(long users, long mailboxes, long messages, long bytes) {}
}
