package dev.quill.cluster.mail;

import dev.quill.cluster.clock.Periodic;
import dev.quill.cluster.manager.Answer;
import dev.quill.cluster.manager.MailMap;
import dev.quill.cluster.manager.MailboxConflict;
import dev.quill.cluster.manager.ManagerService;
import dev.quill.cluster.manager.UidGrant;
import dev.quill.store.FragmentRenumbering;
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
  private volatile boolean closed;
  private Thread runner;

  /**
   * @param replicas copies kept of each message: above one, a mailbox with a holder away waits
   * @param timeout per request to a holder
   */
  public Renumberer(String self, ManagerService managers, FragmentAccess fragments, int replicas, Duration timeout) {
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
        return new Outcome(false, "cannot list the fragment on " + node + ": " + Remote.failure(e, "renumbering").getMessage());
      }
    }
    // The catalog's UIDVALIDITY: the first profile node's, as readers take it (ClusterMailStore).
    Optional<Long> catalog = map.profileNodes().stream().map(listings::get)
        .filter(l -> l != null && l.mailbox().isPresent()).map(l -> l.mailbox().get().uidValidity()).findFirst();
    if (catalog.isEmpty()) {
      return new Outcome(false, "no live profile node holds the mailbox, so no UIDVALIDITY is known to its clients");
    }
    long target = catalog.get();
    // Per other UIDVALIDITY, the union of the UIDs its fragments hold, and who holds them.
    Map<Long, TreeSet<Long>> uids = new TreeMap<>();
    Map<Long, List<String>> holders = new TreeMap<>();
    listings.forEach((node, listing) -> listing.mailbox().filter(f -> f.uidValidity() != target).ifPresent(f -> {
      uids.computeIfAbsent(f.uidValidity(), v -> new TreeSet<>()).addAll(
          listing.messages().stream().map(MessageMeta::uid).toList());
      holders.computeIfAbsent(f.uidValidity(), v -> new ArrayList<>()).add(node);
    }));
    if (!managers.adoptUidValidity(conflict, target)) {
      return new Outcome(false, "another conflict was reported meanwhile");
    }
    int count = uids.values().stream().mapToInt(Set::size).sum();
    UidGrant grant = null;
    if (!holders.isEmpty()) {
      // At least one, for the MODSEQ and fence of the orders even when the odd fragments are empty.
      Answer<UidGrant> answer = managers.allocateForRenumbering(user, box, Math.max(1, count));
      if (!(answer instanceof Answer.Ok<UidGrant>(UidGrant g)) || g.uidValidity() != target) {
        return new Outcome(false, "no UIDs under UIDVALIDITY " + target + ": " + answer.describe());
      }
      grant = g;
      long next = g.firstUid();
      long modSeq = g.firstModSeq() + g.count() - 1;
      Map<String, CompletableFuture<Void>> calls = new LinkedHashMap<>();
      for (var group : uids.entrySet()) {
        var order = new FragmentRenumbering(user, box, group.getKey(), target, List.copyOf(group.getValue()), next,
            modSeq, Optional.empty());
        next += group.getValue().size();
        for (String node : holders.get(group.getKey())) {
          calls.put(node, fragments.renumber(node, order, g.fence(), timeout));
        }
      }
      for (var call : calls.entrySet()) {
        try {
          call.getValue().join();
        } catch (CompletionException e) {
          return new Outcome(false, call.getKey() + " did not renumber its fragment: " + Remote.failure(e, "renumbering").getMessage());
        }
      }
    }
    if (!managers.renumbered(conflict, target)) {
      return new Outcome(false, "another conflict was reported meanwhile");
    }
    String detail = holders.isEmpty() ? "every fragment already has UIDVALIDITY " + target
        : count + " messages of UIDVALIDITY " + String.join(", ", uids.keySet().stream().map(String::valueOf).toList())
            + " on " + String.join(", ", holders.values().stream().flatMap(List::stream).toList())
            + " are now UIDs " + grant.firstUid() + ".." + (grant.firstUid() + count - 1) + " of " + target;
    log.info("{}: renumbered {}/{}: {}", self, user, box, detail);
    return new Outcome(true, detail);
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
