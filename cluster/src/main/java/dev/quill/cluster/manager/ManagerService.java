package dev.quill.cluster.manager;

import dev.quill.cluster.manager.FragmentReport.ReportedUser;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.transport.ClusterView;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.Addresses;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxEvent;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager role of one node: soft state for the users of the buckets this node manages in the
 * current user map, rebuilt after every view change from the members' {@link FragmentReport}s,
 * and the answers built on it ({@code MAIL_MAP}, {@code ALLOCATE_UIDS}, {@code ALLOCATE_MODSEQ}), the
 * nodes' news of mailboxes created, dropped and renamed, and the forwarding of change notices to the
 * nodes that watch a user ({@link ChangeNotices}). It also runs this node's
 * side of reconstruction ({@link FragmentReporter}): telling the managers what this node holds.
 *
 * <p>Completeness: a bucket that became this node's starts empty and waits for a report from every
 * member; a bucket it kept forgets the departed members and waits for the joined ones. Until every
 * current member has reported a bucket, mail maps of its users say so and UID allocation is refused
 * ({@link Answer.Incomplete}), because an unreported fragment may hold higher UIDs. A report made
 * under another view is ignored ({@link Answer.Stale}); the reporter sends it again under its newer view.
 *
 * <p>Durability: no UID or MODSEQ is given before the user's live profile nodes, and other members
 * up to a majority of the cluster, have made it durable ({@code RESERVE_WATERMARKS}, served here), a
 * block at a time, so that a manager rebuilt while fragment holders are down still continues above
 * every number given (see {@link BucketState}). Without a live profile node, or in a view without a
 * majority, allocation beyond what is reserved is refused ({@link Answer.Unreserved}).
 *
 * <p>See "Managers and reconstruction" in docs/CLUSTER.md.
 */
public final class ManagerService implements AutoCloseable, Fencing {
  /** How long a report made under a view this node has not installed yet waits for it. */
  static final Duration VIEW_CATCH_UP = Duration.ofMillis(1500);

  private static final Logger log = LoggerFactory.getLogger(ManagerService.class);

  /** How long a forwarded change notice may take to reach a watching node before it is given up. */
  static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(5);

  /** How long a node has to make a reservation durable; one synced write, so short. */
  static final Duration RESERVE_TIMEOUT = Duration.ofSeconds(3);

  /** Reservation rounds one allocation may go through (waiting for another's, then its own) before it gives up. */
  private static final int RESERVE_ROUNDS = 4;

  private final String self;
  private final RpcEndpoint rpc;
  private final MailStore store;
  private final int buckets;
  private final Clock clock;
  private final FragmentReporter reporter;
  private final Supplier<Set<String>> seen;
  private final Supplier<Set<String>> presumedDown;
  /** Guards {@link #current} changes and report application, so a report applies to exactly one view. */
  private final Object viewLock = new Object();
  private volatile Epoch current;
  /** What {@link #check} compares a write's {@link Fence} with; changes with {@link #current}. */
  private volatile FenceEpoch fenceEpoch;
  /**
   * Held (read) by a reservation from its manager check until it is durable, and (write) by a view
   * switch: a reservation from a node that is no longer the user's manager is refused once this node
   * has switched, and one taken before is in every report this node makes of the new view. So an
   * old manager cannot make numbers durable that the new one does not hear of.
   */
  private final ReentrantReadWriteLock reservationGate = new ReentrantReadWriteLock();
  private final Map<Integer, BucketState> managed = new ConcurrentHashMap<>();
  /** The highest UIDVALIDITY given to a new mailbox, so that none is ever lower than an earlier one. */
  private final AtomicLong lastUidValidity = new AtomicLong();
  /** Whether all managed buckets of the current view were complete when last checked (to log it once). */
  private boolean allCompleteLogged;
  private long viewInstalledNanos;

  /**
   * Registers the manager's handlers on {@code rpc}; the node tells it of views with {@link #viewChanged}.
   *
   * @param store this node's store: scanned for the buckets to report, and keeping the reservations
   *     managers make here
   * @param buckets the user map's bucket count, the same on every node
   * @param clock gives the seconds of fresh UIDVALIDITY values
   */
  public ManagerService(String node, RpcEndpoint rpc, MailStore store, int buckets, Clock clock) {
    this(node, rpc, store, buckets, clock, Set::of);
  }

