package dev.quill.cluster.manager;

import dev.quill.cluster.manager.FragmentReport.ReportedFragment;
import dev.quill.cluster.manager.FragmentReport.ReportedUser;
import dev.quill.cluster.manager.ManagerService.Epoch;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.transport.ClusterView;
import dev.quill.cluster.usermap.BucketMove;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.Addresses;
import dev.quill.store.FragmentSummary;
import dev.quill.store.HashRange;
import dev.quill.store.MailStore;
import dev.quill.store.UserFragments;
import dev.quill.store.UserHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Supplier;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of reconstruction: after a view change, scans the store for the buckets whose
 * manager changed (every bucket on the first view) and sends each manager one report of all its
 * buckets. A bucket stays "to report" until its manager accepted a report of it made under the
 * newest view that moved it; failed or stale reports are sent again under the current view, on the
 * next view or after a short backoff, whichever comes first.
 *
 * <p>One virtual thread does all of it, so reports leave in view order and a burst of views
 * collapses into one round under the newest.
 */
final class FragmentReporter implements AutoCloseable {
  /**
   * How long a manager has to acknowledge a report. Short, because a report is idempotent and cheap
   * to send again, while a lost one (a frame that reached a node before its endpoint listened)
   * would hold the bucket incomplete for the whole timeout. Longer than the manager's
   * {@link ManagerService#VIEW_CATCH_UP}, so that a report waiting for the manager's view gets its answer.
   */
  static final Duration REPORT_TIMEOUT = Duration.ofSeconds(3);
  private static final long MIN_BACKOFF_MS = 100;
  private static final long MAX_BACKOFF_MS = 2_000;
  private static final Logger log = LoggerFactory.getLogger(FragmentReporter.class);

  private final String self;
  private final RpcEndpoint rpc;
  private final MailStore store;
  private final int buckets;
  /** The maildrop locks this node's sessions hold or are taking, per normalised user. */
  private final Supplier<Map<String, Long>> maildropLocks;
  /** Buckets to report, each with the sequence of the newest view that moved it; guarded by this. */
  private final Map<Integer, Long> pending = new TreeMap<>();
  private Epoch latest;
  private boolean kicked;
  private boolean closed;
  private final Thread worker;

  FragmentReporter(String self, RpcEndpoint rpc, MailStore store, int buckets,
      Supplier<Map<String, Long>> maildropLocks) {
    this.self = self;
    this.maildropLocks = maildropLocks;
    this.rpc = rpc;
    this.store = store;
    this.buckets = buckets;
    this.worker = Thread.ofVirtual().name("quill-reporter-" + self).start(this::run);
  }

