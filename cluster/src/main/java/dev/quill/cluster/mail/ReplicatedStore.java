package dev.quill.cluster.mail;

import dev.quill.cluster.manager.Fence;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.StorageUnavailableException;
import dev.quill.store.StoreException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Stores the copies of one numbered message on several nodes at once and completes when enough of
 * them are durable: all the chosen nodes, or, when some do not answer or refuse, as many others
 * taken in their place as it takes. It completes with the nodes that hold the message durably,
 * which are at least {@code required}, or fails: with a {@link StoreException} saying the write
 * is temporarily impossible when too few nodes could take it, or with the refusal of a store when
 * no node stored it (a quota refusal is an answer, {@code stored == false}, not a failure).
 *
 * <p>A node whose disk is full (or failing) refuses its copy at once, without writing anything, and
 * counts as failed like a node that refused: a spare takes the copy. When every node refused that way
 * the write fails with that node's {@code StorageUnavailableException}, temporary.
 *
 * <p>Every copy carries the same UID and MODSEQ; a node that stored the message and failed to say
 * so only holds one more copy of the same UID, which readers merge.
 *
 * <p>A node that refuses the numbering as a deposed manager's ({@code FencedException}) wrote nothing,
 * and a spare takes its place like for any refusal (it may not have installed the view yet). When no
 * node stored the message the write fails with that refusal, and the caller numbers it again; when
 * some did, it fails as temporary like any write short of copies.
 */
final class ReplicatedStore {
  private final FragmentService fragments;
  private final AssignedMessage message;
  private final Fence fence;
  private final int required;
  private final Deque<String> spares;
  private final Duration timeout;
  private final java.util.function.Consumer<List<String>> onSilent;
  private final CompletableFuture<Outcome> done = new CompletableFuture<>();
  private final List<String> durable = new ArrayList<>();
  private final List<String> failedNodes = new ArrayList<>();
  private final List<String> silent = new ArrayList<>();
  private Throwable refusal;
  /** The latest refusal by a node whose disk is full or failing, and how many nodes refused so. */
  private StorageUnavailableException storageRefusal;
  private int storageRefusals;
  private AppendResult refusedAnswer;
  private int inFlight;

  /** Where a message ended up: the nodes holding it durably (empty when refused), and the store's answer. */
  record Outcome(List<String> nodes, AppendResult result) {}

  /**
   * @param targets the nodes to store on, in the balancer's order
   * @param spares nodes to use, in this order, in place of a target that fails
   * @param required durable copies without which the write fails
   */
  private ReplicatedStore(FragmentService fragments, AssignedMessage message, Fence fence, List<String> spares,
      int required, Duration timeout, java.util.function.Consumer<List<String>> onSilent) {
    this.onSilent = onSilent;
    this.fragments = fragments;
    this.message = message;
    this.fence = fence;
    this.required = required;
    this.spares = new ArrayDeque<>(spares);
    this.timeout = timeout;
  }

  /**
   * @param onSilent told, before the outcome, of the nodes that did not answer in time (timeout,
   *     left): they may still store the message, late
   * @param fence who numbered the message; every node checks it
   */
  static CompletableFuture<Outcome> store(FragmentService fragments, AssignedMessage message, Fence fence,
      List<String> targets, List<String> spares, int required, Duration timeout,
      java.util.function.Consumer<List<String>> onSilent) {
    if (targets.isEmpty()) {
      return CompletableFuture.failedFuture(new StoreException("no node to store " + message.user() + "/"
          + message.mailbox() + " on; try again"));
    }
    ReplicatedStore write = new ReplicatedStore(fragments, message, fence, spares, required, timeout, onSilent);
    synchronized (write) {
      // counted before any starts: a store that fails at once must not see the write as finished
      write.inFlight = targets.size();
      for (String node : targets) {
        write.send(node);
      }
    }
    return write.done;
  }

  private void send(String node) {
    fragments.store(node, message, fence, timeout).whenComplete((r, e) -> finished(node, r, e));
  }

  private synchronized void finished(String node, AppendResult r, Throwable e) {
    inFlight--;
    if (e == null && r.stored()) {
      durable.add(node);
    } else {
      failedNodes.add(node);
      if (e != null && Remote.unreachable(e)) {
        silent.add(node);
      }
      if (e != null) {
        refusal = refusal == null || Remote.unreachable(refusal) ? e : refusal;
        if (Remote.failure(e, "storing") instanceof StorageUnavailableException s) {
          storageRefusal = s;
          storageRefusals++;
        }
      } else {
        refusedAnswer = r;
      }
      // Another node takes the copy this one did not: a spare, unless enough are already durable
      // or will be if the ones still in flight succeed.
      if (durable.size() + inFlight < required && !spares.isEmpty()) {
        inFlight++;
        send(spares.poll());
      }
    }
    if (inFlight > 0 || done.isDone()) {
      return;
    }
    if (!silent.isEmpty()) {
      onSilent.accept(List.copyOf(silent)); // before the caller hears the outcome
    }
    if (durable.size() >= required) {
      done.complete(new Outcome(List.copyOf(durable), new AppendResult(true, message.uidValidity(), message.uid())));
    } else if (durable.isEmpty() && refusedAnswer != null && refusal == null) {
      done.complete(new Outcome(List.of(), refusedAnswer)); // over quota everywhere: an answer
    } else if (durable.isEmpty() && refusal != null && !Remote.unreachable(refusal)) {
      // the store's own refusal, in its words and of its kind (a full disk stays temporary: 452 4.3.1)
      done.completeExceptionally(Remote.failure(refusal, "storing UID " + message.uid() + " of " + message.user()));
    } else if (storageRefusals > 0 && storageRefusals == failedNodes.size()) {
      // every node that did not take a copy refused for its disk: the cluster lacks storage (452 4.3.1)
      done.completeExceptionally(new StorageUnavailableException(storageRefusal.reason(), "UID " + message.uid()
          + " is durable on " + durable.size() + " node(s), " + required + " required, and the disks of "
          + failedNodes + " cannot take it", storageRefusal));
    } else {
      done.completeExceptionally(new StoreException("UID " + message.uid() + " of " + message.user() + "/"
          + message.mailbox() + " is durable on " + durable.size() + " node(s) " + durable + ", " + required
          + " required; not reachable or refused: " + failedNodes + "; try again"));
    }
  }
}
