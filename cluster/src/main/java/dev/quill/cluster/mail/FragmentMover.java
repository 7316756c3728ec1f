package dev.quill.cluster.mail;

import dev.quill.cluster.manager.ChangeNotices;
import dev.quill.cluster.manager.MailMap;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.ModSeqGrant;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves one mailbox fragment of this node to another node while clients keep using it, losing
 * nothing acknowledged and resurrecting nothing expunged.
 *
 * <ol>
 * <li><b>Copy.</b> Every message goes to the target under its own UIDVALIDITY, UID and MODSEQ, with
 *     its flags, internal date and derived data ({@code STORE_MESSAGE}), in batches. The target then
 *     holds the same UIDs; readers keep one copy per UID ({@link MailboxLayout#merge}).</li>
 * <li><b>Publish.</b> The user's manager learns that the target holds the mailbox
 *     ({@code FRAGMENT_STORED}) before anything is removed here, so every read from then on
 *     includes the target.</li>
 * <li><b>Reconcile and drop.</b> Both copies are listed and compared. Clients may have changed
 *     either copy meanwhile (operations go to one holder). A UID gone from here was expunged: it is
 *     expunged on the target too. A UID gone from the target was expunged there: it goes here too.
 *     Flags changed here since they were copied are set on the target, unless the target's copy
 *     changed under a later MODSEQ. Every UID whose copy here is unchanged since the comparison is
 *     then dropped here ({@link MailStore#dropMoved}, which checks the MODSEQ under the mailbox lock);
 *     one changed meanwhile is compared again in the next round.</li>
 * <li><b>Leave.</b> When the fragment here is gone (the store removes an emptied one of a user whose
 *     profile is elsewhere), the manager is told ({@code FRAGMENT_DROPPED}); a late delivery that
 *     stores here again is reported back ({@link #leave}).</li>
 * </ol>
 *
 * Messages that arrive here during the move stay here. A failure leaves both copies of what was not
 * dropped yet; what was never copied never leaves. MODSEQs for changes on the target come from the
 * manager, as for any client change.
 */
final class FragmentMover {
  private static final Logger log = LoggerFactory.getLogger(FragmentMover.class);

  /** Comparisons of the two copies before the move gives up on messages that change each time. */
  static final int RECONCILE_ROUNDS = 50;
  /** How long to wait for the user's mail map to be complete (reconstruction after a view change). */
  private static final Duration MAP_WAIT = Duration.ofSeconds(30);
  /** When to look again for a fragment a delivery may have created here after it moved. */
  static final Duration RECHECK_FIRST = Duration.ofMillis(200);
  private static final Set<LoadedMessage.Part> ALL = EnumSet.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED);

  /** How a move ended. */
  sealed interface Outcome {
    /** Every message copied left this node ({@code failure} non-null when the copy stopped early: the rest stays). */
    record Moved(int messages, String failure) implements Outcome {}

    /** Nothing to do: empty, already on the target, or a mailbox the manager sees otherwise. */
    record Skipped(String reason) implements Outcome {}

    /** Not moved, or only in part; what is still here stays. */
    record Failed(String reason) implements Outcome {}
  }

  /** Told of every copy stored on the target, so that progress rises within a fragment. */
  @FunctionalInterface
  interface CopyListener {
    void copied(long bytes);
  }

  /** For a UID on both nodes: the MODSEQ here that the target's copy reflects, and the target's MODSEQ after our last write. */
  private static final class Sync {
    long source;
    long target;

    Sync(long source, long target) {
      this.source = source;
      this.target = target;
    }
  }

  private final String self;
  private final MailStore store;
  private final FragmentService storing;
  private final FragmentAccess fragments;
  private final ManagerClient managers;
  private final ChangeNotices notices;
  private final Duration timeout;
  private volatile boolean closed;

  /**
   * @param store this node's own store (not the cluster's)
   * @param notices tells other nodes' sessions to read a mailbox again after messages left here
   * @param timeout for each call to another node
   */
  FragmentMover(String self, MailStore store, FragmentService storing, FragmentAccess fragments, ManagerClient managers,
      ChangeNotices notices, Duration timeout) {
    this.self = self;
    this.store = store;
    this.storing = storing;
    this.fragments = fragments;
    this.managers = managers;
    this.notices = notices;
    this.timeout = timeout;
  }

  /** The node is closing: late looks at the store are skipped. */
  void close() {
    closed = true;
  }

  /**
   * Moves this node's fragment of {@code user}/{@code box} to {@code target}.
   *
   * @param stop checked between batches; when true the copy stops and what was copied is moved
   */
  Outcome move(String user, String box, String target, CopyListener listener, BooleanSupplier stop) {
    FragmentListing here = listHere(user, box);
    if (here.mailbox().isEmpty() || here.messages().isEmpty()) {
      return new Outcome.Skipped("nothing to move");
    }
    long uidValidity = here.mailbox().get().uidValidity();
    MailMap map = completeMap(user);
    Optional<MailMap.MailboxLocation> location = map.mailboxes().stream().filter(b -> b.name().equals(box)).findFirst();
    if (location.isEmpty()) {
      return new Outcome.Failed("the manager of " + user + " does not know " + box);
    }
    if (location.get().conflict() || location.get().uidValidity() != uidValidity) {
      return new Outcome.Skipped("UIDVALIDITY " + uidValidity + " here, " + location.get().uidValidity()
          + " at the manager" + (location.get().conflict() ? " (conflict)" : ""));
    }
    if (location.get().nodes().contains(target)
        || Remote.join(fragments.list(target, user, box, timeout), "listing on " + target).mailbox().isPresent()) {
      return new Outcome.Skipped("already on " + target);
    }

    MovesInProgress.Move registered = fragments.moves().begin(user, box, target);
    try {
      return moveRegistered(user, box, uidValidity, target, here, registered, listener, stop);
    } finally {
      fragments.moves().end(user, box, registered);
    }
  }

  /** The move once registered: expunges here meanwhile wait for the batch in flight and reach the target too. */
  private Outcome moveRegistered(String user, String box, long uidValidity, String target, FragmentListing here,
      MovesInProgress.Move registered, CopyListener listener, BooleanSupplier stop) {
    Map<Long, Long> sent = new LinkedHashMap<>(); // UID -> MODSEQ it was copied with
    Set<Long> stored = new HashSet<>(); // UIDs the target said it stored
    String copyFailure = null;
    try {
      copy(user, box, uidValidity, target, here.messages(), sent, stored, listener, stop, registered);
    } catch (RuntimeException e) {
      copyFailure = "copying " + user + "/" + box + " to " + target + " stopped: " + message(e);
      log.warn("{}: {}", self, copyFailure);
    }
    // Only what the target confirmed storing from here moves. A UID it holds otherwise — a store
    // that timed out yet happened, or a replica of the same message moved there from another node
    // at the same time — stays here too: one copy too many is merged by readers and changed with
    // the others, one too few would break the replication. A copy stored and already gone from the
    // target was expunged there by a client: it counts, so the comparison removes it here as well.
    Map<Long, Sync> moving = new TreeMap<>();
    stored.forEach(uid -> moving.put(uid, new Sync(sent.get(uid), sent.get(uid))));
    if (moving.isEmpty()) {
      return copyFailure == null ? new Outcome.Skipped("every message is on " + target + " already")
          : new Outcome.Failed(copyFailure);
    }
    try {
      Remote.join(managers.fragmentStored(user, box, target), "telling the manager of " + user);
      int copied = moving.size();
      reconcile(user, box, uidValidity, target, moving);
      if (!moving.isEmpty()) {
        return new Outcome.Failed(moving.size() + " of " + copied + " messages of " + user + "/" + box
            + " changed during each of " + RECONCILE_ROUNDS + " comparisons; both copies stay");
      }
      if (store.mailbox(user, box).isEmpty()) {
        leave(user, box);
      }
      return new Outcome.Moved(copied, copyFailure);
    } catch (RuntimeException e) {
      return new Outcome.Failed("moving " + user + "/" + box + " to " + target + " failed: " + message(e)
          + "; what is still here stays");
    }
  }

  // ---- copy ----------------------------------------------------------------------------------

  private void copy(String user, String box, long uidValidity, String target, List<MessageMeta> messages,
      Map<Long, Long> sent, Set<Long> stored, CopyListener listener, BooleanSupplier stop,
      MovesInProgress.Move registered) {
    for (List<Long> batch : CopyBatches.of(messages)) {
      if (stop.getAsBoolean()) {
        throw new StoreException(self + " is stopping");
      }
      RuntimeException failure = MovesInProgress.locked(registered,
          () -> copyBatch(user, box, uidValidity, target, batch, sent, stored, listener));
      if (failure != null) {
        throw failure;
      }
    }
  }

  /**
   * Loads one batch here and stores it on the target, under the move's lock: an expunge here waits
   * until the batch is on the target, then repeats itself there ({@link FragmentAccess#expungeHere}).
   * The first failure, or null.
   */
  private RuntimeException copyBatch(String user, String box, long uidValidity, String target, List<Long> batch,
      Map<Long, Long> sent, Set<Long> stored, CopyListener listener) {
    Map<LoadedMessage, CompletableFuture<AppendResult>> calls = new LinkedHashMap<>();
    for (LoadedMessage m : store.load(user, box, batch, ALL)) {
      if (m.body() == null) {
        continue; // corrupt and quarantined by the load: nothing left to move
      }
      MessageMeta meta = m.meta();
      sent.put(meta.uid(), meta.modSeq());
      calls.put(m, storing.store(target, new AssignedMessage(user, box, uidValidity, meta.uid(), meta.modSeq(),
          m.body(), meta.flags(), meta.internalDate(), m.derived()), timeout));
    }
    RuntimeException failure = null;
    for (var call : calls.entrySet()) {
      try {
        AppendResult r = Remote.join(call.getValue(), "storing on " + target);
        if (!r.stored()) {
          throw new StoreException(target + " refused UID " + call.getKey().meta().uid() + ": over quota");
        }
        stored.add(call.getKey().meta().uid());
        listener.copied(call.getKey().meta().size());
      } catch (RuntimeException e) {
        if (alreadyThere(e)) {
          continue; // a replica of this message is (or was) on the target already: it stays here as well
        }
        failure = failure == null ? e : failure;
      }
    }
    return failure;
  }

  /**
   * Whether a store failed because the target holds that UID already (another replica moved there)
   * or expunged it lately (another replica moved there and was expunged, the expunge on its way here).
   */
  private static boolean alreadyThere(RuntimeException e) {
    return StoreException.copyNotNeeded(e);
  }

  // ---- reconcile and drop --------------------------------------------------------------------

  /** Compares and drops until every UID of {@code moving} left this node or the rounds run out; removes those that left. */
  private void reconcile(String user, String box, long uidValidity, String target, Map<Long, Sync> moving) {
    for (int round = 1; round <= RECONCILE_ROUNDS && !moving.isEmpty(); round++) {
      if (round > 1) {
        pause(round);
      }
      ensureListed(user, box, target);
      Map<Long, MessageMeta> here = byUid(listHere(user, box).messages());
      FragmentListing thereListing = Remote.join(fragments.list(target, user, box, timeout), "listing on " + target);
      if (thereListing.mailbox().isEmpty()) {
        // Not an expunge of each message: the fragment itself went (mailbox deleted?). Remove nothing here.
        throw new StoreException(target + " no longer holds " + user + "/" + box);
      }
      Map<Long, MessageMeta> there = byUid(thereListing.messages());

      List<Long> expungedHere = new ArrayList<>();
      for (Long uid : List.copyOf(moving.keySet())) {
        if (!here.containsKey(uid)) {
          moving.remove(uid);
          if (there.containsKey(uid)) {
            expungedHere.add(uid);
          }
        }
      }
      if (!expungedHere.isEmpty()) {
        withModSeq(user, box, uidValidity,
            seq -> fragments.expunge(target, user, box, expungedHere, seq.modSeq(), seq.fence(), timeout));
      }

      Map<Long, Long> drop = new HashMap<>();
      Map<Set<String>, List<Long>> push = new HashMap<>();
      for (var entry : moving.entrySet()) {
        long uid = entry.getKey();
        Sync sync = entry.getValue();
        MessageMeta h = here.get(uid);
        MessageMeta t = there.get(uid);
        if (t == null || h.modSeq() == sync.source) {
          drop.put(uid, h.modSeq()); // expunged there, or the target's copy is as new as this one
        } else if (t.modSeq() == sync.target || h.modSeq() > t.modSeq()) {
          push.computeIfAbsent(h.flags(), f -> new ArrayList<>()).add(uid); // changed here last
        } else {
          sync.source = h.modSeq(); // changed on both; the target's change came later and stands
          drop.put(uid, h.modSeq());
        }
      }
      long unchangedSince = thereListing.mailbox().get().highestModSeq();
      for (var group : push.entrySet()) {
        FlagUpdate update = new FlagUpdate(FlagUpdate.Mode.REPLACE, group.getKey(), unchangedSince);
        FlagResult r = withModSeq(user, box, uidValidity,
            seq -> fragments.updateFlags(target, user, box, group.getValue(), update, seq.modSeq(), seq.fence(),
                timeout));
        for (MessageMeta m : r.updated()) {
          Sync sync = moving.get(m.uid());
          if (sync != null) {
            sync.source = here.get(m.uid()).modSeq();
            sync.target = m.modSeq();
          }
        }
        // r.modified(): changed on the target after the listing; the next round compares again
      }
      if (!drop.isEmpty()) {
        List<Long> dropped = Remote.join(store.dropMoved(user, box, drop), "dropping moved messages");
        dropped.forEach(moving::remove);
        if (!dropped.isEmpty()) {
          // Sessions elsewhere read the mailbox again before their next command, and find these on the target.
          notices.publish(new MailboxEvent(user, box, MailboxEvent.Kind.FLAGS, List.of(), 0));
        }
      }
    }
  }

  /**
   * Tells the manager this node no longer holds the mailbox (the store removed the emptied fragment).
   * A delivery numbered before the manager heard it may still pick this node and create the fragment
   * again without telling the manager (its grant named this node): so the store is looked at again
   * at once, after {@link #RECHECK_FIRST} and later after the store timeout, and a fragment found
   * here again is reported, so that its messages are read.
   */
  private void leave(String user, String box) {
    try {
      Remote.join(managers.fragmentDropped(user, box, self), "telling the manager of " + user);
    } catch (RuntimeException e) {
      log.info("{}: telling the manager that {}/{} left here failed ({}); its next report says so", self, user, box,
          e.getMessage());
      return;
    }
    recheck(user, box);
    pause(RECHECK_FIRST);
    recheck(user, box);
    Executor later = CompletableFuture.delayedExecutor(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS,
        task -> Thread.ofVirtual().name("quill-rebalance-recheck").start(task));
    CompletableFuture.runAsync(() -> recheck(user, box), later);
  }

  /** Reports the fragment to the manager if it is here (again); nothing once the node is closing. */
  private void recheck(String user, String box) {
    if (closed) {
      return; // the node's next start reports what its store holds
    }
    try {
      if (store.mailbox(user, box).isPresent()) {
        Remote.join(managers.fragmentStored(user, box, self), "telling the manager of " + user);
        log.info("{}: {}/{} was stored here again after it moved; the manager lists {} again", self, user, box, self);
      }
    } catch (RuntimeException e) {
      log.warn("{}: could not tell the manager that {}/{} is here again ({}); its next report does", self, user, box,
          e.getMessage());
    }
  }

  /** Makes sure the manager lists the target before anything is dropped: a view change may have rebuilt it. */
  private void ensureListed(String user, String box, String target) {
    MailMap map = completeMap(user);
    boolean listed = map.mailboxes().stream().anyMatch(b -> b.name().equals(box) && b.nodes().contains(target));
    if (!listed) {
      Remote.join(managers.fragmentStored(user, box, target), "telling the manager of " + user);
    }
  }

  /** Runs a change on the target under a fresh MODSEQ from the manager ({@link Remote#withModSeq}). */
  private <T> T withModSeq(String user, String box, long uidValidity,
      java.util.function.Function<ModSeqGrant, CompletableFuture<T>> change) {
    return Remote.withModSeq(managers, user, box, uidValidity, "changing " + box + " on the target", change).answer();
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** This node's fragment read consistently: the messages are exactly those the record counts. */
  private FragmentListing listHere(String user, String box) {
    return FragmentListing.of(store, user, box);
  }

  /** The user's mail map once every member has reported it (the manager refuses changes until then). */
  private MailMap completeMap(String user) {
    return Remote.completeMap(managers, user, MAP_WAIT);
  }

  private static Map<Long, MessageMeta> byUid(List<MessageMeta> messages) {
    Map<Long, MessageMeta> map = new HashMap<>();
    messages.forEach(m -> map.put(m.uid(), m));
    return map;
  }

  /** Waits a little longer each round (10 ms doubling to 320 ms): a client changing the same messages settles. */
  private static void pause(int round) {
    pause(Duration.ofMillis(10L << Math.min(round - 1, 5)));
  }

  private static void pause(Duration wait) {
    try {
      Thread.sleep(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted");
    }
  }

  private static String message(Throwable e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }
}
