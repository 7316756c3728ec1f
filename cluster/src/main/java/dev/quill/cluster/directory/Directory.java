package dev.quill.cluster.directory;

import dev.quill.cluster.directory.DirectoryChange.AliasAdded;
import dev.quill.cluster.directory.DirectoryChange.AliasDeleted;
import dev.quill.cluster.directory.DirectoryChange.DomainAdded;
import dev.quill.cluster.directory.DirectoryChange.DomainDeleted;
import dev.quill.cluster.clock.HybridClock;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.store.MailStore;
import dev.quill.store.StoreException;
import dev.quill.store.Versioned;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Domains and aliases, the same on every node: {@code domain add} or {@code alias add} on any node
 * makes SMTP on every node accept mail for them. A change is made in the local store first (its
 * refusal is thrown to the caller and goes nowhere), then sent to every other member without
 * waiting; reads stay local ({@link MailStore#domains}, {@link MailStore#hasDomain},
 * {@link MailStore#aliases}, {@link MailStore#aliasTarget}) since every node holds the same lists.
 *
 * <p>Changes to one member are sent one after the other, each after the previous one was answered,
 * so a member applies them in the order they were made here (an alias never arrives before its
 * domain); a change a member did not apply (refused, timed out, left) is logged as a WARN line and
 * not sent again. Receivers apply changes idempotently: adding a domain or alias they have is no
 * error; a domain they still have users or aliases in is kept, with a WARN line; an alias that
 * points elsewhere there is refused (the sender logs it).
 *
 * <p>Every change carries a hybrid-logical-clock stamp ({@link HybridClock}), kept per domain and
 * per alias in the store ({@link Versioned}), also after a delete (a tombstone): a receiver applies
 * a change only over an older stamp, so changes to one name settle last-writer-wins in any order of
 * arrival, and a stamp read from another node moves this node's clock past it.
 *
 * <p>After a view change, {@link #membersJoined} sends this node's whole list with its stamps to each
 * new member (DIRECTORY_SYNC); wired on every node, that copies lists both ways between the old
 * members and the new one. The receiver takes every entry stamped later than its own — an add or a
 * delete — so a node that was away during a delete does not bring the name back. Entries that were
 * never stamped on either side (made before stamps existed, or straight in one node's store) are
 * only added, never deleted, and a conflict between two such aliases keeps the receiver's target.
 *
 * <p>A change or sync that gets no answer (a timeout: lost on a connection being set up, say) is sent
 * again while the member stays in the view, up to {@link #ATTEMPTS} times; applying one twice changes
 * nothing, as the stamps decide. A member that stays in the view and missed a change or sync even so
 * gets this node's whole list later ({@link #resyncLater}: one timeout after the failure, then doubling
 * up to {@link #LAST_RESYNC} while it keeps failing), so a lost alias never stays lost until the next
 * view change. Tombstones go once every member has them ({@link TombstonePruner}).
 * Only admitted members can send these requests (the transport's security layer), and the policy
 * decides which of their principals may ({@code RemoteOperations}: the directory object).
 *
 * <p>Wire: {@link TypeIds#DIRECTORY_CHANGE} and {@link TypeIds#DIRECTORY_SYNC}, version 2, layouts in
 * {@link DirectoryCodecs}; both are requests answered with an empty body.
 */
public final class Directory {
  private static final Logger log = LoggerFactory.getLogger(Directory.class);

  static final MessageType<DirectoryChange.Stamped, Void> CHANGE = new MessageType<>(
      TypeIds.DIRECTORY_CHANGE, 2, "DIRECTORY_CHANGE", DirectoryCodecs.STAMPED, Codecs.EMPTY);
  static final MessageType<DirectoryList, Void> SYNC = new MessageType<>(
      TypeIds.DIRECTORY_SYNC, 2, "DIRECTORY_SYNC", DirectoryCodecs.LIST, Codecs.EMPTY);
  /** How long a member has to apply one change or sync before it is logged as missed. */
  static final Duration TIMEOUT = Duration.ofSeconds(10);
  /** Sends of one change or sync to a member that stays in the view and does not answer. */
  static final int ATTEMPTS = 3;
  /** Longest wait between two full syncs to a member that keeps missing them. */
  static final Duration LAST_RESYNC = Duration.ofMinutes(1);

  private final String self;
  private final RpcEndpoint endpoint;
  private final MailStore store;
  private final HybridClock clock;
  private final Duration timeout;
  private final Supplier<List<String>> members;
  /** Per member, the last message sent to it; the next one is sent when it completes. Guarded by itself. */
  private final Map<String, CompletableFuture<Void>> queues = new HashMap<>();
  /** Members owed a full sync: the last wait, and whether one is waiting now; guarded by {@link #queues}. */
  private final Map<String, Resync> resyncs = new HashMap<>();

  private record Resync(Duration delay, boolean waiting) {}

  /**
   * Registers the DIRECTORY_CHANGE and DIRECTORY_SYNC handlers on {@code endpoint} (call before it
   * listens).
   *
   * @param self this node's name, never sent to
   * @param members the current members (this node may be among them)
   * @param clock stamps this node's changes
   */
  public Directory(String self, RpcEndpoint endpoint, MailStore store, Supplier<List<String>> members,
      HybridClock clock) {
    this(self, endpoint, store, members, clock, TIMEOUT);
  }

  /** As the public constructor, with {@code timeout} for each member's answer to one send. */
  Directory(String self, RpcEndpoint endpoint, MailStore store, Supplier<List<String>> members, HybridClock clock,
      Duration timeout) {
    this.timeout = timeout;
    this.self = self;
    this.endpoint = endpoint;
    this.store = store;
    this.members = members;
    this.clock = clock;
    endpoint.register(CHANGE, (from, change) -> {
      apply(from, change);
      return null;
    });
    endpoint.register(SYNC, (from, list) -> {
      merge(from, list);
      return null;
    });
  }

  /** Adds a domain here, then on every other member; false when this node had it already. */
  public boolean addDomain(String domain) {
    long stamp = stamp(Versioned.DOMAIN, domain);
    boolean added = store.addDomain(domain);
    store.setVersion(Versioned.DOMAIN, domain, stamp);
    sendToOthers(stamp, new DomainAdded(domain));
    return added;
  }

  /**
   * Deletes a domain here, then on every other member; false when this node did not have it.
   *
   * @throws StoreException (and nothing is sent) while users or aliases remain in it here
   */
  public boolean deleteDomain(String domain) {
    long stamp = stamp(Versioned.DOMAIN, domain);
    boolean deleted = store.deleteDomain(domain);
    store.setVersion(Versioned.DOMAIN, domain, stamp);
    sendToOthers(stamp, new DomainDeleted(domain));
    return deleted;
  }

  /**
   * Makes {@code alias} deliver to {@code target}, here and then on every other member. Checked on
   * this node only: the alias's domain is local and no user here has its name; the target may be a
   * user of any node ({@link MailStore#putAlias}). Adding the same alias again is no error.
   *
   * @throws StoreException (and nothing is sent) when this node refuses it
   */
  public void addAlias(String alias, String target) {
    long stamp = stamp(Versioned.ALIAS, alias);
    store.putAlias(alias, target);
    store.setVersion(Versioned.ALIAS, alias, stamp);
    sendToOthers(stamp, new AliasAdded(alias, target));
  }

  /** Deletes an alias here, then on every other member; false when this node did not have it. */
  public boolean deleteAlias(String alias) {
    long stamp = stamp(Versioned.ALIAS, alias);
    boolean deleted = store.deleteAlias(alias);
    store.setVersion(Versioned.ALIAS, alias, stamp);
    sendToOthers(stamp, new AliasDeleted(alias));
    return deleted;
  }

  /** Sends this node's whole list of domains and aliases to each of {@code joined} but itself, without waiting. */
  public void membersJoined(Collection<String> joined) {
    DirectoryList list = wholeList();
    for (String member : joined) {
      if (!member.equals(self)) {
        send(member, SYNC, list);
      }
    }
  }

  private DirectoryList wholeList() {
    return new DirectoryList(store.domains(), store.aliases(), store.versions(Versioned.DOMAIN),
        store.versions(Versioned.ALIAS));
  }

  // ---------------------------------------------------------------- receiving

  /** A stamp for a change to {@code name} made here: after every stamp seen, its own included. */
  private long stamp(Versioned kind, String name) {
    clock.observe(store.version(kind, name));
    return clock.now();
  }

  /** Applies a change stamped later than what this node holds of the name, and keeps its stamp. */
  private void apply(String from, DirectoryChange.Stamped stamped) {
    DirectoryChange change = stamped.change();
    clock.observe(stamped.stamp());
    Versioned kind = switch (change) {
      case DomainAdded d -> Versioned.DOMAIN;
      case DomainDeleted d -> Versioned.DOMAIN;
      case AliasAdded a -> Versioned.ALIAS;
      case AliasDeleted a -> Versioned.ALIAS;
    };
    String name = switch (change) {
      case DomainAdded(String domain) -> domain;
      case DomainDeleted(String domain) -> domain;
      case AliasAdded(String alias, String target) -> alias;
      case AliasDeleted(String alias) -> alias;
    };
    if (stamped.stamp() <= store.version(kind, name)) {
      return; // a later change of this name is here already
    }
    apply(from, change);
    if (took(change)) { // a domain kept for its users here keeps its older stamp too
      store.setVersion(kind, name, stamped.stamp());
    }
  }

  /** Whether this node's store now says what {@code change} says. */
  private boolean took(DirectoryChange change) {
    return switch (change) {
      case DomainAdded(String domain) -> store.hasDomain(domain);
      case DomainDeleted(String domain) -> !store.hasDomain(domain);
      case AliasAdded(String alias, String target) -> store.aliasTarget(alias).filter(target::equals).isPresent();
      case AliasDeleted(String alias) -> store.aliasTarget(alias).isEmpty();
    };
  }

  private void apply(String from, DirectoryChange change) {
    switch (change) {
      case DomainAdded(String domain) -> {
        if (store.addDomain(domain)) {
          log.info("{} <-- {}: domain {} added", self, from, domain);
        }
      }
      case DomainDeleted(String domain) -> {
        try {
          if (store.deleteDomain(domain)) {
            log.info("{} <-- {}: domain {} deleted", self, from, domain);
          }
        } catch (StoreException e) {
          log.warn("{} <-- {}: keeps domain {} deleted there: {}", self, from, domain, e.getMessage());
        }
      }
      case AliasAdded(String alias, String target) -> {
        if (store.aliasTarget(alias).filter(held -> !held.equals(target)).isPresent()) {
          store.deleteAlias(alias); // a later change points it elsewhere
        }
        store.putAlias(alias, target);
      }
      case AliasDeleted(String alias) -> store.deleteAlias(alias);
    }
  }

  /**
   * Takes every entry of another node's list stamped later than here (an add or a delete); of the
   * entries stamped on neither side, adds what this node lacks (conflicts are logged and skipped).
   */
  private void merge(String from, DirectoryList list) {
    int stamped = 0;
    Set<String> domainsThere = Set.copyOf(list.domains());
    for (Map.Entry<String, Long> e : list.domainStamps().entrySet()) {
      String domain = e.getKey();
      clock.observe(e.getValue());
      if (e.getValue() > store.version(Versioned.DOMAIN, domain)) {
        DirectoryChange change = domainsThere.contains(domain) ? new DomainAdded(domain) : new DomainDeleted(domain);
        apply(from, change);
        if (took(change)) {
          store.setVersion(Versioned.DOMAIN, domain, e.getValue());
          stamped++;
        }
      }
    }
    for (Map.Entry<String, Long> e : list.aliasStamps().entrySet()) {
      String alias = e.getKey();
      clock.observe(e.getValue());
      if (e.getValue() > store.version(Versioned.ALIAS, alias)) {
        String target = list.aliases().get(alias);
        try {
          DirectoryChange change = target != null ? new AliasAdded(alias, target) : new AliasDeleted(alias);
          apply(from, change);
          if (took(change)) {
            store.setVersion(Versioned.ALIAS, alias, e.getValue());
            stamped++;
          }
        } catch (StoreException failure) {
          log.warn("{} <-- {}: alias {} not taken: {}", self, from, Names.abbreviate(alias), failure.getMessage());
        }
      }
    }
    int domains = 0;
    int aliases = 0;
    for (String domain : list.domains()) {
      if (list.domainStamps().containsKey(domain) || store.version(Versioned.DOMAIN, domain) != 0) {
        continue; // settled by the stamps above
      }
      try {
        domains += store.addDomain(domain) ? 1 : 0;
      } catch (StoreException e) {
        log.warn("{} <-- {}: domain {} not added: {}", self, from, Names.abbreviate(domain), e.getMessage());
      }
    }
    for (Map.Entry<String, String> alias : list.aliases().entrySet()) {
      if (list.aliasStamps().containsKey(alias.getKey()) || store.version(Versioned.ALIAS, alias.getKey()) != 0) {
        continue;
      }
      Optional<String> held = store.aliasTarget(alias.getKey());
      if (held.isPresent()) {
        if (!held.get().equals(alias.getValue())) {
          log.warn("{} <-- {}: alias {} points to {} there, kept pointing to {} here", self, from, alias.getKey(),
              alias.getValue(), held.get());
        }
        continue;
      }
      try {
        store.putAlias(alias.getKey(), alias.getValue());
        aliases++;
      } catch (StoreException e) {
        log.warn("{} <-- {}: alias {} not added: {}", self, from, Names.abbreviate(alias.getKey()), e.getMessage());
      }
    }
    if (domains + aliases + stamped > 0) {
      log.info("{} <-- {}: DIRECTORY_SYNC took {} later change(s), added {} unstamped domain(s) and {} alias(es)",
          self, from, stamped, domains, aliases);
    }
  }

  // ---------------------------------------------------------------- sending

  private void sendToOthers(long stamp, DirectoryChange change) {
    for (String member : members.get()) {
      if (!member.equals(self)) {
        send(member, CHANGE, new DirectoryChange.Stamped(stamp, change));
      }
    }
  }

  /** Queues {@code body} for {@code member} behind what was sent to it before; failures are logged. */
  private <Q> void send(String member, MessageType<Q, Void> type, Q body) {
    synchronized (queues) {
      CompletableFuture<Void> previous = queues.getOrDefault(member, CompletableFuture.completedFuture(null));
      // previous never fails: each link below turns its failure into a log line
      CompletableFuture<Void> next = previous
          .thenCompose(done -> answered(member, type, body, 1))
          .handle((done, failure) -> {
            if (failure != null) {
              Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
              log.warn("{} --> {}: {} not applied: {}", self, member, describe(body), cause.getMessage());
              boolean closed = cause instanceof RpcException r && r.code() == RpcException.Code.CLOSED;
              if (!closed && members.get().contains(member)) {
                resyncLater(member);
              }
            } else if (type == SYNC) {
              synchronized (queues) {
                resyncs.remove(member); // it has everything this node had when the list was made
              }
            }
            return null;
          });
      queues.put(member, next);
      next.whenComplete((done, failure) -> {
        synchronized (queues) {
          queues.remove(member, next);
        }
      });
    }
  }

  /**
   * Sends {@code member} this node's whole list after a wait: one timeout after its first miss,
   * doubling with each further one up to {@link #LAST_RESYNC}. At most one is waiting per member; a
   * member that left the view is skipped (the sync at its next join does the same).
   */
  private void resyncLater(String member) {
    Duration wait;
    synchronized (queues) {
      Resync last = resyncs.get(member);
      if (last != null && last.waiting()) {
        return;
      }
      Duration doubled = last == null ? timeout : last.delay().multipliedBy(2);
      wait = doubled.compareTo(LAST_RESYNC) > 0 ? LAST_RESYNC : doubled;
      resyncs.put(member, new Resync(wait, true));
    }
    CompletableFuture.delayedExecutor(wait.toMillis(), TimeUnit.MILLISECONDS).execute(() -> {
      synchronized (queues) {
        resyncs.put(member, new Resync(wait, false));
      }
      if (members.get().contains(member)) {
        log.info("{} --> {}: sending the whole directory again, after a change or sync it missed", self, member);
        send(member, SYNC, wholeList());
      } else {
        synchronized (queues) {
          resyncs.remove(member);
        }
      }
    });
  }

  /** The call, sent again while it gets no answer and the member stays in the view. */
  private <Q> CompletableFuture<Void> answered(String member, MessageType<Q, Void> type, Q body, int attempt) {
    return endpoint.call(member, type, body, timeout).exceptionallyCompose(e -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      if (attempt < ATTEMPTS && cause instanceof RpcException r
          && (r.code() == RpcException.Code.TIMEOUT || r.code() == RpcException.Code.SEND_FAILED)
          && members.get().contains(member)) {
        log.info("{} --> {}: {} not answered ({}); sending it again", self, member, describe(body), cause.getMessage());
        return answered(member, type, body, attempt + 1);
      }
      return CompletableFuture.failedFuture(cause);
    });
  }

  private static String describe(Object body) {
    return switch (body) {
      case DirectoryList list -> "DIRECTORY_SYNC(" + list.domains().size() + " domains, " + list.aliases().size()
          + " aliases)";
      case DirectoryChange.Stamped s -> "DIRECTORY_CHANGE " + s.change();
      default -> "DIRECTORY_CHANGE " + body;
    };
  }
}
