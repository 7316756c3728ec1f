package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.cluster.load.LoadReport;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Assume;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Porcupine's choice of a storing node: fragment holders first, at least {@code spread} candidates, least loaded. */
class LoadBalancerProperties {

  record Case(List<String> live, Set<String> holders, Map<String, Integer> queues, String self) {}

  @Provide
  Arbitrary<Case> cases() {
    Arbitrary<List<String>> live = Arbitraries.of("n1", "n2", "n3", "n4", "n5", "n6").list().uniqueElements().ofMinSize(1);
    return live.flatMap(members -> Combinators.combine(
            Arbitraries.of("n1", "n2", "n3", "n4", "n5", "n6", "gone").set().ofMaxSize(4),
            Arbitraries.integers().between(0, 20).list().ofSize(members.size()),
            Arbitraries.of(members))
        .as((holders, queues, self) -> {
          Map<String, Integer> q = new HashMap<>();
          for (int i = 0; i < members.size(); i++) {
            q.put(members.get(i), queues.get(i));
          }
          return new Case(members, holders, q, self);
        }));
  }

  private static Optional<LoadReport> load(Case c, String node) {
    Integer q = c.queues().get(node);
    return q == null ? Optional.empty() : Optional.of(new LoadReport(node, q, 0.5, 0));
  }

  @Property
  void choosesALiveNode_fromTheHoldersWhenAtLeastSpreadAreAlive(@ForAll("cases") Case c, @ForAll @IntRange(min = 1, max = 4) int spread) {
    String chosen = new LoadBalancer(spread).choose(c.holders(), c.live(), c.self(), n -> load(c, n));
    assertThat(c.live()).contains(chosen);
    Set<String> liveHolders = new HashSet<>(c.holders());
    liveHolders.retainAll(c.live());
    if (liveHolders.size() >= spread) {
      assertThat(liveHolders).as("enough holders: the mailbox does not spread further").contains(chosen);
    }
  }

  @Property
  void replicasGoToDistinctLiveNodes_holdersFirst(@ForAll("cases") Case c,
      @ForAll @IntRange(min = 1, max = 4) int spread, @ForAll @IntRange(min = 1, max = 5) int copies) {
    LoadBalancer balancer = new LoadBalancer(spread);
    List<String> chosen = balancer.chooseAll(c.holders(), c.live(), c.self(), n -> load(c, n), copies);
    assertThat(chosen).doesNotHaveDuplicates().hasSize(Math.min(copies, c.live().size()));
    assertThat(c.live()).containsAll(chosen);
    if (copies <= spread) {
      // the same candidates as for one copy, so the same first choice (with more copies than the
      // spread, the candidates widen and any of them may come first: all get a copy anyway)
      assertThat(chosen.getFirst()).isEqualTo(balancer.choose(c.holders(), c.live(), c.self(), n -> load(c, n)));
    }
    Set<String> liveHolders = new HashSet<>(c.holders());
    liveHolders.retainAll(c.live());
    if (liveHolders.size() >= Math.max(spread, copies)) {
      assertThat(liveHolders).as("enough holders: the replicas stay on them").containsAll(chosen);
    }
  }

  @Property
  void neverChoosesANodeBusierThanAnotherCandidate(@ForAll("cases") Case c, @ForAll @IntRange(min = 1, max = 4) int spread) {
    String chosen = new LoadBalancer(spread).choose(c.holders(), c.live(), c.self(), n -> load(c, n));
    Set<String> liveHolders = new HashSet<>(c.holders());
    liveHolders.retainAll(c.live());
    // Only the delivering node itself may be a little busier (it saves a network hop).
    int allowance = chosen.equals(c.self()) ? LoadBalancer.QUEUE_MARGIN : 0;
    for (String holder : liveHolders) {
      assertThat(c.queues().get(chosen)).as("chosen %s vs holder %s", chosen, holder)
          .isLessThanOrEqualTo(c.queues().get(holder) + allowance);
    }
  }

