package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.RpcEndpoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Coalesces this node's UID requests per manager, as group commit coalesces syncs: while one
 * request to a manager is in flight, the next ones wait, and go together as one
 * {@code ALLOCATE_UIDS_BATCH} when it is answered. A lone request goes at once as a plain
 * {@code ALLOCATE_UIDS}, so an idle node pays no extra latency; under load one round trip numbers
 * many deliveries. Each request keeps its own answer (Ok, NotManager, Incomplete, ...), so the
 * caller retries per request as before; a failed batch call fails each of its requests alike.
 */
final class UidBatcher {
  /** Most requests in one batch. */
  static final int MAX_BATCH = 256;

  private final RpcEndpoint rpc;
  /** Per manager: whether a call is in flight, and the requests waiting for it. Guarded by this. */
  private final Map<String, Lane> lanes = new HashMap<>();

  UidBatcher(RpcEndpoint rpc) {
    this.rpc = rpc;
  }

  private static final class Lane {
    boolean busy;
    final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  }

  private record Waiting(UidRequest request, CompletableFuture<Answer<UidGrant>> answer) {}

  /** The manager's answer to {@code request}, sent alone or with others. */
  CompletableFuture<Answer<UidGrant>> allocate(String manager, UidRequest request, Duration timeout) {
    synchronized (this) {
      Lane lane = lanes.computeIfAbsent(manager, m -> new Lane());
      if (lane.busy) {
        Waiting w = new Waiting(request, new CompletableFuture<>());
        lane.waiting.add(w);
        return w.answer();
      }
      lane.busy = true;
    }
    CompletableFuture<Answer<UidGrant>> call = rpc.call(manager, ManagerMessages.ALLOCATE_UIDS, request, timeout);
    call.whenComplete((a, e) -> next(manager, timeout));
    return call;
  }

  /** After a call to {@code manager} ended: sends what waited meanwhile, or marks the lane idle. */
  private void next(String manager, Duration timeout) {
    List<Waiting> batch = new ArrayList<>();
    synchronized (this) {
      Lane lane = lanes.get(manager);
      while (!lane.waiting.isEmpty() && batch.size() < MAX_BATCH) {
        batch.add(lane.waiting.poll());
      }
      if (batch.isEmpty()) {
        lane.busy = false;
        lanes.remove(manager); // a manager that left must not keep an entry
        return;
      }
    }
    List<UidRequest> requests = batch.stream().map(Waiting::request).toList();
    rpc.call(manager, ManagerMessages.ALLOCATE_UIDS_BATCH, requests, timeout).whenComplete((answers, e) -> {
      for (int i = 0; i < batch.size(); i++) {
        CompletableFuture<Answer<UidGrant>> answer = batch.get(i).answer();
        if (e != null) {
          answer.completeExceptionally(e);
        } else if (answers.size() != batch.size()) {
          answer.completeExceptionally(new IllegalStateException(manager + " answered " + answers.size()
              + " of " + batch.size() + " UID requests"));
        } else {
          answer.complete(answers.get(i));
        }
      }
      next(manager, timeout);
    });
  }
}
