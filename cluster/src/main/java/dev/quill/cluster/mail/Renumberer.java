package dev.quill.cluster.mail;

import dev.quill.cluster.clock.Periodic;
import dev.quill.cluster.manager.Answer;
import dev.quill.cluster.manager.MailMap;
import dev.quill.cluster.manager.MailboxConflict;
import dev.quill.cluster.manager.ManagerService;
import dev.quill.cluster.manager.RenumberStart;
import dev.quill.store.FragmentRenumbering;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MessageMeta;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles, on the manager of each user, the mailboxes whose fragments disagree on UIDVALIDITY
 * (issue 4: "UIDs are never reused"). Such fragments come from a data directory restored from an
 * old backup, a fragment made by hand, or a mailbox created again while a holder was away; their
 * UIDs mean nothing under the mailbox's UIDVALIDITY, and reads leave them out meanwhile
 * ({@link ClusterMailStore}).
 *
 * <p>The mailbox keeps the UIDVALIDITY of its catalog (the profile node's fragment), the one
 * clients have seen, and the messages of every other fragment become new messages under it: the
 * manager gives them UIDs above every UID given (reserved on the profile nodes first, as for a
 * delivery), and each holder rewrites its fragment in one synced batch ({@code FRAGMENT_RENUMBER},
 * {@link dev.quill.store.MailStore#renumber}). Copies of one message on several nodes get the same
 * new UID, since the new UIDs follow the sorted union of the old ones. So no UID is given twice and
 * clients see the UIDVALIDITY they know, with new messages in it.
 *
 * <p>A mailbox whose UIDs are used up under its UIDVALIDITY (2^32 - 1 given) is renumbered the same
 * way, all of it: every message takes a UID from 1 up, in the old order, under a UIDVALIDITY above
 * the old one, which clients see as a mailbox to resynchronise (RFC 9051 2.3.1.1).
 *
 * <p>With several copies of each message, a mailbox waits while a holder is away: renumbered
 * without it, its copies would come back as a second set of new messages. With one copy there are
 * no second copies; a holder that returns with an old fragment is renumbered then.
 */
public final class Renumberer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Renumberer.class);

  /** What one attempt did: {@code done}, or why the conflict stays for a later attempt. */
  public record Outcome(boolean done, String detail) {}

  private final String self;
  private final ManagerService managers;
  private final FragmentAccess fragments;
  private final int replicas;
  private final Duration timeout;
  private final Consumer<MailboxEvent> announce;
  private volatile boolean closed;
  private Thread runner;

  /**
   * @param replicas copies kept of each message: above one, a mailbox with a holder away waits
   * @param timeout per request to a holder
   * @param announce tells the sessions watching the user, on every node, to read a renumbered mailbox
   *     again ({@link ClusterMailStore#announce}): those that see its UIDVALIDITY changed end
   */
  public Renumberer(String self, ManagerService managers, FragmentAccess fragments, int replicas, Duration timeout,
      Consumer<MailboxEvent> announce) {
    this.announce = announce;
    this.self = self;
    this.managers = managers;
    this.fragments = fragments;
    this.replicas = replicas;
    this.timeout = timeout;
  }

  /** Looks for conflicts every {@code interval} and settles those it can. */
  public synchronized void start(Duration interval) {
    runner = Periodic.start("quill-renumber", interval, () -> closed, this::settleAll);
  }

  /** Settles every conflict of the users managed here that can be settled now; the outcomes, for tests. */
  public List<Outcome> settleAll() {
    List<Outcome> outcomes = new ArrayList<>();
    for (MailboxConflict conflict : managers.conflicts()) {
      if (closed) {
        break;
      }
      Outcome outcome;
      try {
        outcome = settle(conflict);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (RuntimeException e) {
        outcome = new Outcome(false, "failed: " + e);
      }
      if (!outcome.done()) {
        log.info("{}: {}/{} not renumbered yet: {}", self, conflict.user(), conflict.mailbox(), outcome.detail());
      }
      outcomes.add(outcome);
    }
    return outcomes;
  }

  /** One attempt at one conflict. */
  Outcome settle(MailboxConflict conflict) throws InterruptedException {
    String user = conflict.user();
    String box = conflict.mailbox();
    if (!(managers.mailMapHere(user) instanceof Answer.Ok<MailMap>(MailMap map))) {
      return new Outcome(false, self + " no longer manages " + user);
    }
    Optional<MailMap.MailboxLocation> location = map.mailboxes().stream().filter(b -> b.name().equals(box)).findFirst();
    if (location.isEmpty()) {
      return new Outcome(false, "no live node holds a fragment");
    }
    if (replicas > 1 && !location.get().missing().isEmpty()) {
      return new Outcome(false, "waiting for " + String.join(", ", location.get().missing())
          + ", which may hold copies of its messages");
    }
    Set<String> nodes = new LinkedHashSet<>(map.profileNodes());
    nodes.addAll(location.get().nodes());
    Map<String, FragmentListing> listings = new LinkedHashMap<>();
    for (String node : nodes) {
      try {
        listings.put(node, fragments.list(node, user, box, timeout).join());
      } catch (CompletionException e) {
        return new Outcome(false, "cannot list the fragment on " + node + ": "
            + Remote.failure(e, "renumbering").getMessage());
      }
    }
    // The mailbox keeps the highest UIDVALIDITY reported (the manager's) and the others' messages are
    // renumbered; or, its UIDs used up, every message is renumbered under the new one its manager picks.
    long known = location.get().uidValidity();
    Map<Long, TreeSet<Long>> uids = new TreeMap<>();
    Map<Long, List<String>> holders = new TreeMap<>();
    listings.forEach((node, listing) -> listing.mailbox()
        .filter(f -> conflict.exhausted() || f.uidValidity() != known).ifPresent(f -> {
          uids.computeIfAbsent(f.uidValidity(), v -> new TreeSet<>()).addAll(
              listing.messages().stream().map(MessageMeta::uid).toList());
          holders.computeIfAbsent(f.uidValidity(), v -> new ArrayList<>()).add(node);
        }));
    int count = uids.values().stream().mapToInt(Set::size).sum();
    Optional<RenumberStart> begun = managers.beginRenumbering(conflict, count);
    if (begun.isEmpty()) {
      return new Outcome(false, "its manager cannot start now (a reservation in flight, a member not reported, or a "
          + "newer conflict)");
    }
    RenumberStart start = begun.get();
    long target = start.uidValidity();
    if (conflict.exhausted() ? target <= known : target != known) {
      managers.finishRenumbering(conflict, start, false);
      return new Outcome(false, "its UIDVALIDITY changed meanwhile");
    }
    boolean ok = false;
    try {
      // The reservation's nodes (profile nodes, then members up to a majority) first, each with the
      // reservation, which every later manager hears of, so that no new UID is visible anywhere before
      // it is durable there: those whose fragment needs no renumbering reserve as for a delivery, the
      // others renumber with the reservation in the same batch.
      var reservation = Optional.of(new FragmentRenumbering.Reservation(start.reservedUid(), start.reservedModSeq(),
          start.holders()));
      Map<String, FragmentRenumbering> orders = new LinkedHashMap<>();
      long next = start.firstUid();
      for (var group : uids.entrySet()) {
        for (String node : holders.get(group.getKey())) {
          orders.put(node, new FragmentRenumbering(user, box, group.getKey(), target, List.copyOf(group.getValue()),
              next, start.modSeq(), start.reservationNodes().contains(node) ? reservation : Optional.empty()));
        }
        next += group.getValue().size();
      }
      List<String> reserving = start.reservationNodes().stream().filter(n -> !orders.containsKey(n)).toList();
      String failed = managers.reserveForRenumbering(conflict, start, reserving);
      if (failed == null) {
        failed = send(orders, start, true);
      }
      if (failed == null) {
        failed = send(orders, start, false);
      }
      if (failed != null) {
        return new Outcome(false, failed);
      }
      ok = true;
    } finally {
      managers.finishRenumbering(conflict, start, ok);
    }
    String detail = holders.isEmpty() ? "every fragment already has UIDVALIDITY " + target
        : count + " messages of UIDVALIDITY " + String.join(", ", uids.keySet().stream().map(String::valueOf).toList())
            + " on " + String.join(", ", holders.values().stream().flatMap(List::stream).toList())
            + " are now UIDs " + start.firstUid() + ".." + (start.firstUid() + count - 1) + " of " + target;
    log.info("{}: renumbered {}/{}: {}", self, user, box, detail);
    if (!holders.isEmpty()) {
      // Sessions elsewhere hear of it at once, not at the mailbox's next change: one whose UIDVALIDITY
      // changed must not act on its old UIDs (a "read again" event, as the store sends; no UIDs listed).
      announce.accept(new MailboxEvent(user, box, MailboxEvent.Kind.FLAGS, List.of(), start.modSeq()));
    }
    return new Outcome(true, detail);
  }

  /**
   * Sends the orders to the reservation's nodes ({@code reserving}) or to the others, in parallel;
   * null when all were carried out, else which failed and why.
   */
  private String send(Map<String, FragmentRenumbering> orders, RenumberStart start, boolean reserving) {
    Map<String, CompletableFuture<Void>> calls = new LinkedHashMap<>();
    orders.forEach((node, order) -> {
      if (start.reservationNodes().contains(node) == reserving) {
        calls.put(node, fragments.renumber(node, order, start.fence(), timeout));
      }
    });
    for (var call : calls.entrySet()) {
      try {
        call.getValue().join();
      } catch (CompletionException e) {
        return call.getKey() + " did not renumber its fragment: " + Remote.failure(e, "renumbering").getMessage();
      }
    }
    return null;
  }

  @Override
  public void close() {
    closed = true;
    Thread t;
    synchronized (this) {
      t = runner;
    }
    if (t != null) {
      t.interrupt();
    }
  }
}
