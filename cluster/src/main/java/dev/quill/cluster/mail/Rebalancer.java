package dev.quill.cluster.mail;

import dev.quill.cluster.mail.RebalanceCodecs.MoveRequest;
import dev.quill.cluster.manager.ChangeNotices;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.store.MailStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves mailbox fragments onto a node in the background ({@code quill cluster rebalance}), so a
 * newly added node takes its share of the stored mail. One per node: the node an operator asks
 * coordinates ({@link #start}); every other member but the target moves about 1/N of its messages
 * (N members), whole fragments at a time ({@link RebalanceJob}, {@link FragmentMover}); any node
 * gathers everyone's progress ({@link #status}).
 *
 * <p>Nothing acknowledged is lost: a message leaves a node only after its copy is stored on the
 * target, the manager lists the target, and the copies were compared unchanged; clients keep
 * reading and changing the mailbox throughout.
 *
 * <table>
 * <caption>Message types (both version 1; bodies in {@link RebalanceCodecs})</caption>
 * <tr><th>id</th><th>name</th><th>request</th><th>answer</th></tr>
 * <tr><td>220</td><td>REBALANCE_MOVE</td><td>run, target, fraction</td><td>none, at once; the move runs in the
 *     background. Refused while this node still moves for an earlier run, or when it is the target</td></tr>
 * <tr><td>221</td><td>REBALANCE_STATUS</td><td>none</td><td>{@link RebalanceProgress} of the latest run</td></tr>
 * </table>
 */
public final class Rebalancer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Rebalancer.class);
  /** How long {@link #close} waits for a stopping move to finish the fragment it copied. */
  static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

  static final MessageType<MoveRequest, Void> MOVE = new MessageType<>(
      TypeIds.REBALANCE_MOVE, 1, "REBALANCE_MOVE", RebalanceCodecs.MOVE, Codecs.EMPTY);
  static final MessageType<Void, RebalanceProgress> STATUS = new MessageType<>(
      TypeIds.REBALANCE_STATUS, 1, "REBALANCE_STATUS", Codecs.EMPTY, RebalanceCodecs.PROGRESS);

  /** A rebalance that started: its id, the target and the members moving their share. */
  public record Started(String run, String target, List<String> sources) {
    public Started {
      sources = List.copyOf(sources);
    }
  }

  private final String self;
  private final RpcEndpoint rpc;
  private final MailStore store;
  private final FragmentAccess fragments;
  private final FragmentMover mover;
  private final Supplier<List<String>> members;
  private final Duration timeout;
  /** The latest job, running or done; null until asked. Guarded by {@code this}. */
  private RebalanceJob job;
  /** The thread running {@link #job}. Guarded by {@code this}. */
  private Thread worker;
  private boolean closed;

  /**
   * Serves {@code REBALANCE_MOVE} and {@code REBALANCE_STATUS} on {@code rpc}; register before it listens.
   *
   * @param store this node's own store, whose fragments move (not the cluster's)
   * @param notices tells other nodes' sessions to read a mailbox again once messages left here
   * @param members the current view's members
   * @param timeout for each call to another node
   */
  public Rebalancer(String self, RpcEndpoint rpc, MailStore store, FragmentService storing, FragmentAccess fragments,
      ManagerClient managers, ChangeNotices notices, Supplier<List<String>> members, Duration timeout) {
    this.self = self;
    this.rpc = rpc;
    this.store = store;
    this.fragments = fragments;
    this.mover = new FragmentMover(self, store, storing, fragments, managers, notices, timeout);
    this.members = members;
    this.timeout = timeout;
    rpc.register(MOVE, (from, r) -> {
      begin(r);
      return null;
    });
    rpc.register(STATUS, (from, none) -> progress());
  }

  /**
   * Asks every member but {@code target} (this node included) to move about 1/N of its messages
   * to {@code target}, N being the number of members, and returns once each has started; the
   * moves go on in the background.
   *
   * @throws IllegalArgumentException when the target is not a member, or the only one
   * @throws IllegalStateException while an earlier rebalance still runs, or when a member refused
   *     (the others still move their share)
   */
  public Started start(String target) {
    List<String> view = List.copyOf(members.get());
    if (!view.contains(target)) {
      throw new IllegalArgumentException("cannot rebalance to " + target + ": not a member of the cluster ("
          + String.join(", ", view) + ")");
    }
    if (view.size() < 2) {
      throw new IllegalArgumentException("nothing to rebalance: " + target + " is the only member");
    }
    RebalanceStatus now = status();
    for (RebalanceProgress p : now.nodes()) {
      if (p.state() == RebalanceProgress.State.RUNNING) {
        throw new IllegalStateException("a rebalance is still running: " + p.node() + " is moving fragments to "
            + p.target() + " (run " + p.run() + "); wait until it is done");
      }
    }
    String run = self + "-" + System.currentTimeMillis();
    List<String> sources = view.stream().filter(n -> !n.equals(target)).toList();
    MoveRequest request = new MoveRequest(run, target, 1.0 / view.size());
    Map<String, CompletableFuture<Void>> calls = new LinkedHashMap<>();
    sources.forEach(n -> calls.put(n, rpc.call(n, MOVE, request, timeout)));
    List<String> refused = new ArrayList<>();
    calls.forEach((node, call) -> {
      try {
        call.join();
      } catch (CompletionException e) {
        refused.add(node + ": " + (e.getCause() == null ? e : e.getCause()).getMessage());
      }
    });
    log.info("{}: rebalance {} to {} asked of {}{}", self, run, target, sources,
        refused.isEmpty() ? "" : "; refused by " + refused);
    if (!refused.isEmpty()) {
      throw new IllegalStateException("rebalance " + run + " to " + target + " refused by " + String.join("; ", refused)
          + (refused.size() < sources.size() ? " (the other members move their share)" : ""));
    }
    return new Started(run, target, sources);
  }

  /** Every member's progress in its latest rebalance; a member that does not answer is listed as unreachable. */
  public RebalanceStatus status() {
    Map<String, CompletableFuture<RebalanceProgress>> calls = rpc.callAll(STATUS, null, timeout);
    List<RebalanceProgress> answers = new ArrayList<>();
    Map<String, String> unreachable = new LinkedHashMap<>();
    calls.forEach((node, call) -> {
      try {
        answers.add(call.join());
      } catch (CompletionException e) {
        unreachable.put(node, String.valueOf((e.getCause() == null ? e : e.getCause()).getMessage()));
      }
    });
    return new RebalanceStatus(answers, unreachable);
  }

  /** This node's progress in its latest rebalance. */
  public synchronized RebalanceProgress progress() {
    return job == null ? RebalanceProgress.idle(self) : job.progress();
  }

  /**
   * Stops a running move after its current batch and waits (at most {@link #CLOSE_WAIT}) while it
   * moves what it copied, so that a node shutting down leaves no fragment half moved; refuses new moves.
   */
  @Override
  public void close() {
    Thread running;
    mover.close();
    synchronized (this) {
      closed = true;
      if (job != null) {
        job.stop();
      }
      running = worker;
    }
    if (running != null) {
      try {
        if (!running.join(CLOSE_WAIT)) {
          log.warn("{}: rebalance still finishing a fragment after {} s; closing anyway (both copies stay)", self,
              CLOSE_WAIT.toSeconds());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Starts this node's share of a rebalance in the background. */
  private synchronized void begin(MoveRequest r) {
    if (closed) {
      throw new IllegalStateException(self + " is shutting down");
    }
    if (r.target().equals(self)) {
      throw new IllegalArgumentException(self + " is the target of rebalance " + r.run() + "; it moves nothing");
    }
    if (job != null && job.running()) {
      throw new IllegalStateException(self + " is still moving fragments to " + job.target() + " (run " + job.runId()
          + ")");
    }
    job = new RebalanceJob(self, r.run(), r.target(), r.fraction(), store, fragments, mover, members, timeout);
    worker = Thread.ofVirtual().name("quill-rebalance-" + r.run()).start(job);
  }
}
