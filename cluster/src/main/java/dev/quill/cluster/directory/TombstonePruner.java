package dev.quill.cluster.directory;

import dev.quill.cluster.clock.HybridClock;
import dev.quill.cluster.clock.Periodic;
import dev.quill.cluster.mail.Remote;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.store.MailStore;
import dev.quill.store.Versioned;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drops tombstones — the stamps kept after a profile, domain or alias was deleted — once nothing can
 * bring the deleted object back.
 *
 * <p>A tombstone is what stops a node that missed a delete from spreading its old live copy again
 * (profile anti-entropy, DIRECTORY_SYNC). So this node drops one only when (1) it is older than the
 * grace period, which covers changes still in flight, and (2) every member it has seen and not
 * forgotten ({@code ClusterNode.membersSeen}: live, presumed down, or left gracefully — any may come
 * back with its data) is in the view and confirms it holds no older live copy of the name
 * (TOMBSTONE_CHECK): it holds the tombstone, a newer stamp, or nothing live. A member that is down
 * blocks pruning until it returns and has taken the delete, or is forgotten ({@code cluster forget}).
 * Members that never held a profile confirm at once: they hold nothing live of it. The store drops
 * the stamp only while it is unchanged and the record still absent ({@link MailStore#pruneTombstone}),
 * so a name re-created meanwhile keeps its stamp.
 *
 * <p>Every node prunes its own tombstones on a timer; a node that has dropped one may get it back
 * from a DIRECTORY_SYNC of a node that has not yet, and drops it again at its next run.
 *
 * <p>Wire: {@link TypeIds#TOMBSTONE_CHECK} version 1, layouts in {@link TombstoneCodecs}.
 */
public final class TombstonePruner {
  private static final Logger log = LoggerFactory.getLogger(TombstonePruner.class);

  static final MessageType<TombstoneCheck, Set<String>> CHECK = new MessageType<>(
      TypeIds.TOMBSTONE_CHECK, 1, "TOMBSTONE_CHECK", TombstoneCodecs.CHECK, TombstoneCodecs.CONFIRMED);

  /**
   * What one run did: tombstones older than the grace period, those dropped, and the members that
   * kept the others (down, not answering, or holding an older live copy; an unmodifiable set).
   */
  public record Result(int due, int pruned, Set<String> blockedBy) {}

  private final String self;
  private final RpcEndpoint endpoint;
  private final MailStore local;
  private final HybridClock clock;
  private final Supplier<? extends Collection<String>> live;
  private final Supplier<? extends Collection<String>> seen;
  private final Duration grace;
  private final Duration timeout;
  private volatile Result last = new Result(0, 0, Set.of());
  private volatile boolean closed;

  /**
   * Registers the TOMBSTONE_CHECK handler on {@code endpoint} (call before it listens).
   *
   * @param live the view's members
   * @param seen every member that must confirm: seen and not forgotten, live or not
   * @param grace how old a tombstone must be before it is dropped
   */
  public TombstonePruner(String self, RpcEndpoint endpoint, MailStore local, HybridClock clock,
      Supplier<? extends Collection<String>> live, Supplier<? extends Collection<String>> seen, Duration grace,
      Duration timeout) {
    this.self = self;
    this.endpoint = endpoint;
    this.local = local;
    this.clock = clock;
    this.live = live;
    this.seen = seen;
    this.grace = grace;
    this.timeout = timeout;
    endpoint.register(CHECK, (from, check) -> confirmHere(check));
  }

  /** Runs {@link #pruneOnce} every {@code interval}, until {@link #close}. */
  public void start(Duration interval) {
    Periodic.start("tombstones-" + self, interval, () -> closed, () -> {
      try {
        pruneOnce();
      } catch (RuntimeException e) {
        log.info("{}: tombstone pruning failed: {}", self, e.getMessage());
      }
    });
  }

  /** Stops the timer. */
  public void close() {
    closed = true;
  }

  /** The last run's result. */
  public Result last() {
    return last;
  }

  /** Drops every tombstone of this node that is due and that every member seen confirms. */
  public Result pruneOnce() {
    long cutoff = HybridClock.millisOf(clock.now()) - grace.toMillis();
    Set<String> members = new TreeSet<>(seen.get());
    Collection<String> view = live.get();
    members.addAll(view);
    members.remove(self);
    Set<String> blocked = new TreeSet<>(members);
    blocked.removeAll(view);
    int due = 0;
    int pruned = 0;
    for (Versioned kind : Versioned.values()) {
      Map<String, Long> tombstones = new TreeMap<>();
      local.versions(kind).forEach((name, stamp) -> {
        if (HybridClock.millisOf(stamp) < cutoff && !holdsLive(kind, name)) {
          tombstones.put(name, stamp);
        }
      });
      due += tombstones.size();
      if (!blocked.isEmpty() || closed) {
        continue; // a member down may hold an older live copy: nothing is dropped
      }
      List<String> names = new ArrayList<>(tombstones.keySet());
      for (int i = 0; i < names.size(); i += TombstoneCodecs.MAX_CHECKED) {
        Map<String, Long> chunk = new LinkedHashMap<>();
        names.subList(i, Math.min(names.size(), i + TombstoneCodecs.MAX_CHECKED))
            .forEach(n -> chunk.put(n, tombstones.get(n)));
        for (String name : confirmedByAll(new TombstoneCheck(kind, chunk), members, blocked)) {
          if (local.pruneTombstone(kind, name, chunk.get(name))) {
            pruned++;
          }
        }
      }
    }
    Result result = new Result(due, pruned, Set.copyOf(blocked));
    last = result;
    if (pruned > 0) {
      log.info("{}: dropped {} of {} tombstones older than {}", self, pruned, due, grace);
    }
    return result;
  }

  /** The names of {@code check} every member confirms; a member that fails is added to {@code blocked}. */
  private Set<String> confirmedByAll(TombstoneCheck check, Set<String> members, Set<String> blocked) {
    Map<String, CompletableFuture<Set<String>>> calls = new TreeMap<>();
    for (String member : members) {
      calls.put(member, endpoint.call(member, CHECK, check, timeout));
    }
    Set<String> confirmed = new HashSet<>(check.stamps().keySet());
    for (var call : calls.entrySet()) {
      try {
        Set<String> answer = Remote.join(call.getValue(), "checking tombstones");
        if (!answer.containsAll(confirmed)) {
          blocked.add(call.getKey()); // it holds an older live copy: anti-entropy brings it the delete
        }
        confirmed.retainAll(answer);
      } catch (RuntimeException e) {
        blocked.add(call.getKey());
        confirmed.clear();
        log.info("{} --> {}: tombstones not checked: {}", self, call.getKey(), e.getMessage());
      }
    }
    return confirmed;
  }

  /** The names of a check this node holds no older live copy of: nothing live, or a stamp at least as new. */
  private Set<String> confirmHere(TombstoneCheck check) {
    Set<String> confirmed = new LinkedHashSet<>();
    check.stamps().forEach((name, stamp) -> {
      if (!holdsLive(check.kind(), name) || local.version(check.kind(), name) >= stamp) {
        confirmed.add(name);
      }
    });
    return confirmed;
  }

  private boolean holdsLive(Versioned kind, String name) {
    return switch (kind) {
      case PROFILE -> local.user(name).isPresent();
      case DOMAIN -> local.hasDomain(name);
      case ALIAS -> local.aliasTarget(name).isPresent();
    };
  }
}