  /**
   * As above, with the members this node has had in its view and not forgotten: those of them away
   * (not in the view: down or stopped) when this node takes a bucket are listed as possible holders
   * of its mailboxes until they report, since they never told this manager what they hold.
   */
  public ManagerService(String node, RpcEndpoint rpc, MailStore store, int buckets, Clock clock,
      Supplier<Set<String>> seen) {
    this(node, rpc, store, buckets, clock, seen, Map::of);
  }

  /**
   * As above, with the POP3 maildrop locks this node's sessions hold or are taking, per normalised
   * user ({@link MaildropLeases#held}): its reports carry them to the new managers.
   */
  public ManagerService(String node, RpcEndpoint rpc, MailStore store, int buckets, Clock clock,
      Supplier<Set<String>> seen, Supplier<Map<String, Long>> maildropLocks) {
    this(node, rpc, store, buckets, clock, seen, maildropLocks, Set::of);
  }

  /**
   * As above, with the members presumed down now (left without a graceful leave, not back): with the
   * view's members they are the cluster a majority of which must take every reservation.
   */
  public ManagerService(String node, RpcEndpoint rpc, MailStore store, int buckets, Clock clock,
      Supplier<Set<String>> seen, Supplier<Map<String, Long>> maildropLocks, Supplier<Set<String>> presumedDown) {
    this.seen = seen;
    this.presumedDown = presumedDown;
    this.self = node;
    this.rpc = rpc;
    this.store = store;
    this.buckets = buckets;
    this.clock = clock;
    this.reporter = new FragmentReporter(node, rpc, store, buckets, maildropLocks);
    rpc.register(ManagerMessages.FRAGMENT_REPORT, this::onReport);
    rpc.register(ManagerMessages.FRAGMENT_REPORT_V3, this::onReport); // from nodes of earlier releases
    rpc.register(ManagerMessages.FRAGMENT_REPORT_V2, this::onReport);
    rpc.register(ManagerMessages.MAIL_MAP, (from, user) -> mailMap(user));
    rpc.register(ManagerMessages.ALLOCATE_UIDS, (from, request) -> allocate(request));
    rpc.register(ManagerMessages.FRAGMENT_STORED, (from, stored) -> fragmentStored(stored));
    rpc.register(ManagerMessages.PROFILE_STORED, (from, stored) -> profileStored(stored));
    rpc.register(ManagerMessages.ALLOCATE_MODSEQ, (from, request) -> allocateModSeq(request));
    rpc.register(ManagerMessages.MAILBOX_CREATED, (from, created) -> onManagedUser(created.user(), created.node(),
        (state, user) -> state.mailboxCreated(user, created.mailbox(), created.uidValidity(), created.node())));
    rpc.register(ManagerMessages.FRAGMENT_DROPPED, (from, dropped) -> onManagedUser(dropped.user(), dropped.node(),
        (state, user) -> state.fragmentDropped(user, dropped.mailbox(), dropped.node())));
    rpc.register(ManagerMessages.MAILBOX_RENAMED, (from, renamed) -> onManagedUser(renamed.user(), from,
        (state, user) -> state.mailboxRenamed(user, renamed.from(), renamed.to())));
    rpc.register(ManagerMessages.WATCH, this::watch);
    rpc.register(ManagerMessages.MAILDROP_LOCK, this::maildropLock);
    rpc.register(ManagerMessages.RECENT_CLAIM, (from, claim) -> claimRecent(claim));
    rpc.register(ManagerMessages.CHANGE_NOTICE, this::forward);
    rpc.register(ManagerMessages.RESERVE_WATERMARKS, this::reserveHere);
  }

