package dev.quill.server.node;

import dev.quill.cluster.node.ClusterStatus;
import dev.quill.cluster.node.MemberStats;
import dev.quill.cluster.node.NodeStats;
import dev.quill.cluster.transport.SecurityCounters;
import dev.quill.server.admin.ClusterReport;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Turns the cluster layer's status and the members' counts into the admin channel's {@link ClusterReport}. */
final class ClusterReports {
  private ClusterReports() {}

  /** A node without a cluster port: only its own counts. */
  static ClusterReport standalone(String self, NodeStats local) {
    return new ClusterReport(false, self, null, null, null, 0,
        List.of(new ClusterReport.Node(self, null, null, null, null, counts(local), null, null, null)));
  }

  /** A clustered node's view of every member, with each member's answer to NODE_STATS. */
  static ClusterReport clustered(ClusterStatus status, List<MemberStats> answers) {
    Map<String, MemberStats> byNode = answers.stream()
        .collect(Collectors.toMap(MemberStats::node, Function.identity(), (a, b) -> a));
    List<ClusterReport.Node> nodes = status.members().stream().map(m -> {
      ClusterReport.Counts counts = null;
      String unreachable = null;
      String sync = null;
      ClusterReport.Security security = null;
      switch (byNode.get(m.name())) {
        case MemberStats.Answered a -> {
          counts = counts(a.stats());
          sync = a.stats().sync();
          security = security(a.stats().security());
        }
        case MemberStats.Unreachable u -> unreachable = u.reason();
        case null -> unreachable = "joined after the request was sent";
      }
      return new ClusterReport.Node(m.name(), m.buckets(),
          m.load().map(l -> l.diskQueueDepth()).orElse(null),
          m.load().map(l -> l.cpuLoad()).orElse(null),
          m.loadAge().map(a -> a.toMillis()).orElse(null),
          counts, unreachable, sync, security);
    }).toList();
    return new ClusterReport(true, status.self(), status.clusterName(), status.viewId(), status.coordinator(),
        status.buckets(), nodes);
  }

  private static ClusterReport.Security security(SecurityCounters c) {
    Map<String, Long> dropped = new TreeMap<>();
    c.dropped().forEach((reason, n) -> {
      if (n > 0) {
        dropped.put(reason.name(), n);
      }
    });
    return new ClusterReport.Security(c.enabled(), c.keyId(), c.sealed(), c.opened(), dropped);
  }

  private static ClusterReport.Counts counts(NodeStats s) {
    return new ClusterReport.Counts(s.users(), s.mailboxes(), s.messages(), s.bytes());
  }
}