  @Property
  void theDeliveringNodeWins_whenItHoldsTheMailboxAndIsNotClearlyBusier(@ForAll("cases") Case c) {
    Set<String> liveHolders = new HashSet<>(c.holders());
    liveHolders.retainAll(c.live());
    Assume.that(liveHolders.contains(c.self()) && liveHolders.size() >= 2);
    int least = liveHolders.stream().mapToInt(n -> c.queues().get(n)).min().orElseThrow();
    String chosen = new LoadBalancer(2).choose(c.holders(), c.live(), c.self(), n -> load(c, n));
    if (c.queues().get(c.self()) <= least + LoadBalancer.QUEUE_MARGIN) {
      assertThat(chosen).isEqualTo(c.self());
    } else {
      assertThat(c.queues().get(chosen)).isLessThan(c.queues().get(c.self()) - LoadBalancer.QUEUE_MARGIN);
    }
  }

  @Property
  void everyNodeDecidesAlike_exceptForItsOwnTieBreak(@ForAll("cases") Case c) {
    LoadBalancer lb = new LoadBalancer(2);
    Map<String, Integer> distinct = new HashMap<>();
    for (int i = 0; i < c.live().size(); i++) {
      // all loads differ by more than the margin: no near-tie, so the caller must not matter
      distinct.put(c.live().get(i), i * (LoadBalancer.QUEUE_MARGIN + 1));
    }
    Case unique = new Case(c.live(), c.holders(), distinct, c.self());
    String first = lb.choose(c.holders(), c.live(), c.live().getFirst(), n -> load(unique, n));
    for (String self : c.live()) {
      assertThat(lb.choose(c.holders(), c.live(), self, n -> load(unique, n))).isEqualTo(first);
    }
  }

  /**
   * The rule of the class comment, written the plain way (every load looked up at every comparison):
   * the balancer's one-pass choice must agree with it for any loads, CPU included.
   */
  @Property
  void choosesWhatThePlainRuleChooses(@ForAll("cases") Case c, @ForAll @IntRange(min = 0, max = 10) int cpuSeed,
      @ForAll @IntRange(min = 1, max = 3) int spread) {
    Map<String, LoadReport> reports = new HashMap<>();
    for (String node : c.live()) {
      if ((node.hashCode() + cpuSeed) % 4 != 0) {   // some nodes have no report
        double cpu = ((node.hashCode() * 31 + cpuSeed) & 0xff) / 255.0;
        reports.put(node, new LoadReport(node, c.queues().get(node), cpu, 0));
      }
    }
    java.util.function.Function<String, Optional<LoadReport>> loads = n -> Optional.ofNullable(reports.get(n));
    String chosen = new LoadBalancer(spread).choose(c.holders(), c.live(), c.self(), loads);

    int worstQueue = reports.values().stream().mapToInt(LoadReport::diskQueueDepth).max().orElse(0);
    double worstCpu = Math.max(0, reports.values().stream().mapToDouble(LoadReport::cpuLoad).max().orElse(0));
    java.util.function.ToIntFunction<String> queue = n -> loads.apply(n).map(LoadReport::diskQueueDepth).orElse(worstQueue);
    java.util.function.ToDoubleFunction<String> cpu = n -> loads.apply(n).map(r -> Math.max(0, r.cpuLoad())).orElse(worstCpu);
    java.util.function.Function<List<String>, String> plainPick = nodes -> {
      int leastQueue = nodes.stream().mapToInt(queue).min().orElseThrow();
      double leastCpu = nodes.stream().mapToDouble(cpu).min().orElseThrow();
      List<String> calm = nodes.stream().filter(n -> queue.applyAsInt(n) <= leastQueue + LoadBalancer.QUEUE_MARGIN
          && cpu.applyAsDouble(n) <= leastCpu + LoadBalancer.CPU_MARGIN).toList();
      if (calm.contains(c.self())) {
        return c.self();
      }
      return (calm.isEmpty() ? nodes : calm).stream().min(java.util.Comparator.<String>comparingInt(queue)
          .thenComparingLong(n -> Math.round(10 * cpu.applyAsDouble(n))).thenComparing(java.util.Comparator.naturalOrder()))
          .orElseThrow();
    };
    List<String> candidates = new java.util.ArrayList<>(c.live().stream().filter(c.holders()::contains).toList());
    List<String> others = new java.util.ArrayList<>(c.live());
    others.removeAll(candidates);
    while (candidates.size() < spread && !others.isEmpty()) {
      String next = plainPick.apply(others);
      candidates.add(next);
      others.remove(next);
    }
    assertThat(chosen).isEqualTo(plainPick.apply(candidates));
  }