  /**
   * Installs a new view: adjusts the managed buckets, then reports this node's fragments of the
   * buckets that moved (all of them on the first view) to their managers, in the background.
   *
   * @param before the map of the previous view; null for this node's first view
   */
  public void viewChanged(ClusterView view, UserMap before, UserMap after) {
    if (after.buckets() != buckets) {
      throw new IllegalArgumentException("user map has " + after.buckets() + " buckets, the manager " + buckets);
    }
    int taken = 0;
    int kept = 0;
    synchronized (viewLock) {
      Set<String> departed = new HashSet<>(before == null ? List.of() : before.members());
      departed.removeAll(after.members());
      Set<String> joined = new HashSet<>(after.members());
      if (before != null) {
        joined.removeAll(before.members());
      }
      Set<String> awayNow = away(after);
      for (int b = 0; b < buckets; b++) {
        if (!after.managerOfBucket(b).equals(self)) {
          managed.remove(b);
          continue;
        }
        BucketState state = managed.get(b);
        // After a merge a member may have been out and back without this node seeing it: start over.
        if (before != null && state != null && before.managerOfBucket(b).equals(self) && !view.merged()) {
          state.membersChanged(departed, joined);
          kept++;
        } else {
          managed.put(b, new BucketState(self, b, after.members(), awayNow, presumedDown));
          taken++;
        }
      }
      // Reservations checked under the old view are durable before the switch, hence in the reports made after it.
      FenceEpoch fences = nextFenceEpoch(view, before, after);
      reservationGate.writeLock().lock();
      try {
        current = new Epoch(view, after);
        fenceEpoch = fences;
      } finally {
        reservationGate.writeLock().unlock();
      }
      allCompleteLogged = false;
      viewInstalledNanos = System.nanoTime();
      viewLock.notifyAll();
    }
    log.info("{}: view {}: managing {} buckets ({} new, {} kept)", self, view.id(), taken + kept, taken, kept);
    reporter.viewChanged(view, before, after);
  }

  /** The buckets this node manages in its current view, with how many are complete and how many users they hold. */
  public ManagerStatus status() {
    Epoch epoch = current;
    int complete = 0;
    int users = 0;
    for (BucketState state : managed.values()) {
      complete += state.complete() ? 1 : 0;
      users += state.userCount();
    }
    return new ManagerStatus(epoch == null ? "" : epoch.view().id(), managed.size(), complete, users);
  }

  @Override
  public void close() {
    reporter.close();
  }

  // ---------------------------------------------------------------- renumbering (cluster.mail.Renumberer)

  /** The mailboxes of complete buckets managed here whose fragments disagree on UIDVALIDITY. */
  public List<MailboxConflict> conflicts() {
    Epoch epoch = current;
    if (epoch == null) {
      return List.of();
    }
    List<MailboxConflict> found = new ArrayList<>();
    managed.forEach((bucket, state) -> {
      if (epoch.map().managerOfBucket(bucket).equals(self)) {
        found.addAll(state.conflicts());
      }
    });
    return found;
  }

  /** The user's mail map as {@code MAIL_MAP} answers it here. */
  public Answer<MailMap> mailMapHere(String user) {
    return mailMap(user);
  }

  /**
   * Starts renumbering {@code count} messages of a conflict's odd fragments (see
   * {@link BucketState#beginRenumbering}); empty when this node no longer manages the user or it
   * cannot start now. Every start must be ended with {@link #finishRenumbering}.
   */
  public java.util.Optional<RenumberStart> beginRenumbering(MailboxConflict conflict, int count) {
    Epoch epoch = current;
    BucketState state = epoch == null ? null : managedState(epoch, conflict.user());
    RenumberStart start = state == null ? null : state.beginRenumbering(conflict, count, this::freshUidValidity);
    return java.util.Optional.ofNullable(start).map(s -> s.fenced(fenceOf(epoch)));
  }

  /**
   * The reservation of a renumbering on the reservation's nodes whose fragment needs no renumbering (it has
   * the mailbox's UIDVALIDITY, or there is none yet); null when all took it, else why not.
   */
  public String reserveForRenumbering(MailboxConflict conflict, RenumberStart start, java.util.Collection<String> nodes)
      throws InterruptedException {
    Refusal refusal = reserveOn(nodes, new ReservedWatermarks(conflict.user(), conflict.mailbox(), start.uidValidity(),
        start.reservedUid(), start.reservedModSeq(), java.util.Optional.of(start.holders())));
    return refusal == null ? null : refusal.why();
  }

