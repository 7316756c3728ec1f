package dev.quill.cluster.mail;

import dev.quill.cluster.load.LoadReport;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 *
 * <p>A node is <em>clearly busier</em> than another when its disk queue is longer by more than
 * {@link #QUEUE_MARGIN} or its CPU load higher by more than {@link #CPU_MARGIN}; smaller
 * differences are the noise of loads sampled every half second. The delivering node itself wins
 * whenever it is a candidate and not clearly busier than another candidate: storing here saves a
 * network hop and its CPU on both ends. Otherwise the least loaded candidate that is not clearly
 * busier than another wins. Ties go by an order of the nodes that depends on the decision's key
 * (its user and mailbox, {@link #tieKey}), the same on every node, so every node decides alike and
 * ties spread over the nodes instead of all going to the first by name (which, with idle loads,
 * put most new mailboxes and profile copies on one node); without a key, by name.
 *
 * <p>With replication, a message's R copies go to R distinct candidates chosen one after another
 * by the same rule ({@link #chooseAll}); the candidates are at least R nodes, whatever the spread.
 */
public final class LoadBalancer {
  /** The key of a decision whose ties go by name. */
  public static final long NO_KEY = 0;

  /** Porcupine's default spread. */
  public static final int DEFAULT_SPREAD = 2;
  /** Commits more in the disk queue than the least loaded candidate that still count as "not busier". */
  static final int QUEUE_MARGIN = 8;
  /** CPU load (0..1) more than the least loaded candidate that still counts as "not busier". */
  static final double CPU_MARGIN = 0.25;

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

  /** The tie key of a decision about {@code parts} (a user, a mailbox): the same on every node. */
  public static long tieKey(String... parts) {
    long h = 0x9e37_79b9_7f4a_7c15L;
    for (String part : parts) {
      h = mix(h ^ part.hashCode()) + 1;
    }
    return h == NO_KEY ? 1 : h;
  }

  /** A 64-bit finaliser (SplitMix64's): every input bit moves every output bit. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58_476d_1ce4_e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d0_49bb_1331_11ebL;
    return z ^ (z >>> 31);
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
    return chooseAll(holders, live, self, loads, 1).getFirst();
  }

  /**
   * The {@code count} distinct nodes that store the copies of a new message (fewer when fewer are
   * live), the first being the one {@link #choose} picks; each next one is picked the same way
   * among the candidates left. The candidates are filled up to {@code count} when the spread is
   * smaller, so that replicas never share a node.
   */
  public List<String> chooseAll(Set<String> holders, List<String> live, String self,
      Function<String, Optional<LoadReport>> loads, int count) {
    return chooseAll(holders, live, self, loads, count, NO_KEY);
  }

  /** As {@link #chooseAll(Set, List, String, Function, int)}, ties going by the order {@code key} gives ({@link #tieKey}). */
  public List<String> chooseAll(Set<String> holders, List<String> live, String self,
      Function<String, Optional<LoadReport>> loads, int count, long key) {
    if (live.isEmpty()) {
      throw new IllegalArgumentException("no live node to store on");
    }
    if (count < 1) {
      throw new IllegalArgumentException("count must be at least 1, was " + count);
    }
    Loads known = Loads.of(live, loads);
    List<String> candidates = new ArrayList<>();
    for (String node : live) {
      if (holders.contains(node)) {
        candidates.add(node);
      }
    }
    int wanted = Math.max(spread, count);
    if (candidates.size() < wanted) {
      List<String> others = new ArrayList<>(live);
      others.removeAll(candidates);
      while (candidates.size() < wanted && !others.isEmpty()) {
        String next = known.pick(others, self, key);
        candidates.add(next);
        others.remove(next);
      }
    }
    List<String> chosen = new ArrayList<>(count);
    while (chosen.size() < count && !candidates.isEmpty()) {
      String next = known.pick(candidates, self, key);
      chosen.add(next);
      candidates.remove(next);
    }
    return chosen;
  }

  /**
   * The loads of one decision, each node's report read once, with unknown nodes counted as the
   * busiest known one. Every delivery decides, so this stays free of streams and boxing.
   */
  private record Loads(Map<String, Load> byNode, Load unknown) {
    record Load(int queue, double cpu) {}

    static Loads of(List<String> live, Function<String, Optional<LoadReport>> loads) {
      Map<String, Load> byNode = new HashMap<>(live.size() * 2);
      int worstQueue = 0;
      double worstCpu = 0;
      for (String node : live) {
        Optional<LoadReport> r = loads.apply(node);
        if (r.isPresent()) {
          Load load = new Load(r.get().diskQueueDepth(), Math.max(0, r.get().cpuLoad()));
          byNode.put(node, load);
          worstQueue = Math.max(worstQueue, load.queue());
          worstCpu = Math.max(worstCpu, r.get().cpuLoad());
        }
      }
      return new Loads(byNode, new Load(worstQueue, worstCpu));
    }

    private Load of(String node) {
      return byNode.getOrDefault(node, unknown);
    }

    /**
     * {@code self} when it is among {@code nodes} and not clearly busier than any of them;
     * otherwise the least loaded (queue, CPU in tenths, then the key's order, then name) of those not clearly busier than
     * another, or of all when each is clearly busier than some other (a short queue with a busy
     * CPU against the reverse).
     */
    String pick(List<String> nodes, String self, long key) {
      if (nodes.isEmpty()) {
        throw new java.util.NoSuchElementException("no candidate");
      }
      // Clearly busier than some node = beyond the smallest queue or the lowest CPU by the margin: one pass, not n².
      int leastQueue = Integer.MAX_VALUE;
      double leastCpu = Double.MAX_VALUE;
      for (String node : nodes) {
        Load load = of(node);
        leastQueue = Math.min(leastQueue, load.queue());
        leastCpu = Math.min(leastCpu, load.cpu());
      }
      String best = null;
      Load bestLoad = null;
      boolean bestUnburdened = false;
      for (String node : nodes) {
        Load load = of(node);
        boolean unburdened = load.queue() <= leastQueue + QUEUE_MARGIN && load.cpu() <= leastCpu + CPU_MARGIN;
        if (unburdened && node.equals(self)) {
          return self;
        }
        // an unburdened node beats any burdened one; among equals, the least loaded, then the name
        if (best == null || (unburdened && !bestUnburdened)
            || (unburdened == bestUnburdened && lighter(node, load, best, bestLoad, key))) {
          best = node;
          bestLoad = load;
          bestUnburdened = unburdened;
        }
      }
      return best;
    }

    private static boolean lighter(String node, Load load, String other, Load otherLoad, long key) {
      if (load.queue() != otherLoad.queue()) {
        return load.queue() < otherLoad.queue();
      }
      long tenths = Math.round(10 * load.cpu());
      long otherTenths = Math.round(10 * otherLoad.cpu());
      if (tenths != otherTenths) {
        return tenths < otherTenths;
      }
      if (key != NO_KEY) {
        long rank = mix(key ^ node.hashCode());
        long otherRank = mix(key ^ other.hashCode());
        if (rank != otherRank) {
          return rank < otherRank;
        }
      }
      return node.compareTo(other) < 0;
    }
  }
}