  @Example
  void equalLoads_preferSelf_andASilentNodeIsNotPreferred() {
    LoadBalancer lb = new LoadBalancer(2);
    Map<String, LoadReport> loads = Map.of(
        "n1", new LoadReport("n1", 3, 0.2, 0), "n2", new LoadReport("n2", 3, 0.2, 0), "n3", new LoadReport("n3", 9, 0.9, 0));
    assertThat(lb.choose(Set.of("n1", "n2"), List.of("n1", "n2", "n3"), "n2", n -> Optional.ofNullable(loads.get(n))))
        .isEqualTo("n2");
    assertThat(lb.choose(Set.of(), List.of("n1", "n2", "n3", "n4"), "n4", n -> Optional.ofNullable(loads.get(n))))
        .as("n4 has no report: counted as busy as n3").isIn("n1", "n2");
    assertThat(lb.choose(Set.of("n3"), List.of("n1", "n3"), "n1", n -> Optional.ofNullable(loads.get(n))))
        .as("one holder, spread 2: the idle non-holder is a candidate too").isEqualTo("n1");
    Map<String, LoadReport> hog = Map.of(
        "n1", new LoadReport("n1", 0, 1.0, 0), "n2", new LoadReport("n2", 0, 0.3, 0), "n3", new LoadReport("n3", 0, 0.3, 0));
    assertThat(lb.choose(Set.of("n1", "n2"), List.of("n1", "n2", "n3"), "n1", n -> Optional.ofNullable(hog.get(n))))
        .as("a node whose CPU is clearly busier gives its mail away").isEqualTo("n2");
  }

  /**
   * Equal loads and no holder (a new mailbox, a profile's new copy) chosen by a node that is not a
   * candidate: with a key the ties spread over the nodes, each caller deciding alike; without one
   * they all went to the first by name.
   */
  @Example
  void equalLoads_withAKey_spreadTheTies_andEveryCallerDecidesAlike() {
    LoadBalancer lb = new LoadBalancer(2);
    List<String> candidates = List.of("n1", "n2", "n3");
    java.util.function.Function<String, Optional<LoadReport>> idle = n -> Optional.of(new LoadReport(n, 0, 0.0, 0));
    Map<String, Integer> firsts = new java.util.TreeMap<>();
    for (int i = 0; i < 3_000; i++) {
      long key = LoadBalancer.tieKey("user" + i + "@example.org", "INBOX");
      List<String> chosen = lb.chooseAll(Set.of(), candidates, "n4", idle, 2, key);
      assertThat(lb.chooseAll(Set.of(), candidates, "n5", idle, 2, key)).isEqualTo(chosen);
      firsts.merge(chosen.getFirst(), 1, Integer::sum);
    }
    assertThat(firsts).as("first choices over 3,000 mailboxes").containsOnlyKeys(candidates)
        .allSatisfy((node, count) -> assertThat(count).isBetween(800, 1_200));
    assertThat(lb.chooseAll(Set.of(), candidates, "n4", idle, 1)).as("no key: by name").containsExactly("n1");
  }
}