  /** Ends a renumbering; {@code ok} when every fragment was renumbered and every reservation node took the reservation. */
  public void finishRenumbering(MailboxConflict conflict, RenumberStart start, boolean ok) {
    // The bucket's state, also when a view change moved the user meanwhile: its allocations must not wait forever.
    BucketState state = managed.get(current.map().bucketOf(conflict.user()));
    if (state != null) {
      state.finishRenumbering(conflict, start, ok);
    }
  }

  // ---------------------------------------------------------------- handlers

  private Answer<Void> onReport(String from, FragmentReport report) throws InterruptedException {
    if (report.bucketCount() != buckets) {
      // Not retryable: the nodes are configured differently.
      throw new IllegalArgumentException("report from " + from + " is for " + report.bucketCount()
          + " buckets, " + self + " has " + buckets);
    }
    synchronized (viewLock) {
      // The reporter may have installed the view a moment before this node.
      long deadline = System.nanoTime() + VIEW_CATCH_UP.toNanos();
      while (current == null || current.view().sequence() < report.viewSequence()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        viewLock.wait(Math.max(1, left / 1_000_000));
      }
      Epoch epoch = current;
      if (epoch == null) {
        return new Answer.Stale<>("none");
      }
      if (epoch.view().sequence() != report.viewSequence() || !epoch.view().id().equals(report.viewId())
          || !epoch.view().contains(from)) {
        log.debug("{} <-- {}: report for view {} ignored, this node is in view {}", self, from, report.viewId(),
            epoch.view().id());
        return new Answer.Stale<>(epoch.view().id());
      }
      for (int b : report.buckets()) {
        if (!epoch.map().managerOfBucket(b).equals(self)) {
          return new Answer.NotManager<>(epoch.map().managerOfBucket(b), epoch.view().id());
        }
      }
      Map<Integer, List<ReportedUser>> byBucket = new HashMap<>();
      report.buckets().forEach(b -> byBucket.put(b, new ArrayList<>()));
      for (ReportedUser user : report.users()) {
        List<ReportedUser> list = byBucket.get(epoch.map().bucketOf(user.user()));
        if (list == null) {
          log.warn("{} <-- {}: report lists {} outside its buckets; ignored", self, from, user.user());
        } else {
          list.add(user);
        }
      }
      byBucket.forEach((b, users) -> managed.get(b).apply(from, users));
      log.debug("{} <-- {}: report of {} buckets, {} users in view {}", self, from, byBucket.size(),
          report.users().size(), epoch.view().id());
      logWhenAllComplete(epoch);
      return new Answer.Ok<>(null);
    }
  }

  /** The members seen and not forgotten that are not members of {@code map}'s view. */
  private Set<String> away(UserMap map) {
    Set<String> away = new HashSet<>(seen.get());
    away.removeAll(map.members());
    return away;
  }

  private Answer<MailMap> mailMap(String address) {
    String user = Addresses.normalize(address);
    Epoch epoch = current;
    BucketState state = epoch == null ? null : managedState(epoch, user);
    if (state == null) {
      return notManager(epoch, user);
    }
    return new Answer.Ok<>(state.mailMap(user, away(epoch.map())));
  }

  private Answer<UidGrant> allocate(UidRequest request) throws InterruptedException {
    String user = Addresses.normalize(request.user());
    Answer<UidGrant> answer = reserving(user, state -> state.allocate(user, request.mailbox(), request.count(),
        this::freshUidValidity), UidGrant::fenced);
    if (!(answer instanceof Answer.Ok<UidGrant>) && !(answer instanceof Answer.NotManager<UidGrant>)) {
      log.debug("{}: UIDs for {}/{} refused: {}", self, user, request.mailbox(), answer.describe());
    }
    return answer;
  }

  private Answer<ModSeqGrant> allocateModSeq(ModSeqRequest request) throws InterruptedException {
    String user = Addresses.normalize(request.user());
    return reserving(user, state -> state.allocateModSeq(user, request.mailbox()), ModSeqGrant::fenced);
  }

