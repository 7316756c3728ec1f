package dev.quill.cluster.mail;

import dev.quill.cluster.load.LoadReport;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Chooses the node that stores a new message of a mailbox, as Porcupine's delivery does: prefer
 * the nodes that already hold a fragment of that mailbox, so that reading it touches few nodes,
 * but keep at least {@code spread} candidates, so that one busy or slow node does not take all of
 * a mailbox's mail; then take the least loaded candidate.
 *
 * <p>Load is the node's disk queue (commits waiting for the group committer), then its CPU load:
 * delivery cost is dominated by the durable write. A node without a recent load report counts as
 * loaded as the busiest known one, so a silent node is not preferred. CPU counts in steps of 10%.
 * Ties go to the delivering
 * node itself (no network hop), then by name, so every node decides alike.
 */
public final class LoadBalancer {
  /** Porcupine's default spread. */
  public static final int DEFAULT_SPREAD = 2;

  private final int spread;

  public LoadBalancer(int spread) {
    if (spread < 1) {
      throw new IllegalArgumentException("spread must be at least 1, was " + spread);
    }
    this.spread = spread;
  }

  public int spread() {
    return spread;
  }

  /**
   * The storing node.
   *
   * @param holders nodes holding a fragment of the mailbox (any order; dead ones are ignored)
   * @param live the current members
   * @param self the delivering node
   * @param loads the latest load report of a node, if one is recent
   */
  public String choose(Set<String> holders, List<String> live, String self, Function<String, Optional<LoadReport>> loads) {
    if (live.isEmpty()) {
      throw new IllegalArgumentException("no live node to store on");
    }
    Comparator<String> byLoad = byLoad(live, self, loads);
    List<String> candidates = new ArrayList<>();
    for (String node : live) {
      if (holders.contains(node)) {
        candidates.add(node);
      }
    }
    if (candidates.size() < spread) {
      List<String> others = new ArrayList<>(live);
      others.removeAll(candidates);
      others.sort(byLoad);
      for (String node : others) {
        if (candidates.size() >= spread) {
          break;
        }
        candidates.add(node);
      }
    }
    candidates.sort(byLoad);
    return candidates.getFirst();
  }

  private static Comparator<String> byLoad(List<String> live, String self, Function<String, Optional<LoadReport>> loads) {
    int worstQueue = 0;
    double worstCpu = 0;
    for (String node : live) {
      Optional<LoadReport> r = loads.apply(node);
      if (r.isPresent()) {
        worstQueue = Math.max(worstQueue, r.get().diskQueueDepth());
        worstCpu = Math.max(worstCpu, r.get().cpuLoad());
      }
    }
    int unknownQueue = worstQueue;
    double unknownCpu = worstCpu;
    Comparator<String> queue = Comparator.comparingInt(n -> loads.apply(n).map(LoadReport::diskQueueDepth).orElse(unknownQueue));
    // CPU in steps of a tenth: finer differences are noise and would defeat the tie-break towards self
    Comparator<String> cpu = Comparator.comparingLong(n -> Math.round(10 * loads.apply(n).map(r -> Math.max(0, r.cpuLoad())).orElse(unknownCpu)));
    return queue.thenComparing(cpu).thenComparing(n -> !n.equals(self)).thenComparing(Comparator.naturalOrder());
  }
}