  synchronized void viewChanged(ClusterView view, UserMap before, UserMap after) {
    latest = new Epoch(view, after);
    if (before == null || view.merged()) {
      // a merge: every manager starts its buckets over and waits for everyone's report
      for (int b = 0; b < buckets; b++) {
        pending.put(b, view.sequence());
      }
    } else {
      for (BucketMove move : UserMap.movedBuckets(before, after)) {
        pending.put(move.bucket(), view.sequence());
      }
    }
    kicked = true;
    notifyAll();
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      notifyAll();
    }
    worker.interrupt();
  }

  private void run() {
    long backoff = 0;
    while (true) {
      Epoch epoch;
      Map<Integer, Long> round;
      synchronized (this) {
        try {
          while (!closed && !kicked && (pending.isEmpty() || backoff == 0)) {
            wait();
          }
          if (!closed && !kicked) {
            wait(backoff); // retry after the backoff unless a new view comes first
          }
        } catch (InterruptedException e) {
          return;
        }
        if (closed) {
          return;
        }
        kicked = false;
        epoch = latest;
        round = new TreeMap<>(pending);
      }
      if (round.isEmpty()) {
        backoff = 0;
        continue;
      }
      boolean allAccepted;
      try {
        allAccepted = reportRound(epoch, round);
      } catch (RuntimeException e) {
        log.warn("{}: fragment report in view {} failed: {}", self, epoch.view().id(), e.toString());
        allAccepted = false;
      }
      backoff = allAccepted ? 0 : Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, backoff * 2));
    }
  }

  /** Scans and reports {@code round}'s buckets under {@code epoch}; whether every manager accepted. */
  private boolean reportRound(Epoch epoch, Map<Integer, Long> round) {
    Map<Integer, List<ReportedUser>> held = scan(round.keySet().stream().mapToInt(Integer::intValue).toArray());
    // Read after this view was installed: a lock being taken under the old view is in it (MaildropLeases).
    addLocks(held, round, epoch.map());
    Map<String, List<Integer>> byManager = new TreeMap<>();
    for (int b : round.keySet()) {
      byManager.computeIfAbsent(epoch.map().managerOfBucket(b), m -> new ArrayList<>()).add(b);
    }
    Map<String, CompletableFuture<Answer<Void>>> calls = new TreeMap<>();
    byManager.forEach((manager, list) -> {
      List<ReportedUser> users = new ArrayList<>();
      list.forEach(b -> users.addAll(held.getOrDefault(b, List.of())));
      var report = new FragmentReport(epoch.view().id(), epoch.view().sequence(), buckets, list, users);
      calls.put(manager, rpc.call(manager, ManagerMessages.FRAGMENT_REPORT, report, REPORT_TIMEOUT)
          .exceptionallyCompose(e -> olderManager(e)
              .map(older -> rpc.call(manager, older, report, REPORT_TIMEOUT))
              .orElseGet(() -> CompletableFuture.failedFuture(e))));
    });
    boolean allAccepted = true;
    for (var call : calls.entrySet()) {
      String manager = call.getKey();
      Answer<Void> answer;
      try {
        answer = call.getValue().join();
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (cause instanceof RpcException r && r.code() == RpcException.Code.CLOSED) {
          return false; // shutting down
        }
        log.info("{} --> {}: fragment report in view {} failed, will retry: {}", self, manager, epoch.view().id(),
            cause.getMessage());
        allAccepted = false;
        continue;
      }
      if (answer instanceof Answer.Ok<Void>) {
        accepted(byManager.get(manager), epoch.view().sequence());
      } else {
        log.debug("{} --> {}: fragment report in view {} not taken: {}", self, manager, epoch.view().id(),
            answer.describe());
        allAccepted = false;
      }
    }
    return allAccepted;
  }

  /** Adds the maildrop locks of users in {@code round}'s buckets to what the scan found of them. */
  private void addLocks(Map<Integer, List<ReportedUser>> held, Map<Integer, Long> round, UserMap map) {
    maildropLocks.get().forEach((user, token) -> {
      int bucket = map.bucketOf(user);
      if (!round.containsKey(bucket)) {
        return;
      }
      List<ReportedUser> users = held.computeIfAbsent(bucket, b -> new ArrayList<>());
      OptionalLong lock = OptionalLong.of(token);
      for (int i = 0; i < users.size(); i++) {
        ReportedUser u = users.get(i);
        if (Addresses.normalize(u.user()).equals(user)) {
          users.set(i, new ReportedUser(u.user(), u.holdsProfile(), u.fragments(), lock));
          return;
        }
      }
      users.add(new ReportedUser(user, false, List.of(), lock));
    });
  }

  /**
   * The earlier version to send the report in when a manager of an earlier release refused this one:
   * the newest it serves of 3 (without each fragment's emptiness) and 2 (without the maildrop locks
   * too), so that a cluster can be upgraded one node at a time (what is left out is unknown to that
   * manager until its node is upgraded too). Empty for any other failure.
   */
  private static java.util.Optional<MessageType<FragmentReport, Answer<Void>>> olderManager(Throwable failure) {
    Throwable cause = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (!(cause instanceof RpcException r) || r.code() != RpcException.Code.UNSUPPORTED_VERSION) {
      return java.util.Optional.empty();
    }
    return java.util.stream.Stream.of(ManagerMessages.FRAGMENT_REPORT_V3, ManagerMessages.FRAGMENT_REPORT_V2)
        .filter(type -> r.supportedVersions().contains(type.version())).findFirst();
  }

  /** Forgets buckets a manager accepted, unless a newer view moved them again meanwhile. */
  private synchronized void accepted(List<Integer> reported, long viewSequence) {
    for (int b : reported) {
      Long movedIn = pending.get(b);
      if (movedIn != null && movedIn <= viewSequence) {
        pending.remove(b);
      }
    }
  }

  /**
   * What this store holds of {@code sorted} buckets, by bucket. Runs of adjacent buckets are one
   * range scan (on the first view, all buckets are one scan of the whole index).
   */
  private Map<Integer, List<ReportedUser>> scan(int[] sorted) {
    Map<Integer, List<ReportedUser>> byBucket = new HashMap<>();
    int i = 0;
    while (i < sorted.length) {
      int j = i;
      while (j + 1 < sorted.length && sorted[j + 1] == sorted[j] + 1) {
        j++;
      }
      HashRange first = UserMap.hashRange(sorted[i], buckets);
      HashRange last = UserMap.hashRange(sorted[j], buckets);
      for (UserFragments u : store.fragments(first.from(), last.toExclusive())) {
        byBucket.computeIfAbsent(UserHash.bucketOf(u.hash(), buckets), b -> new ArrayList<>()).add(reported(u));
      }
      i = j + 1;
    }
    return byBucket;
  }

  private static ReportedUser reported(UserFragments u) {
    List<ReportedFragment> fragments = new ArrayList<>(u.fragments().size());
    for (FragmentSummary f : u.fragments()) {
      fragments.add(new ReportedFragment(f.mailbox(), f.uidValidity(), f.highestUid(), f.highestModSeq(),
          f.holders(), f.messageCount() == 0));
    }
    return new ReportedUser(u.user(), u.holdsProfile(), fragments);
  }
}