  /**
   * Runs an allocation on the user's bucket state, making its reservation first when the state asks
   * for one. Runs on the handler's virtual thread, outside the bucket's
   * monitor, so that other users' allocations go on meanwhile; re-reads the view each round. The
   * numbers given carry the fence of the view they were given in ({@code fenced}).
   */
  private <T> Answer<T> reserving(String user, Function<BucketState, BucketState.Step<T>> allocation,
      java.util.function.BiFunction<T, Fence, T> fenced) throws InterruptedException {
    for (int round = 1; ; round++) {
      Epoch epoch = current;
      BucketState state = epoch == null ? null : managedState(epoch, user);
      if (state == null) {
        return notManager(epoch, user);
      }
      switch (allocation.apply(state)) {
        case BucketState.Step.Done<T> done -> {
          return done.answer() instanceof Answer.Ok<T>(T value)
              ? new Answer.Ok<>(fenced.apply(value, fenceOf(epoch))) : done.answer();
        }
        case BucketState.Step.Reserve<T> reserve -> {
          Refusal refusal = new Refusal(null, "interrupted");
          try {
            refusal = reserveOn(reserve.reservation().nodes(), reserve.reservation().request());
          } finally {
            // Always, or the mailbox would wait for this reservation forever.
            state.reserved(reserve.reservation(), refusal == null, refusal == null ? null : refusal.node());
          }
          if (refusal != null) {
            return new Answer.Unreserved<>(refusal.why());
          }
        }
        case BucketState.Step.Wait<T> wait -> {
          try {
            wait.done().get(RESERVE_TIMEOUT.toMillis() * 2, TimeUnit.MILLISECONDS);
          } catch (ExecutionException | TimeoutException e) {
            // The other request's reservation failed or hangs: the next round tries its own, or gives up.
          }
        }
      }
      if (round >= RESERVE_ROUNDS) {
        return new Answer.Unreserved<>(self + " gave up after " + round + " reservation rounds for " + user);
      }
    }
  }

  /** A node that did not take a reservation, and why. */
  private record Refusal(String node, String why) {}

  /** Makes {@code r} durable on {@code nodes} ({@code RESERVE_WATERMARKS}); null when all took it, else who did not. */
  private Refusal reserveOn(java.util.Collection<String> nodes, ReservedWatermarks r) throws InterruptedException {
    Map<String, CompletableFuture<Void>> calls = new TreeMap<>();
    for (String node : nodes) {
      calls.put(node, rpc.call(node, ManagerMessages.RESERVE_WATERMARKS, r, RESERVE_TIMEOUT));
    }
    for (var call : calls.entrySet()) {
      try {
        call.getValue().get();
      } catch (ExecutionException e) {
        log.info("{} --> {}: reservation of {}/{} up to UID {} MODSEQ {} failed: {}", self, call.getKey(), r.user(),
            r.mailbox(), r.uid(), r.modSeq(), e.getCause().getMessage());
        return new Refusal(call.getKey(), call.getKey() + " did not reserve " + r.user() + "/" + r.mailbox() + ": "
            + e.getCause().getMessage());
      }
    }
    return null;
  }

  /**
   * Serves RESERVE_WATERMARKS: answers once the reservation is durable in this node's store. Only
   * the user's manager in this node's view may reserve (see {@link #reservationGate}).
   */
  private Void reserveHere(String from, ReservedWatermarks r) throws Exception {
    String user = Addresses.normalize(r.user());
    reservationGate.readLock().lock();
    try {
      Epoch epoch = current;
      String manager = epoch == null ? "" : epoch.map().managerOf(user);
      if (!manager.equals(from)) {
        throw new IllegalStateException(self + " takes reservations of " + user + " only from its manager in view "
            + (epoch == null ? "none" : epoch.view().id()) + ", " + manager + ", not " + from);
      }
      store.reserveWatermarks(user, r.mailbox(), r.uidValidity(), r.uid(), r.modSeq(), r.holders()).join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof Exception cause ? cause : e;
    } finally {
      reservationGate.readLock().unlock();
    }
    log.debug("{} <-- {}: reserved {}/{} up to UID {} MODSEQ {}", self, from, r.user(), r.mailbox(), r.uid(), r.modSeq());
    return null;
  }

