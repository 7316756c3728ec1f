package dev.quill.cluster.directory;

import dev.quill.cluster.clock.HybridClock;
import dev.quill.cluster.clock.Periodic;
import dev.quill.cluster.mail.LoadBalancer;
import dev.quill.cluster.mail.Remote;
import dev.quill.cluster.mail.Replication;
import dev.quill.cluster.manager.MailMap;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.store.MailStore;
import dev.quill.store.ProfileImage;
import dev.quill.store.StoreException;
import dev.quill.store.Versioned;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every user's profile — password hash, quota, mailbox catalog, subscriptions, watermark
 * reservations — on R nodes, as one object replicated last-writer-wins under a hybrid-logical-clock
 * stamp ({@link HybridClock}, {@link MailStore#importProfile}).
 *
 * <p>Changes are made on the <em>primary</em>, the first holder by name in the user's mail map (every
 * node picks the same one). After a change the node serving the client calls {@link #replicate}: the
 * primary, under a per-user lock, stamps its copy with a fresh stamp, exports the whole image and
 * sends it to every other holder (PROFILE_IMPORT), and to spare nodes chosen by the load balancer
 * when fewer than R live nodes hold it — a new replica gets the whole image, so it needs no update
 * log. The caller answers the client only when at least the cluster's floor of copies
 * ({@link Replication#required}) is durable, else the change is refused as temporary. A deleted
 * user's image is a tombstone (its stamp outlives the profile), so a holder that was away does not
 * bring the user back.
 *
 * <p>Anti-entropy ({@link #syncAll}): after a view change and on a timer, each node sends every
 * other member the stamps of the profiles it holds (PROFILE_COMPARE, in chunks); the receiver
 * answers the images it holds newer and names the ones it holds older, which the sender then pushes.
 * Only a node holding a live profile takes an image this way, so a node left with a tombstone of a
 * user created again elsewhere does not become an extra holder. Because stamps order causally
 * related changes, a node whose wall clock runs seconds ahead or behind cannot make an older change
 * win (see the clock-skew test).
 *
 * <p>Tombstones go once every member has them ({@link TombstonePruner}). The comparison answers also
 * say which members hold each profile and, for equal stamps, their copy's digest: the primary then
 * repairs a profile with fewer than R live copies, or with a copy alike in stamp but not in contents
 * (a change whose replication never ran), by stamping and pushing its copy again; and one with more
 * than R alike copies (a holder back after a spare took its place) by asking the extra holders to
 * give theirs up (PROFILE_DROP), which leaves them plain holders of their fragments.
 *
 * <p>Wire: {@link TypeIds#PROFILE_REPLICATE}, {@link TypeIds#PROFILE_IMPORT},
 * {@link TypeIds#PROFILE_COMPARE} (version 2), {@link TypeIds#PROFILE_DROP}, layouts in {@link ProfileCodecs}.
 */
public final class ProfileReplicas {
  private static final Logger log = LoggerFactory.getLogger(ProfileReplicas.class);

  static final MessageType<String, Integer> REPLICATE = new MessageType<>(
      TypeIds.PROFILE_REPLICATE, 1, "PROFILE_REPLICATE", ProfileCodecs.USER, ProfileCodecs.COUNT);
  static final MessageType<ProfileImage, Boolean> IMPORT = new MessageType<>(
      TypeIds.PROFILE_IMPORT, 1, "PROFILE_IMPORT", ProfileCodecs.IMAGE, ProfileCodecs.BOOLEAN);
  static final MessageType<String, Void> PREPARE = new MessageType<>(
      TypeIds.PROFILE_PREPARE, 1, "PROFILE_PREPARE", ProfileCodecs.USER, Codecs.EMPTY);
  static final MessageType<Map<String, Long>, Compared> COMPARE = new MessageType<>(
      TypeIds.PROFILE_COMPARE, 2, "PROFILE_COMPARE", ProfileCodecs.VERSIONS, ProfileCodecs.COMPARED);
  /** Asks a holder to give up its copies of these profiles (user: the stamp the asker saw); answers those it gave up. */
  public static final MessageType<Map<String, Long>, Set<String>> DROP = new MessageType<>(
      TypeIds.PROFILE_DROP, 1, "PROFILE_DROP", ProfileCodecs.VERSIONS, ProfileCodecs.USERS);

  /**
   * Users per PROFILE_DROP request: each drop is a synced write and a notice to the user's manager,
   * so a request stays well inside the call's timeout on a slow disk.
   */
  static final int DROPS_PER_REQUEST = 100;

  /**
   * What a PROFILE_COMPARE answers: images newer on the answering node, users whose image is newer on
   * the asker, and (version 2) the users it holds live under the same stamp, with its copy's digest.
   */
  record Compared(List<ProfileImage> newerThere, Set<String> newerHere, Map<String, String> sameThere) {
    Compared {
      sameThere = Map.copyOf(sameThere);
    }
  }

  /** What one anti-entropy run did: {@code trimmed} counts the extra copies other nodes gave up at this node's request. */
  public record SyncResult(int compared, int pulled, int pushed, int trimmed, int failedMembers) {}

  private static final int LOCK_STRIPES = 64;

  private final String self;
  private final RpcEndpoint endpoint;
  private final MailStore local;
  private final HybridClock clock;
  private final ManagerClient managers;
  private final Supplier<List<String>> members;
  private final Replication replication;
  private final IntSupplier clusterSize;
  private final Spares spares;
  private final Consumer<String> copyDropped;

  /** Picks the nodes that take new copies of a profile. */
  @FunctionalInterface
  public interface Spares {
    /** Up to {@code count} live nodes, not among {@code holders}, to take a copy of {@code user}'s profile. */
    List<String> pick(String user, Set<String> holders, int count);
  }
  private final Duration timeout;
  private final ReentrantLock[] locks = new ReentrantLock[LOCK_STRIPES];
  private volatile SyncResult lastSync = new SyncResult(0, 0, 0, 0, 0);
  private final AtomicBoolean syncing = new AtomicBoolean();
  private final AtomicBoolean again = new AtomicBoolean();
  private volatile boolean closed;
  /** Whether a run has listed the profiles without a stamp (they are in no version list) to every member. */
  private volatile boolean unstampedListed;

  /**
   * Registers the handlers on {@code endpoint} (call before it listens).
   *
   * @param local this node's own store
   * @param clusterSize members known, live and presumed down: bounds the floor of copies
   * @param spares given the user, its current holders and a count, up to that many other live nodes to take a copy
   * @param copyDropped told of each user whose copy this node gave up, so that nodes which remember
   *     this node as the place to read that profile forget it
   */
  public ProfileReplicas(String self, RpcEndpoint endpoint, MailStore local, HybridClock clock, ManagerClient managers,
      Supplier<List<String>> members, Replication replication, IntSupplier clusterSize,
      Spares spares, Consumer<String> copyDropped, Duration timeout) {
    this.self = self;
    this.endpoint = endpoint;
    this.local = local;
    this.clock = clock;
    this.managers = managers;
    this.members = members;
    this.replication = replication;
    this.clusterSize = clusterSize;
    this.spares = spares;
    this.copyDropped = copyDropped;
    this.timeout = timeout;
    for (int i = 0; i < LOCK_STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
    endpoint.register(REPLICATE, (from, user) -> replicateHere(user));
    endpoint.register(IMPORT, (from, image) -> importHere(image));
    endpoint.register(COMPARE, (from, versions) -> compareHere(versions));
    endpoint.register(DROP, this::dropHere);
    endpoint.register(PREPARE, (from, user) -> {
      prepareHere(user);
      return null;
    });
  }

  /**
   * Before a change to {@code user}'s profile on its primary: the primary takes any newer copy
   * another live holder has (it may have just returned from being away, and be first by name
   * again), so that the change is made on the latest state rather than overwriting it.
   */
  public void prepare(String primary, String user) {
    if (primary.equals(self)) {
      prepareHere(user);
    } else {
      Remote.join(endpoint.call(primary, PREPARE, user, timeout.multipliedBy(2)), "preparing the profile of " + user);
    }
  }

  /** Durable copies a profile change needs before the client hears it succeeded. */
  public int required() {
    return replication.required(clusterSize.getAsInt());
  }

  /**
   * Replicates {@code user}'s profile from its primary, {@code primary}, after a change there; fails
   * with a temporary {@link StoreException} ("try again") when fewer than {@link #required} copies
   * are durable.
   */
  public void replicate(String primary, String user) {
    int copies = primary.equals(self) ? replicateHere(user)
        : Remote.join(endpoint.call(primary, REPLICATE, user, timeout.multipliedBy(2)), "replicating the profile of "
            + user);
    int required = required();
    if (copies < required) {
      throw new StoreException("the profile of " + user + " is durable on " + copies + " node(s), " + required
          + " needed; try again");
    }
  }

  /**
   * Runs {@link #syncAll} in the background now, unless a run is going on, in which case one more
   * run follows it (a view change during a run may bring members the run did not ask).
   */
  public void requestSync() {
    if (closed) {
      return;
    }
    if (!syncing.compareAndSet(false, true)) {
      again.set(true);
      return;
    }
    Thread.ofVirtual().name("profile-sync-" + self).start(() -> {
      try {
        do {
          again.set(false);
          try {
            syncAll();
          } catch (RuntimeException e) {
            log.info("{}: profile anti-entropy failed: {}", self, e.getMessage());
          }
        } while (again.get() && !closed);
      } finally {
        syncing.set(false);
      }
    });
  }

  /** Starts anti-entropy every {@code interval}, until {@link #close}. */
  public void start(Duration interval) {
    Periodic.start("profile-sync-timer-" + self, interval, () -> closed, this::requestSync);
  }

  /** Stops the timer; a run going on finishes its current member. */
  public void close() {
    closed = true;
  }

  /** The last anti-entropy run's result. */
  public SyncResult lastSync() {
    return lastSync;
  }

  // ---------------------------------------------------------------- the primary

  /** Stamps this node's copy, pushes it to the other holders and spares; the number of durable copies. */
  private int replicateHere(String user) {
    ReentrantLock lock = lockOf(user);
    lock.lock();
    try {
      clock.observe(local.version(Versioned.PROFILE, user));
      local.setVersion(Versioned.PROFILE, user, clock.now());
      ProfileImage image = local.exportProfile(user).orElseThrow(() -> new StoreException("unknown user " + user));
      MailMap map = Remote.join(managers.mailMap(user), "reading the mail map of " + user);
      Set<String> live = new LinkedHashSet<>(members.get());
      List<String> targets = new ArrayList<>(map.profileNodes().stream()
          .filter(n -> !n.equals(self) && live.contains(n)).toList());
      List<String> added = List.of();
      // A tombstone goes to spares too: it must outlive this node, to meet a holder that was away with the
      // live profile; without one, a delete with a holder down was durable here alone and refused.
      if (targets.size() + 1 < replication.replicas()) {
        Set<String> holders = new LinkedHashSet<>(targets);
        holders.add(self);
        added = spares.pick(user, holders, replication.replicas() - holders.size());
        targets.addAll(added);
      }
      Map<String, CompletableFuture<Boolean>> calls = new TreeMap<>();
      for (String node : targets) {
        calls.put(node, endpoint.call(node, IMPORT, image, timeout));
      }
      int copies = 1;
      for (var call : calls.entrySet()) {
        try {
          if (call.getValue().join()) {
            copies++;
            if (added.contains(call.getKey()) && !image.tombstone()) {
              Remote.join(managers.profileStored(user, call.getKey(), true), "registering a copy of " + user);
              log.info("{} --> {}: new copy of the profile of {}", self, call.getKey(), user);
            }
          }
        } catch (RuntimeException e) {
          log.info("{} --> {}: profile of {} not copied: {}", self, call.getKey(), user, e.getMessage());
        }
      }
      return copies;
    } finally {
      lock.unlock();
    }
  }

  private void prepareHere(String user) {
    ReentrantLock lock = lockOf(user);
    lock.lock();
    try {
      MailMap map = Remote.join(managers.mailMap(user), "reading the mail map of " + user);
      Set<String> live = new LinkedHashSet<>(members.get());
      Map<String, Long> mine = Map.of(user, local.version(Versioned.PROFILE, user));
      for (String holder : map.profileNodes()) {
        if (!holder.equals(self) && live.contains(holder)) {
          try {
            Compared answer = Remote.join(endpoint.call(holder, COMPARE, mine, timeout), "comparing a profile");
            answer.newerThere().forEach(this::importHere);
          } catch (RuntimeException e) {
            log.info("{} --> {}: profile of {} not compared before a change: {}", self, holder, user, e.getMessage());
          }
        }
      }
    } finally {
      lock.unlock();
    }
  }

  private ReentrantLock lockOf(String user) {
    return locks[Math.floorMod(user.hashCode(), LOCK_STRIPES)];
  }

  /**
   * Gives up this node's copies of the named profiles that are still at the stamps given (a change
   * that reached a copy since the primary looked keeps it), and tells each user's manager; the
   * users whose copy went. Their mailbox fragments stay here ({@link MailStore#dropProfile}).
   */
  private Set<String> dropHere(String from, Map<String, Long> stamps) {
    Set<String> dropped = new LinkedHashSet<>();
    Map<String, CompletableFuture<Void>> notices = new LinkedHashMap<>();
    // Not on the asker's word alone: the manager must list R other live holders, or this copy stays
    // (a primary acting on an old run, or a manager still rebuilding, asks again later).
    Map<String, CompletableFuture<MailMap>> maps = new LinkedHashMap<>();
    stamps.keySet().forEach(user -> maps.put(user, managers.mailMap(user)));
    Set<String> live = new HashSet<>(members.get());
    stamps.forEach((user, stamp) -> {
      long others;
      try {
        others = Remote.join(maps.get(user), "reading the mail map of " + user).profileNodes().stream()
            .filter(n -> !n.equals(self) && live.contains(n)).count();
      } catch (RuntimeException e) {
        log.info("{}: copy of the profile of {} kept: {}", self, user, e.getMessage());
        return;
      }
      if (others < replication.replicas()) {
        log.info("{}: copy of the profile of {} kept: {} asked to drop it, but its manager lists {} other live "
            + "holder(s), {} needed", self, user, from, others, replication.replicas());
        return;
      }
      ReentrantLock lock = lockOf(user);
      lock.lock();
      try {
        if (local.dropProfile(user, stamp)) {
          dropped.add(user);
          notices.put(user, managers.profileStored(user, self, false));
          copyDropped.accept(user);
        }
      } finally {
        lock.unlock();
      }
    });
    notices.forEach((user, notice) -> {
      try {
        Remote.join(notice, "unregistering the copy of the profile of " + user);
      } catch (RuntimeException e) {
        // the manager learns it from this node's next report; until then it may send a change here,
        // which gives this node the copy again, and the next anti-entropy run trims it again
        log.info("{}: manager not told that the copy of the profile of {} is gone: {}", self, user, e.getMessage());
      }
    });
    if (!dropped.isEmpty()) {
      log.info("{}: gave up {} extra profile copies at {}'s request", self, dropped.size(), from);
    }
    return dropped;
  }

  /** Applies an image when newer; true when this node's copy is now at least as new. */
  private boolean importHere(ProfileImage image) {
    clock.observe(image.version());
    Set<String> had = new HashSet<>();
    local.mailboxes(image.address()).forEach(b -> had.add(b.name()));
    boolean applied = local.importProfile(image);
    if (applied) {
      log.debug("{}: profile of {} now at stamp {}{}", self, image.address(), image.version(),
          image.tombstone() ? " (deleted)" : "");
      // The catalog's mailboxes created here are fragments like any: the manager must list this node
      // among their holders, so that a later delete or rename of the mailbox reaches it.
      for (ProfileImage.Mailbox box : image.mailboxes()) {
        if (!had.contains(box.name())) {
          try {
            Remote.join(managers.mailboxCreated(image.address(), box.name(), box.uidValidity(), self),
                "registering " + box.name());
          } catch (RuntimeException e) {
            log.info("{}: copy of {}/{} not registered with the manager yet (the next report brings it): {}", self,
                image.address(), box.name(), e.getMessage());
          }
        }
      }
    }
    return local.version(Versioned.PROFILE, image.address()) >= image.version();
  }

  // ---------------------------------------------------------------- anti-entropy

  /**
   * Compares the stamps of every profile held here with every other live member and exchanges the
   * newer images; a member that does not answer is counted and skipped (the next run tries again).
   */
  public SyncResult syncAll() {
    Map<String, Long> held = new TreeMap<>(local.versions(Versioned.PROFILE));
    if (!unstampedListed) {
      // profiles from before stamps existed have none; listed once per start, they get one at their next change
      local.users().forEach(p -> held.putIfAbsent(p.address(), 0L));
    }
    int pulled = 0;
    int pushed = 0;
    int failed = 0;
    List<String> users = new ArrayList<>(held.keySet());
    Map<String, Set<String>> holders = new HashMap<>(); // other members holding each user's profile live
    Set<String> differing = new TreeSet<>(); // same stamp elsewhere, other contents
    Map<String, Set<String>> alike = new HashMap<>(); // other members holding each profile under this node's stamp
    for (String member : members.get()) {
      if (member.equals(self) || closed) {
        continue;
      }
      try {
        for (int i = 0; i < users.size(); i += ProfileCodecs.MAX_COMPARED) {
          Map<String, Long> chunk = new LinkedHashMap<>();
          users.subList(i, Math.min(users.size(), i + ProfileCodecs.MAX_COMPARED))
              .forEach(u -> chunk.put(u, held.get(u)));
          Compared answer = Remote.join(endpoint.call(member, COMPARE, chunk, timeout), "comparing profiles");
          answer.sameThere().forEach((user, digest) -> {
            holders.computeIfAbsent(user, u -> new TreeSet<>()).add(member);
            alike.computeIfAbsent(user, u -> new HashSet<>()).add(member);
            if (local.exportProfile(user).filter(mine -> !mine.digest().equals(digest)).isPresent()) {
              differing.add(user);
            }
          });
          answer.newerHere().forEach(user -> holders.computeIfAbsent(user, u -> new TreeSet<>()).add(member));
          answer.newerThere().stream().filter(image -> !image.tombstone())
              .forEach(image -> holders.computeIfAbsent(image.address(), u -> new TreeSet<>()).add(member));
          for (ProfileImage image : answer.newerThere()) {
            if (holdsLive(image.address()) && importHere(image)) {
              pulled++;
            }
          }
          for (String user : answer.newerHere()) {
            Optional<ProfileImage> image = local.exportProfile(user);
            if (image.isPresent()) {
              Remote.join(endpoint.call(member, IMPORT, image.get(), timeout), "pushing the profile of " + user);
              pushed++;
            }
          }
        }
      } catch (RuntimeException e) {
        failed++;
        log.info("{} --> {}: profile comparison not finished: {}", self, member, e.getMessage());
      }
    }
    unstampedListed = failed == 0;
    // With every member's answer in hand, each profile's primary repairs its copies: too few (created
    // while the cluster was smaller than R, a holder forgotten), or alike in stamp but not in contents
    // (a change whose replication never ran): it stamps its copy again and pushes it, to spares too.
    // More live copies than R (a holder back after a spare took its place) are trimmed the same way:
    // the primary asks the extra holders to give theirs up, when every copy is alike (same stamp and
    // contents), so that the copies kept are as new as the ones that go.
    int repaired = 0;
    int trimmed = 0;
    if (failed == 0 && !closed) {
      int wanted = Math.min(replication.replicas(), members.get().size());
      Map<String, Map<String, Long>> extras = new TreeMap<>(); // node: users whose copy it should give up, stamps
      for (String user : users) {
        Set<String> others = holders.getOrDefault(user, Set.of());
        boolean primary = others.stream().allMatch(other -> self.compareTo(other) < 0);
        if (!holdsLive(user) || !primary) {
          continue;
        }
        if (others.size() + 1 < wanted || differing.contains(user)) {
          try {
            replicateHere(user);
            repaired++;
          } catch (RuntimeException e) {
            log.info("{}: copies of the profile of {} not repaired: {}", self, user, e.getMessage());
          }
        } else if (others.size() + 1 > replication.replicas() && held.get(user) > 0
            && alike.getOrDefault(user, Set.of()).containsAll(others)) {
          for (String extra : extraHolders(user, others, replication.replicas() - 1)) {
            extras.computeIfAbsent(extra, n -> new LinkedHashMap<>()).put(user, held.get(user));
          }
        }
      }
      for (var entry : extras.entrySet()) {
        trimmed += trim(entry.getKey(), entry.getValue());
      }
    }
    SyncResult result = new SyncResult(held.size(), pulled, pushed + repaired, trimmed, failed);
    lastSync = result;
    if (pulled + pushed + trimmed > 0) {
      log.info("{}: profile anti-entropy compared {}, took {} newer, sent {} newer, trimmed {} extra copies", self,
          held.size(), pulled, pushed, trimmed);
    }
    return result;
  }

  /**
   * The holders among {@code others} beyond the first {@code keep} in an order drawn from the user
   * (the same on every node, and different per user, so that the copies kept spread over the nodes).
   */
  private static List<String> extraHolders(String user, Set<String> others, int keep) {
    List<String> ordered = others.stream()
        .sorted(Comparator.comparingLong((String node) -> LoadBalancer.tieKey(user, node))
            .thenComparing(Comparator.naturalOrder()))
        .toList();
    return ordered.subList(Math.min(keep, ordered.size()), ordered.size());
  }

  /** Asks {@code node} to give up its copies of these profiles (user: stamp); how many it gave up. */
  private int trim(String node, Map<String, Long> stamps) {
    int dropped = 0;
    List<String> users = new ArrayList<>(stamps.keySet());
    for (int i = 0; i < users.size() && !closed; i += DROPS_PER_REQUEST) {
      Map<String, Long> chunk = new LinkedHashMap<>();
      users.subList(i, Math.min(users.size(), i + DROPS_PER_REQUEST)).forEach(u -> chunk.put(u, stamps.get(u)));
      try {
        dropped += Remote.join(endpoint.call(node, DROP, chunk, timeout), "trimming profile copies").size();
      } catch (RuntimeException e) {
        if (e.getCause() instanceof RpcException r && r.code() == RpcException.Code.UNKNOWN_TYPE) {
          // an older release, which keeps its copies until it is upgraded: not worth a line every run
          log.debug("{} --> {}: extra profile copies not trimmed: it does not know PROFILE_DROP", self, node);
        } else {
          log.info("{} --> {}: extra profile copies not trimmed (the next run tries again): {}", self, node,
              e.getMessage());
        }
        break;
      }
    }
    return dropped;
  }

  private Compared compareHere(Map<String, Long> theirs) {
    List<ProfileImage> newer = new ArrayList<>();
    Set<String> older = new LinkedHashSet<>();
    Map<String, String> same = new LinkedHashMap<>();
    theirs.forEach((user, version) -> {
      long mine = local.version(Versioned.PROFILE, user);
      boolean live = holdsLive(user);
      if (mine == 0 && !live) {
        return; // not a holder of this user
      }
      if (mine > version) {
        local.exportProfile(user).ifPresent(newer::add);
      } else if (mine < version && live) {
        older.add(user); // only a live holder takes images this way: a tombstone here is no reason to hold it
      } else if (mine == version && live) {
        local.exportProfile(user).ifPresent(image -> same.put(user, image.digest()));
      }
    });
    return new Compared(newer, older, same);
  }

  private boolean holdsLive(String user) {
    return local.user(user).isPresent();
  }
}
