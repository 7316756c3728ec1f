package dev.quill.server.admin;

import dev.quill.cluster.mail.RebalanceProgress;
import dev.quill.cluster.mail.RebalanceStatus;
import dev.quill.cluster.mail.Rebalancer;
import dev.quill.cluster.node.MemberStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link RebalanceControl} of a clustered node, over its {@link Rebalancer}. Without a target it picks
 * the member storing the fewest messages by their {@code NODE_STATS} counts; among equals the one
 * that joined last, which is the usual new node.
 */
public final class ClusterRebalance implements RebalanceControl {
  private final Rebalancer rebalancer;
  private final Supplier<List<MemberStats>> memberStats;

  /** @param memberStats every member's counts, in view order (may block for their answers) */
  public ClusterRebalance(Rebalancer rebalancer, Supplier<List<MemberStats>> memberStats) {
    this.rebalancer = rebalancer;
    this.memberStats = memberStats;
  }

  @Override
  public RebalanceReport start(String target) {
    String to = target != null && !target.isBlank() ? target : leastFilled(memberStats.get());
    Rebalancer.Started started = rebalancer.start(to);
    return new RebalanceReport(started.run(), started.target(), started.sources(), List.of(), Map.of());
  }

  @Override
  public RebalanceReport status(String run) {
    RebalanceStatus status = rebalancer.status();
    List<String> sources = new ArrayList<>();
    List<RebalanceReport.Node> nodes = new ArrayList<>();
    String target = "";
    for (RebalanceProgress p : status.of(run)) {
      sources.add(p.node());
      target = p.target();
      nodes.add(new RebalanceReport.Node(p.node(), p.state().name(), p.fragmentsPlanned(), p.fragmentsMoved(),
          p.fragmentsFailed(), p.messagesPlanned(), p.messagesMoved(), p.bytesMoved(), p.error()));
    }
    return new RebalanceReport(run, target, sources, nodes, status.unreachable());
  }

  /** The answering member with the fewest messages; the later in view order among equals. */
  static String leastFilled(List<MemberStats> members) {
    String best = null;
    long fewest = Long.MAX_VALUE;
    for (MemberStats m : members) {
      if (m instanceof MemberStats.Answered a && a.stats().messages() <= fewest) {
        fewest = a.stats().messages();
        best = a.node();
      }
    }
    if (best == null) {
      throw new IllegalArgumentException("no member answered with its counts; name the target with --to");
    }
    return best;
  }
}