  /** Registers the caller as watching users; all of them must be this node's, else nothing changes. */
  private Answer<Void> watch(String from, WatchRequest request) {
    Epoch epoch = current;
    List<String> users = request.users().stream().map(Addresses::normalize).toList();
    List<BucketState> states = new ArrayList<>(users.size());
    for (String user : users) {
      BucketState state = epoch == null ? null : managedState(epoch, user);
      if (state == null) {
        return notManager(epoch, user);
      }
      states.add(state);
    }
    if (epoch.view().contains(from)) {
      for (int i = 0; i < users.size(); i++) {
        states.get(i).watch(users.get(i), from, request.on());
      }
    }
    return new Answer.Ok<>(null);
  }

  /** Gives or takes back a POP3 maildrop lock of a session on the calling node. */
  private Answer<Boolean> maildropLock(String from, MaildropLockRequest request) {
    String user = Addresses.normalize(request.user());
    Epoch epoch = current;
    BucketState state = epoch == null ? null : managedState(epoch, user);
    if (state == null) {
      return notManager(epoch, user);
    }
    if (!epoch.view().contains(from)) {
      return new Answer.Ok<>(!request.lock()); // not a member here: its locks are forgotten
    }
    return request.lock() ? state.lockMaildrop(user, from, request.token())
        : state.unlockMaildrop(user, from, request.token());
  }

  private Answer<Long> claimRecent(RecentClaim claim) {
    String user = Addresses.normalize(claim.user());
    Epoch epoch = current;
    BucketState state = epoch == null ? null : managedState(epoch, user);
    if (state == null) {
      return notManager(epoch, user);
    }
    return new Answer.Ok<>(state.claimRecent(user, claim.mailbox(), claim.uidValidity(), claim.upTo()));
  }

  /** The nodes whose sessions hold the user's maildrop lock at this manager (for tests); empty if not managed here. */
  List<String> maildropHolders(String address) {
    String user = Addresses.normalize(address);
    Epoch epoch = current;
    BucketState state = epoch == null ? null : managedState(epoch, user);
    return state == null ? List.of() : state.maildropHolders(user);
  }

  /** Forwards a change to every node watching its user but the one that made it; nobody waits for them. */
  private Answer<Void> forward(String from, MailboxEvent event) {
    String user = Addresses.normalize(event.user());
    Epoch epoch = current;
    BucketState state = epoch == null ? null : managedState(epoch, user);
    if (state == null) {
      return notManager(epoch, user);
    }
    for (String node : state.watchers(user)) {
      if (!node.equals(from)) {
        rpc.call(node, ManagerMessages.CHANGED, event, FORWARD_TIMEOUT).whenComplete((ok, failure) -> {
          if (failure != null) {
            log.debug("{} --> {}: CHANGED({} {}) lost: {}", self, node, event.kind(), user, failure.getMessage());
          }
        });
      }
    }
    return new Answer.Ok<>(null);
  }

  /** The nodes watching {@code address} at this manager (for tests and status); empty if not managed here. */
  List<String> watchers(String address) {
    String user = Addresses.normalize(address);
    Epoch epoch = current;
    BucketState state = epoch == null ? null : managedState(epoch, user);
    return state == null ? List.of() : state.watchers(user);
  }

  /** Serves FRAGMENT_STORED: answers once the holder record names the node (see {@link BucketState#fragmentStored}). */
  private Answer<Void> fragmentStored(StoredFragment stored) throws InterruptedException {
    String user = Addresses.normalize(stored.user());
    return reserving(user, state -> {
      Epoch epoch = current;
      return state.fragmentStored(user, stored.mailbox(), stored.node(), epoch.view().contains(stored.node()),
          away(epoch.map()));
    }, (value, fence) -> value);
  }

  private Answer<Void> profileStored(StoredProfile stored) {
    return onManagedUser(stored.user(), stored.node(), (state, user) -> state.profileStored(user, stored.node(), stored.present()));
  }

  /** Applies a node's news about a user this node manages (ignored when the node is not a member). */
  private Answer<Void> onManagedUser(String address, String node, java.util.function.BiConsumer<BucketState, String> change) {
    String user = Addresses.normalize(address);
    Epoch epoch = current;
    BucketState state = epoch == null ? null : managedState(epoch, user);
    if (state == null) {
      return notManager(epoch, user);
    }
    if (epoch.view().contains(node)) {
      change.accept(state, user);
    }
    return new Answer.Ok<>(null);
  }

