package dev.quill.cluster.mail;

import dev.quill.cluster.manager.MailMap;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.ModSeqGrant;
import dev.quill.store.AssignedMessage;
import dev.quill.store.FlagUpdate;
import dev.quill.store.FragmentSummary;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import dev.quill.store.UserFragments;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Catch-up of this node's copies of replicated messages after it was away (a restart, a crash, a
 * partition): for each mailbox fragment here, the other live holders are asked for their listing
 * and their expunge log, and this node applies what it missed — a message expunged on another
 * holder is expunged here, and flags another holder changed under a later MODSEQ replace the ones
 * here. It only pulls: every node that returns runs it for itself, and every node runs it when a
 * member it had counted as down returns (the returning one may hold changes made on its side of a
 * partition).
 *
 * <p>Changes made here are numbered by the user's manager like any client change, so sessions see
 * them as changes (and CONDSTORE clients under a new MODSEQ); the copies then agree on flags and
 * contents. A holder that does not answer is skipped; the next sync (next view change) tries again.
 *
 * <p>Anti-entropy ({@link #startSweeps}): on a timer, the same comparison of every fragment, throttled,
 * which also copies each message that fewer than R live nodes hold (a write refused with 451 after
 * some copies were made, a copy lost) — but not in a mailbox one of whose holders is presumed down:
 * its copies there still count, and copying them elsewhere would leave R + 1 when it returns. Its
 * progress shows in {@code cluster status} ({@link #progress}).
 */
public final class ReplicaSync {
  private static final Logger log = LoggerFactory.getLogger(ReplicaSync.class);
  /** How long to wait for a user's mail map to be complete (the managers rebuild it after a view change). */
  private static final Duration MAP_WAIT = Duration.ofSeconds(30);
  /** Pause before syncing again the fragments whose sync failed. */
  private static final Duration RETRY_PAUSE = Duration.ofSeconds(2);
  /** Pause between two fragments of a background sweep: at most 200 fragments a second, so serving comes first. */
  private static final Duration SWEEP_PAUSE = Duration.ofMillis(5);

  private final String self;
  private final MailStore local;
  private final FragmentAccess fragments;
  private final ManagerClient managers;
  private final Supplier<List<String>> members;
  private final Duration timeout;
  private final AtomicBoolean catchingUp;
  private final AtomicBoolean replicate = new AtomicBoolean();
  private final AtomicBoolean sweep = new AtomicBoolean();
  /** The run going on: what it does, fragments to compare and compared so far; null when none. */
  private volatile String runKind;
  private volatile Supplier<Set<String>> presumedDown = Set::of;
  private volatile int runTotal;
  private volatile int runDone;
  /** Fragments ("user\0mailbox") whose last sync failed: not read here until one succeeds. */
  private final Set<String> unsynced = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private final FragmentService storing;
  private final int replicas;
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicBoolean again = new AtomicBoolean();
  private final AtomicLong runs = new AtomicLong();
  private volatile Result last = new Result(0, 0, 0, 0);
  private volatile boolean closed;

  /** What one run did: fragments compared, messages expunged here, messages whose flags were replaced, fragments skipped. */
  public record Result(int fragments, int expunged, int flagsReplaced, int skipped, int copied) {
    Result(int fragments, int expunged, int flagsReplaced, int skipped) {
      this(fragments, expunged, flagsReplaced, skipped, 0);
    }

    Result plus(Result o) {
      return new Result(fragments + o.fragments, expunged + o.expunged, flagsReplaced + o.flagsReplaced,
          skipped + o.skipped, copied + o.copied);
    }
  }

  /**
   * @param local this node's own store
   * @param members the current view's members
   * @param catchingUp set while this node catches up after being away, so that readers here and on
   *     other nodes use the other copies meanwhile ({@link FragmentAccess}, {@link ClusterMailStore})
   * @param storing stores the copies of re-replication ({@link #requestReplicate})
   * @param replicas R: copies each message should have
   */
  public ReplicaSync(String self, MailStore local, FragmentAccess fragments, FragmentService storing,
      ManagerClient managers, Supplier<List<String>> members, Duration timeout, AtomicBoolean catchingUp, int replicas) {
    this.storing = storing;
    this.replicas = replicas;
    this.catchingUp = catchingUp;
    this.self = self;
    this.local = local;
    this.fragments = fragments;
    this.managers = managers;
    this.members = members;
    this.timeout = timeout;
  }

  /**
   * This node has come (back) into a cluster with others: until a sync of every fragment here has
   * finished, its copies are not read, by this node or others (they may hold messages expunged
   * meanwhile); then they are.
   */
  public void requestCatchUp() {
    catchingUp.set(true);
    requestSyncAll();
  }

  /**
   * A member was given up for good ({@code cluster forget}): a sync of every fragment that also
   * copies each message with fewer than R copies on the live members to another one. Each message
   * is copied by the live holder whose name sorts first, so holders do not copy it twice.
   */
  public void requestReplicate() {
    replicate.set(true);
    requestSyncAll();
  }

  /**
   * Starts a sync of every fragment in the background on a virtual thread, or, when one is running,
   * one more after it (a view change during a sync may have brought back another holder).
   */
  public void requestSyncAll() {
    again.set(true);
    if (!closed && running.compareAndSet(false, true)) {
      Thread.ofVirtual().name("quill-catch-up-" + self).start(this::drain);
    }
  }

  /**
   * Whether this node's copy of a mailbox may lack changes it missed: while it catches up after
   * coming back, and afterwards for a fragment whose sync failed (the user's manager or profile node
   * unreachable, say) until a retry succeeds. Readers use the other copies meanwhile.
   */
  public boolean unreadable(String user, String mailbox) {
    return catchingUp.get() || (!unsynced.isEmpty() && unsynced.contains(key(user, mailbox)));
  }

  private static String key(String user, String mailbox) {
    return user + "\0" + mailbox;
  }

  private void drain() {
    try {
      while (!closed) {
        if (!again.getAndSet(false)) {
          if (unsynced.isEmpty()) {
            break;
          }
          retryUnsynced();
          continue;
        }
        boolean guarded = catchingUp.get();
        boolean copying = replicate.getAndSet(false);
        boolean sweeping = sweep.getAndSet(false);
        runKind = guarded ? "catching up" : copying ? "re-replicating" : sweeping ? "anti-entropy" : "syncing";
        Result r;
        try {
          r = syncAll(() -> closed, copying || sweeping, sweeping && !copying, sweeping && !guarded);
        } finally {
          runKind = null;
        }
        if (guarded) {
          catchingUp.set(false); // a catch-up asked for during this run sets it again, with a run after
        }
        last = r;
        runs.incrementAndGet();
        log.info("event=catch-up-done node={} fragments={} expunged={} flags={} skipped={} copied={}", self,
            r.fragments(), r.expunged(), r.flagsReplaced(), r.skipped(), r.copied());
      }
    } finally {
      running.set(false);
    }
    if (again.get() && !closed) {
      requestSyncAll(); // asked for between the last check and the end of the loop
    }
  }

  /** After a pause, syncs again each fragment whose sync failed; those that succeed become readable. */
  private void retryUnsynced() {
    try {
      Thread.sleep(RETRY_PAUSE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    for (String k : List.copyOf(unsynced)) {
      if (closed || again.get()) {
        return; // a full run comes first
      }
      int cut = k.indexOf('\0');
      try {
        sync(k.substring(0, cut), k.substring(cut + 1), false, false);
        unsynced.remove(k);
        log.info("event=catch-up-retried node={} user={} mailbox={}", self, k.substring(0, cut), k.substring(cut + 1));
      } catch (RuntimeException e) {
        log.debug("{}: catch-up of {} failed again: {}", self, k.replace('\0', '/'), e.getMessage());
      }
    }
  }

  /** Background syncs finished since start, and what the latest one did (for status and tests). */
  public long completedRuns() {
    return runs.get();
  }

  public Result lastResult() {
    return last;
  }

  /** Stops the background sync between fragments, and the sweeps. */
  public void close() {
    closed = true;
  }

  /**
   * Starts anti-entropy: every {@code interval}, a throttled sweep of every fragment that also copies
   * under-replicated messages (see the class comment); a zero interval starts nothing.
   *
   * @param presumedDown members that vanished without a graceful leave: while there is one, a sweep
   *     copies nothing (the down node may hold the copies the live ones lack)
   */
  public void startSweeps(Duration interval, Supplier<Set<String>> presumedDown) {
    this.presumedDown = presumedDown;
    if (interval.isZero() || interval.isNegative()) {
      return;
    }
    Thread.ofVirtual().name("quill-anti-entropy-" + self).start(() -> {
      while (!closed) {
        try {
          Thread.sleep(interval);
        } catch (InterruptedException e) {
          return;
        }
        sweep.set(true);
        requestSyncAll();
      }
    });
  }

  /** What the node is doing with its copies, for {@code cluster status}: "idle", "catching up 40/300 fragments", ... */
  public String progress() {
    String kind = runKind;
    if (kind != null) {
      return kind + " " + runDone + "/" + runTotal + " fragments";
    }
    int waiting = unsynced.size();
    return waiting > 0 ? waiting + " fragment(s) to sync again" : "idle";
  }

  /** Compares every fragment here that holds messages; stops early when {@code stop} says so. */
  public Result syncAll(BooleanSupplier stop) {
    return syncAll(stop, false);
  }

  /** {@link #syncAll(BooleanSupplier)}, also copying under-replicated messages when {@code copying}. */
  Result syncAll(BooleanSupplier stop, boolean copying) {
    return syncAll(stop, copying, false, false);
  }

  /**
   * @param conservative copy only in mailboxes none of whose holders is presumed down (a sweep)
   * @param throttled pause between fragments (a sweep, not a catch-up that keeps copies unread)
   */
  private Result syncAll(BooleanSupplier stop, boolean copying, boolean conservative, boolean throttled) {
    List<String[]> work = new ArrayList<>();
    for (UserFragments user : local.fragments(0, 0)) {
      for (FragmentSummary f : user.fragments()) {
        if (f.messageCount() > 0) {
          work.add(new String[] {user.user(), f.mailbox()});
        }
      }
    }
    runTotal = work.size();
    runDone = 0;
    Result total = new Result(0, 0, 0, 0);
    for (String[] fragment : work) {
      if (stop.getAsBoolean()) {
        return total;
      }
      String user = fragment[0];
      String box = fragment[1];
      try {
        total = total.plus(sync(user, box, copying, conservative));
        unsynced.remove(key(user, box));
      } catch (RuntimeException e) {
        unsynced.add(key(user, box));
        log.warn("{}: catch-up of {}/{} failed: {}; not read here until a retry (every {} ms) succeeds", self,
            user, box, e.getMessage(), RETRY_PAUSE.toMillis());
        total = total.plus(new Result(0, 0, 0, 1));
      }
      runDone++;
      if (throttled) {
        try {
          Thread.sleep(SWEEP_PAUSE);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return total;
        }
      }
    }
    return total;
  }

  /** Compares this node's fragment of {@code user}/{@code box} with the other live holders and applies what it missed. */
  public Result sync(String user, String box) {
    Result r = sync(user, box, false, false);
    unsynced.remove(key(user, box));
    return r;
  }

  private Result sync(String user, String box, boolean copying, boolean conservative) {
    Optional<MailboxInfo> here = local.mailbox(user, box);
    if (here.isEmpty()) {
      return new Result(0, 0, 0, 1);
    }
    long uidValidity = here.get().uidValidity();
    Optional<MailMap.MailboxLocation> location = completeMap(user).mailboxes().stream()
        .filter(b -> b.name().equals(box)).findFirst();
    if (location.isEmpty() || location.get().conflict() || location.get().uidValidity() != uidValidity) {
      return new Result(0, 0, 0, 1); // not the mailbox the manager numbers: nothing to compare with
    }
    List<String> live = members.get();
    List<String> others = location.get().nodes().stream().filter(n -> !n.equals(self) && live.contains(n)).toList();
    if (others.isEmpty() && !copying) {
      return new Result(1, 0, 0, 0);
    }
    Map<String, CompletableFuture<FragmentListing>> listings = new LinkedHashMap<>();
    Map<String, CompletableFuture<List<Long>>> expungeLogs = new LinkedHashMap<>();
    for (String node : others) {
      listings.put(node, fragments.listForSync(node, user, box, timeout));
      // the whole log: an expunge there may be numbered below a later change that did reach this copy
      expungeLogs.put(node, fragments.expungedSince(node, user, box, 0, timeout));
    }
    Set<Long> expungedElsewhere = new HashSet<>();
    Map<Long, MessageMeta> newestElsewhere = new HashMap<>();
    Map<Long, Long> oldestElsewhere = new HashMap<>(); // the lowest MODSEQ another copy has of each UID
    Map<Long, List<String>> holdersByUid = new HashMap<>(); // other live holders that listed each UID
    for (String node : others) {
      FragmentListing listing;
      List<Long> expunged;
      try {
        listing = listings.get(node).join();
        expunged = expungeLogs.get(node).join();
      } catch (RuntimeException e) {
        if (Remote.unreachable(e)) {
          continue; // compared at the next sync
        }
        throw Remote.failure(e, "comparing " + user + "/" + box + " with " + node);
      }
      if (listing.mailbox().isEmpty() || listing.mailbox().get().uidValidity() != uidValidity) {
        continue;
      }
      expungedElsewhere.addAll(expunged);
      for (MessageMeta m : listing.messages()) {
        newestElsewhere.merge(m.uid(), m, (a, b) -> b.modSeq() > a.modSeq() ? b : a);
        oldestElsewhere.merge(m.uid(), m.modSeq(), Math::min);
        holdersByUid.computeIfAbsent(m.uid(), u -> new ArrayList<>()).add(node);
      }
    }
    List<Long> expunge = new ArrayList<>();
    // Newer flags are taken only if this copy is still as listed: a client's change that reaches it
    // meanwhile must not be overwritten by the older flags under a fresh, higher MODSEQ (chaos run 37:
    // a STORE \Deleted undone that way, so the EXPUNGE after it found nothing to expunge).
    Map<Replacement, List<Long>> replace = new LinkedHashMap<>();
    for (MessageMeta mine : local.messages(user, box)) {
      MessageMeta newer = newestElsewhere.get(mine.uid());
      if (expungedElsewhere.contains(mine.uid())) {
        expunge.add(mine.uid()); // UIDs are never reused: expunged on one copy means expunged
      } else if (newer != null && newer.modSeq() > mine.modSeq() && !newer.flags().equals(mine.flags())) {
        replace.computeIfAbsent(new Replacement(newer.flags(), mine.modSeq()), r -> new ArrayList<>()).add(mine.uid());
      }
    }
    if (!expunge.isEmpty()) {
      withModSeq(user, box, uidValidity, seq -> fragments.expungeHere(user, box, expunge, seq.modSeq(), seq.fence()));
    }
    int replaced = 0;
    for (var group : replace.entrySet()) {
      Replacement r = group.getKey();
      FlagUpdate update = new FlagUpdate(FlagUpdate.Mode.REPLACE, r.flags(), r.unchangedSince());
      replaced += withModSeq(user, box, uidValidity,
          seq -> fragments.updateFlagsHere(user, box, group.getValue(), update, seq.modSeq(), seq.fence()))
          .updated().size();
    }
    // a holder presumed down still holds its copies: a sweep leaves them to its return or a forget
    boolean copy = copying && !(conservative && (!location.get().missing().isEmpty() || !presumedDown.get().isEmpty()));
    int copied = copy ? rereplicate(user, box, uidValidity, location.get().nodes(), holdersByUid, expunge) : 0;
    int trimmed = copy && expunge.isEmpty() && replaced == 0
        ? trim(user, box, holdersByUid, newestElsewhere, oldestElsewhere) : 0;
    if (!expunge.isEmpty() || replaced > 0 || copied > 0 || trimmed > 0) {
      log.info("event=catch-up node={} user={} mailbox={} expunged={} flags={} copied={} trimmed={}", self, user,
          box, expunge.size(), replaced, copied, trimmed);
    }
    return new Result(1, expunge.size(), replaced, 0, copied);
  }

  /** Flags to take from a newer copy, for the messages of this copy still at MODSEQ {@code unchangedSince}. */
  private record Replacement(Set<String> flags, long unchangedSince) {}

  /**
   * Drops this node's copy of each message that more than R live nodes hold (a store that timed out on
   * a slow node and landed late, a copy made twice), when every copy is alike (same MODSEQ) and this
   * node is not among the first R holders by name: those keep theirs, so R copies stay whatever the
   * others do at the same time. The drop leaves no expunge record (the message is not deleted, only one
   * copy too many) and is skipped if the copy changed since it was listed. Only in sweeps that may copy,
   * so never while a member is presumed down, and never in a sweep that changed this copy.
   */
  private int trim(String user, String box, Map<Long, List<String>> holdersByUid,
      Map<Long, MessageMeta> newestElsewhere, Map<Long, Long> oldestElsewhere) {
    Map<Long, Long> drop = new HashMap<>();
    for (MessageMeta mine : local.messages(user, box)) {
      List<String> holders = new ArrayList<>(holdersByUid.getOrDefault(mine.uid(), List.of()));
      holders.add(self);
      if (holders.size() <= replicas || holders.stream().sorted().limit(replicas).anyMatch(self::equals)) {
        continue;
      }
      MessageMeta newest = newestElsewhere.get(mine.uid());
      if (newest.modSeq() == mine.modSeq() && oldestElsewhere.get(mine.uid()) == mine.modSeq()) {
        drop.put(mine.uid(), mine.modSeq());
      }
    }
    return drop.isEmpty() ? 0 : Remote.join(local.dropMoved(user, box, drop), "dropping extra copies").size();
  }

  /**
   * Copies each message here that fewer than R live nodes hold to live nodes that lack it, when this
   * node is the first (by name) of its live holders: the mailbox's other holders first, then any live
   * member, by name. The copy keeps UID, MODSEQ, flags, date and derived data; a node that already
   * has the UID refuses it, which is fine.
   */
  private int rereplicate(String user, String box, long uidValidity, List<String> mailboxNodes,
      Map<Long, List<String>> holdersByUid, List<Long> expunged) {
    if (storing == null || replicas < 2) {
      return 0;
    }
    List<String> live = members.get();
    List<String> candidates = new ArrayList<>(mailboxNodes.stream().filter(live::contains).sorted().toList());
    live.stream().sorted().filter(n -> !candidates.contains(n)).forEach(candidates::add);
    int copied = 0;
    for (MessageMeta mine : local.messages(user, box)) {
      if (expunged.contains(mine.uid())) {
        continue;
      }
      List<String> holders = new ArrayList<>(holdersByUid.getOrDefault(mine.uid(), List.of()));
      holders.add(self);
      if (holders.size() >= replicas || !holders.stream().sorted().findFirst().orElseThrow().equals(self)) {
        continue;
      }
      List<String> targets = candidates.stream().filter(n -> !holders.contains(n)).limit(replicas - holders.size())
          .toList();
      if (targets.isEmpty()) {
        continue;
      }
      List<LoadedMessage> loaded = local.load(user, box, List.of(mine.uid()),
          java.util.EnumSet.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED));
      if (loaded.isEmpty() || loaded.getFirst().body() == null) {
        continue; // gone meanwhile, or quarantined: nothing sound to copy
      }
      LoadedMessage m = loaded.getFirst();
      AssignedMessage copy = new AssignedMessage(user, box, uidValidity, mine.uid(), m.meta().modSeq(), m.body(),
          m.meta().flags(), m.meta().internalDate(), m.derived());
      for (String target : targets) {
        try {
          Remote.join(storing.store(target, copy, timeout), "copying UID " + mine.uid() + " to " + target);
          // Also for a node the map lists: its fragment may be one the manager knows holds no mail (made
          // by a reservation), which it then offers for placement and counts missing when it leaves.
          Remote.join(managers.fragmentStored(user, box, target), "telling the manager of " + user);
          copied++;
        } catch (StoreException e) {
          // taken: another holder copied it first; expunged: this copy's expunge is on its way here
          if (!StoreException.copyNotNeeded(e)) {
            log.warn("{}: could not copy {}/{} UID {} to {}: {}", self, user, box, mine.uid(), target, e.getMessage());
          }
        }
      }
    }
    return copied;
  }

  private MailMap completeMap(String user) {
    return Remote.completeMap(managers, user, MAP_WAIT);
  }

  /** Runs {@code change} on this node's copy under a MODSEQ from the manager ({@link Remote#withModSeq}). */
  private <T> T withModSeq(String user, String box, long uidValidity,
      java.util.function.Function<ModSeqGrant, CompletableFuture<T>> change) {
    return Remote.withModSeq(managers, user, box, uidValidity, "catching up " + box, change).answer();
  }
}