  /** The bucket state of {@code user} if this node manages it in {@code epoch}, else null. */
  private BucketState managedState(Epoch epoch, String user) {
    int bucket = epoch.map().bucketOf(user);
    return epoch.map().managerOfBucket(bucket).equals(self) ? managed.get(bucket) : null;
  }

  private <T> Answer<T> notManager(Epoch epoch, String user) {
    return epoch == null ? new Answer.NotManager<>("", "none")
        : new Answer.NotManager<>(epoch.map().managerOf(user), epoch.view().id());
  }

  /** Seconds since the epoch, but never below a UIDVALIDITY given before (the clock may step back). */
  private long freshUidValidity() {
    long now = Math.max(1, clock.millis() / 1000);
    return lastUidValidity.accumulateAndGet(now, Math::max);
  }

  /** Logs once per view when every managed bucket is complete: the end of reconstruction here. */
  private void logWhenAllComplete(Epoch epoch) {
    if (allCompleteLogged || !managed.values().stream().allMatch(BucketState::complete)) {
      return;
    }
    allCompleteLogged = true;
    log.info("{}: all {} managed buckets complete in view {} after {} ms", self, managed.size(), epoch.view().id(),
        (System.nanoTime() - viewInstalledNanos) / 1_000_000);
  }

  /** A view and the user map computed from it. */
  record Epoch(ClusterView view, UserMap map) {}

  /**
   * A view as fencing sees it: its sequence, the user map, and per bucket the sequence of the view in
   * which the bucket's current manager took it. In this node's first view that is unknown and taken as
   * 0: a node that just joined must not refuse the numbers of managers that kept their buckets (writes
   * would fail while nodes join); after a merge it is the merge's view, since the two sides' managers
   * numbered independently.
   */
  private record FenceEpoch(long sequence, UserMap map, long[] managerSince) {}

  /**
   * Refuses a write numbered by a deposed manager: one whose numbering manager is not the user's
   * manager in this node's view, or numbered it in a view before it took the user's bucket (it lost
   * and regained the bucket since: another manager numbered in between). A numbering from a view newer
   * than this node's is accepted — this node has not installed that view yet.
   */
  @Override
  public void check(String user, Fence fence) {
    if (fence.none()) {
      return;
    }
    FenceEpoch epoch = fenceEpoch;
    if (epoch == null || fence.viewSequence() > epoch.sequence()) {
      return;
    }
    int bucket = epoch.map().bucketOf(Addresses.normalize(user));
    String manager = epoch.map().managerOfBucket(bucket);
    if (!manager.equals(fence.manager()) || fence.viewSequence() < epoch.managerSince()[bucket]) {
      throw new FencedException(self + " refuses a write for " + user + " numbered by " + fence.manager()
          + " in view " + fence.viewSequence() + ": the user's manager is " + manager + " since view "
          + epoch.managerSince()[bucket] + " (this node is in view " + epoch.sequence() + ")");
    }
  }

  /** Under the reservation gate, as {@link #reserveHere}: a view switch here waits for the write. */
  @Override
  public void durableBeforeViewSwitch(String user, Fence fence, Supplier<CompletableFuture<Void>> write) {
    reservationGate.readLock().lock();
    try {
      check(user, fence);
      write.get().join();
    } finally {
      reservationGate.readLock().unlock();
    }
  }

  private FenceEpoch nextFenceEpoch(ClusterView view, UserMap before, UserMap after) {
    FenceEpoch previous = fenceEpoch;
    long[] since = new long[buckets];
    for (int b = 0; b < buckets; b++) {
      if (view.merged()) {
        since[b] = view.sequence();
      } else if (previous == null || before == null) {
        since[b] = 0;
      } else {
        since[b] = before.managerOfBucket(b).equals(after.managerOfBucket(b)) ? previous.managerSince()[b]
            : view.sequence();
      }
    }
    return new FenceEpoch(view.sequence(), after, since);
  }

  /** The fence of numbers given in {@code epoch}. */
  private Fence fenceOf(Epoch epoch) {
    return new Fence(self, epoch.view().sequence());
  }
}
