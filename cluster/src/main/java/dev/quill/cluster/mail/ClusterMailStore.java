package dev.quill.cluster.mail;

import dev.quill.cluster.directory.Directory;
import dev.quill.cluster.directory.ProfileAccess;
import dev.quill.cluster.directory.ProfileReplicas;
import dev.quill.cluster.manager.MailMap;
import dev.quill.cluster.manager.MaildropLeases;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.ModSeqGrant;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.store.Addresses;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.CopyResult;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.DeliveryResult;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MaildropLock;
import dev.quill.store.MailboxContents;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MailboxNames;
import dev.quill.store.MailboxWatch;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import dev.quill.store.StoreStats;
import dev.quill.store.UserFragments;
import dev.quill.store.UserProfile;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumSet;
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
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The mail store of a clustered node: the whole cluster's mail behind the {@link MailStore}
 * interface, so SMTP, POP3 and IMAP serve any user on any node unchanged (Porcupine's "every node
 * runs every service").
 *
 * <p>Where each part lives: a user's profile and mailbox catalog (names, SPECIAL-USE,
 * subscriptions) on the node that created the user; messages in mailbox fragments on the nodes the
 * load balancer picked; domains and aliases on every node ({@link Directory}). The user's manager
 * says where the profile and the fragments are ({@link MailMap}) and numbers everything
 * mailbox-wide: UIDs of new messages, MODSEQs of flag changes and expunges. Reads gather a mailbox
 * from all its fragments ({@link MailboxLayout}); operations on messages go to the node holding each.
 * A fragment node that does not answer leaves its messages out of the read, and
 * {@link #unreachable} says which nodes were missed, so that sessions can tell the client.
 *
 * <p>Changes made through any node reach sessions on every node: the local store's watch, and the
 * manager's forwarding of change notices ({@link ClusterWatches}).
 *
 * <p>Not atomic across nodes: a COPY or MOVE whose messages lie on several nodes is done per
 * message; a failure midway leaves the messages copied so far (MOVE expunges only after every copy
 * is stored, so nothing is lost). Renaming INBOX moves its messages as a MOVE does.
 */
public final class ClusterMailStore implements MailStore {
  private static final Logger log = LoggerFactory.getLogger(ClusterMailStore.class);
  /** Fragment renames a holder did not make during a RENAME, made again in the background. */
  private final PendingRenames pendingRenames;

  /**
   * How long a profile's location and content (quota) are reused without asking again. Every change
   * made through a node is announced to the others (PROFILE_CHANGED), which forget their entry, and
   * every view change forgets them all; this bound covers a missed notice.
   */
  private static final long PROFILE_TTL_NANOS = Duration.ofSeconds(60).toNanos();
  /**
   * How long "no such user" is reused: short, since a user added meanwhile whose notice was missed
   * would otherwise have mail refused as unknown.
   */
  private static final long UNKNOWN_TTL_NANOS = Duration.ofSeconds(5).toNanos();
  /** Gathered layouts kept for routing message operations, at most. */
  private static final int MAX_LAYOUTS = 10_000;
  /** Looks for messages a rebalance moved away from the node a layout named, at most. */
  private static final int MOVED_LOOKS = 4;

  private final String self;
  private final MailStore local;
  private final ManagerClient managers;
  private final FragmentAccess fragments;
  private final ProfileAccess profiles;
  private final ProfileReplicas profileReplicas;
  private final Directory directory;
  private final ClusterDelivery delivery;
  private final ClusterWatches watches;
  private final Supplier<List<String>> members;
  private final Supplier<Set<String>> missing;
  private final Duration timeout;
  private final Replication replication;
  private final BiPredicate<String, String> unreadableHere;
  private final MissedChanges missed;
  private final MaildropLeases maildrops;
  private final Map<String, MailboxLayout> layouts = new ConcurrentHashMap<>();
  private final Map<String, CachedProfile> profileCache = new ConcurrentHashMap<>();

  /**
   * @param local this node's own store, which this store does not close
   * @param members the current view's members
   * @param missing members that left without a graceful leave and have not returned (presumed down)
   * @param timeout for each call to another node
   * @param replication copies kept of each message; changes must reach as many as it requires
   * @param unreadableHere whether this node's copy of a mailbox may lack changes it missed while
   *     away ({@link ReplicaSync#unreadable}): meanwhile reads use the other copies, not this node's
   * @param missed told of holders that did not answer a change in time
   * @param profileReplicas copies each profile change to the profile's other holders
   * @param pendingRenames takes the fragment renames a holder did not make; closed with this store
   */
  public ClusterMailStore(String self, MailStore local, ManagerClient managers, FragmentAccess fragments,
      ProfileAccess profiles, ProfileReplicas profileReplicas, Directory directory, ClusterDelivery delivery,
      dev.quill.cluster.manager.ChangeNotices notices, MaildropLeases maildrops, Supplier<List<String>> members,
      Supplier<Set<String>> missing, Duration timeout, Replication replication,
      BiPredicate<String, String> unreadableHere, MissedChanges missed, PendingRenames pendingRenames) {
    this.maildrops = maildrops;
    this.missed = missed;
    this.replication = replication;
    this.unreadableHere = unreadableHere;
    this.self = self;
    this.local = local;
    this.managers = managers;
    this.fragments = fragments;
    this.profiles = profiles;
    this.profileReplicas = profileReplicas;
    this.directory = directory;
    this.delivery = delivery;
    this.watches = new ClusterWatches(local, notices);
    profiles.onChanged(profileCache::remove);
    // New mail is announced to other nodes only for users someone watches (the manager says so).
    delivery.onStored((event, watched) -> watches.changed(event, false, watched));
    this.members = members;
    this.missing = missing;
    this.timeout = timeout;
    this.pendingRenames = pendingRenames;
  }

  /** After a view change: every watching session re-reads its mailbox (a holder may have left or returned). */
  public void membershipChanged() {
    profileCache.clear(); // profiles may have become unreachable, or reachable again
    watches.membershipChanged();
  }

  // ---- Domains and aliases: the same on every node -------------------------------------------

  @Override
  public boolean addDomain(String domain) {
    return directory.addDomain(domain);
  }

  @Override
  public boolean deleteDomain(String domain) {
    return directory.deleteDomain(domain);
  }

  @Override
  public List<String> domains() {
    return local.domains();
  }

  @Override
  public boolean hasDomain(String domain) {
    return local.hasDomain(domain);
  }

  @Override
  public void addAlias(String alias, String target) {
    String t = Addresses.normalize(target);
    if (profileNode(t).isEmpty()) {
      throw new StoreException("cannot add alias " + Addresses.normalize(alias) + ": its target " + t
          + " is not a user of this cluster");
    }
    directory.addAlias(alias, t);
  }

  @Override
  public boolean deleteAlias(String alias) {
    return directory.deleteAlias(alias);
  }

  @Override
  public Map<String, String> aliases() {
    return local.aliases();
  }

  @Override
  public Optional<String> resolveRecipient(String address) {
    String a = Addresses.normalize(address);
    if (profileNode(a).isPresent()) {
      return Optional.of(a);
    }
    Optional<String> target = local.aliasTarget(a).filter(t -> profileNode(t).isPresent());
    if (target.isPresent()) {
      return target;
    }
    unknownForNow(a); // "unknown" now would bounce mail for good
    return Optional.empty();
  }

  /**
   * For a user with no profile found: fails as temporary when the profile may exist where it cannot
   * be seen now — on a member presumed down, or on a member whose report the user's manager has
   * not had since the last view change.
   */
  private void unknownForNow(String user) {
    Set<String> down = missing.get();
    if (!down.isEmpty()) {
      throw new StoreException("cannot tell whether " + user + " exists while " + String.join(", ", down)
          + " is down; try again later");
    }
    MailMap fresh = map(user);
    if (!fresh.complete()) {
      profileCache.remove(user); // not a settled "no such user"
      throw new StoreException("cannot tell whether " + user + " exists until " + String.join(", ",
          fresh.waitingFor()) + " reported to its manager; try again");
    }
  }

  // ---- Users: on their profile node -----------------------------------------------------------

  /**
   * Creates the user on this node, which becomes its profile node, after making sure no other
   * node holds a profile of that name; the manager learns of the profile and its mailboxes before
   * this returns, so the first delivery numbers them under the UIDVALIDITY they have here.
   */
  @Override
  public UserProfile addUser(String address, char[] password) {
    String a = Addresses.normalize(address);
    MailMap map = map(a);
    // Right after a view change the manager may still wait for a member that could hold this user.
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!map.complete() && map.profileNodes().isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException("interrupted while adding " + a);
      }
      map = map(a);
    }
    if (!map.profileNodes().isEmpty()) {
      throw new StoreException("cannot add user " + a + ": it already exists on " + map.profileNodes().getFirst());
    }
    if (!map.complete()) {
      throw new StoreException("cannot add user " + a + ": the cluster is reconfiguring and "
          + map.waitingFor() + " may hold it; try again");
    }
    UserProfile profile = local.addUser(a, password);
    Remote.join(managers.profileStored(a, self, true), "registering the profile of " + a);
    for (MailboxInfo box : local.mailboxes(a)) {
      Remote.join(managers.mailboxCreated(a, box.name(), box.uidValidity(), self), "registering " + box.name());
    }
    try {
      profileReplicas.replicate(self, a); // copies on R-1 more nodes before the operator hears "added"
    } catch (StoreException e) {
      deleteUser(a); // not durable enough: gone again everywhere, so that trying again starts afresh
      throw new StoreException("cannot add user " + a + ": " + e.getMessage(), e);
    }
    profileChanged(a); // after the manager knows: a node that looks again must find the profile
    return profile;
  }

  @Override
  public void setPassword(String address, char[] password) {
    String a = Addresses.normalize(address);
    String node = requireProfileNode(a);
    at(node, () -> {
      local.setPassword(a, password);
      return null;
    }, n -> profiles.setPassword(n, a, password, timeout), "setting the password of " + a);
    replicated(node, a);
  }

  @Override
  public void setQuota(String address, long quotaBytes) {
    String a = Addresses.normalize(address);
    String node = requireProfileNode(a);
    at(node, () -> {
      local.setQuota(a, quotaBytes);
      return null;
    }, n -> profiles.setQuota(n, a, quotaBytes, timeout), "setting the quota of " + a);
    replicated(node, a);
  }

  /** Deletes the profile on its node and every fragment of the user's mailboxes elsewhere. */
  @Override
  public boolean deleteUser(String address) {
    String a = Addresses.normalize(address);
    MailMap map = map(a);
    if (map.profileNodes().isEmpty()) {
      return false;
    }
    Optional<String> node = Optional.of(map.profileNodes().getFirst());
    profileReplicas.prepare(node.get(), a);
    boolean deleted = at(node.get(), () -> local.deleteUser(a), n -> profiles.deleteUser(n, a, timeout),
        "deleting " + a);
    StoreException notReplicated = null;
    try {
      profileReplicas.replicate(node.get(), a); // the tombstone reaches the other holders, who delete theirs
    } catch (StoreException e) {
      notReplicated = e; // the fragments still go; anti-entropy takes the tombstone to the holder that missed it
    }
    for (String holder : map.profileNodes()) {
      Remote.join(managers.profileStored(a, holder, false), "unregistering the profile of " + a);
    }
    profileChanged(a);
    local.aliases().forEach((alias, target) -> {
      if (target.equals(a)) {
        directory.deleteAlias(alias); // everywhere: the profile node removed only its own copy
      }
    });
    for (MailMap.MailboxLocation box : map.mailboxes()) {
      for (String holder : box.nodes()) {
        if (!holder.equals(node.get())) {
          // a holder of a copy of the profile deleted everything of the user when the tombstone reached it
          at(holder, () -> local.mailbox(a, box.name()).isPresent() && local.deleteMailbox(a, box.name()),
              n -> fragments.deleteFragment(n, a, box.name(), timeout),
              "deleting " + a + "'s fragment of " + box.name() + " on " + holder);
        }
        managers.fragmentDropped(a, box.name(), holder);
      }
    }
    if (notReplicated != null) {
      throw notReplicated;
    }
    return deleted;
  }

  /** The profiles held on this node (a cluster-wide listing would ask every node). */
  @Override
  public List<UserProfile> users() {
    return local.users();
  }

  @Override
  public Optional<UserProfile> user(String address) {
    String a = Addresses.normalize(address);
    return cachedProfile(a).profile();
  }

  @Override
  public boolean authenticate(String address, char[] password) {
    String a = Addresses.normalize(address);
    Optional<String> node = profileNode(a);
    if (node.isEmpty()) {
      unknownForNow(a); // a login refused now as temporary, not as invalid credentials
    }
    if (node.isEmpty() || node.get().equals(self)) {
      return local.authenticate(a, password); // an unknown user costs the same hashing time here
    }
    return Remote.join(profiles.authenticate(node.get(), a, password, timeout), "checking the password of " + a);
  }

  // ---- Delivery -----------------------------------------------------------------------------

  @Override
  public CompletableFuture<List<DeliveryResult>> deliver(Collection<String> users, String mailbox, byte[] message,
      Instant internalDate) {
    return deliver(users, mailbox, message, internalDate, null);
  }

  /**
   * Delivers through the cluster: each copy numbered by its user's manager and stored durably on
   * the node the balancer picked; a user over quota gets no copy.
   */
  @Override
  public CompletableFuture<List<DeliveryResult>> deliver(Collection<String> users, String mailbox, byte[] message,
      Instant internalDate, MessageDerived derived) {
    String box = MailboxNames.canonical(mailbox);
    List<String> within = new ArrayList<>();
    List<DeliveryResult> over = new ArrayList<>();
    for (String user : users) {
      String u = Addresses.normalize(user);
      if (overQuota(u, message.length)) {
        over.add(new DeliveryResult(u, DeliveryResult.Status.OVER_QUOTA, 0));
      } else {
        within.add(u);
      }
    }
    return delivery.deliver(within, box, message, internalDate, derived).thenApply(results -> {
      List<DeliveryResult> all = new ArrayList<>(results);
      all.addAll(over);
      return all;
    });
  }

  // ---- Reading a mailbox: gathered from its fragments ------------------------------------------

  @Override
  public Optional<MailboxInfo> mailbox(String user, String mailbox) {
    String u = Addresses.normalize(user);
    String box = MailboxNames.canonical(mailbox);
    MailMap map = map(u);
    return knownProfileNode(map, u).flatMap(profileNode -> {
      Set<String> nodes = nodesOf(map, box, profileNode);
      nodes.addAll(map.profileNodes()); // any copy of the catalog will do when the first does not answer
      Map<String, List<MailboxInfo>> byNode = fragmentLists(u, nodes);
      String catalogNode = answeringCatalog(byNode, u, profileNode, map);
      Optional<MailboxInfo> catalog = find(byNode.getOrDefault(catalogNode, List.of()), box);
      return catalog.map(c -> exact(combine(c, byNode, location(map, box)), byNode, () -> gather(u, box, map)));
    });
  }

  /**
   * The record and the messages from one gathering: the nodes holding the user's catalog are asked
   * for their listing with the fragments', and the record's counts come from that same gathering
   * (a POP3 login or an IMAP SELECT read the mailbox three times when {@link #mailbox} and
   * {@link #messages} each gathered, and asked every node for all the user's mailboxes besides).
   */
  @Override
  public Optional<MailboxContents> contents(String user, String mailbox) {
    String u = Addresses.normalize(user);
    String box = MailboxNames.canonical(mailbox);
    MailMap map = map(u);
    return knownProfileNode(map, u).flatMap(profileNode -> contents(u, box, map, profileNode));
  }

  private Optional<MailboxContents> contents(String u, String box, MailMap map, String profileNode) {
    Set<String> catalogs = new LinkedHashSet<>(List.of(profileNode));
    catalogs.addAll(map.profileNodes());
    Map<String, Optional<MailboxInfo>> records = new LinkedHashMap<>();
    MailboxLayout layout = gather(u, box, map, catalogs, records);
    Map<String, List<MailboxInfo>> byNode = new LinkedHashMap<>();
    records.forEach((node, record) -> byNode.put(node, record.stream().toList()));
    if (catalogs.stream().noneMatch(byNode::containsKey)) {
      // Every catalog refused the listing (each catching up after being away): each still answers
      // for its catalog, as mailbox() asks it.
      byNode.putAll(fragmentLists(u, catalogs));
    }
    String catalogNode = answeringCatalog(byNode, u, profileNode, map);
    Optional<MailboxInfo> catalog = find(byNode.getOrDefault(catalogNode, List.of()), box);
    return catalog.map(c -> new MailboxContents(exact(combine(c, byNode, location(map, box)), byNode, () -> layout),
        layout.messages()));
  }

  @Override
  public List<MailboxInfo> mailboxes(String user) {
    String u = Addresses.normalize(user);
    MailMap map = map(u);
    Optional<String> profileNode = knownProfileNode(map, u);
    if (profileNode.isEmpty()) {
      return List.of();
    }
    Set<String> nodes = new LinkedHashSet<>();
    nodes.add(profileNode.get());
    map.mailboxes().forEach(b -> nodes.addAll(b.nodes()));
    nodes.addAll(map.profileNodes());
    Map<String, List<MailboxInfo>> byNode = fragmentLists(u, nodes);
    String catalogNode = answeringCatalog(byNode, u, profileNode.get(), map);
    List<MailboxInfo> result = new ArrayList<>();
    for (MailboxInfo c : byNode.getOrDefault(catalogNode, List.of())) {
      result.add(exact(combine(c, byNode, location(map, c.name())), byNode, () -> gather(u, c.name(), map)));
    }
    return result;
  }

  @Override
  public List<MessageMeta> messages(String user, String mailbox) {
    return gather(Addresses.normalize(user), MailboxNames.canonical(mailbox)).messages();
  }

  @Override
  public boolean remoteReads() {
    return true;
  }

  @Override
  public List<String> unreachable(String user, String mailbox) {
    MailboxLayout layout = layouts.get(key(Addresses.normalize(user), MailboxNames.canonical(mailbox)));
    return layout == null ? List.of() : layout.unreachable();
  }

  @Override
  public Optional<byte[]> readMessage(String user, String mailbox, long uid) throws CorruptMessageException {
    return LoadedMessage.onlyBody(load(user, mailbox, List.of(uid), EnumSet.of(LoadedMessage.Part.BODY)));
  }

  @Override
  public List<LoadedMessage> load(String user, String mailbox, List<Long> uids, Set<LoadedMessage.Part> parts) {
    return loadAt(user, mailbox, 0, uids, parts);
  }

  @Override
  public List<LoadedMessage> loadUnder(String user, String mailbox, long uidValidity, List<Long> uids,
      Set<LoadedMessage.Part> parts) {
    requirePositive(uidValidity);
    return loadAt(user, mailbox, uidValidity, uids, parts);
  }

  /**
   * The load, each node's part read there under {@code uidValidity} (0: unchecked), so that a fragment
   * renumbered since the caller took its UIDs refuses instead of giving other messages under them.
   */
  private List<LoadedMessage> loadAt(String user, String mailbox, long uidValidity, List<Long> uids,
      Set<LoadedMessage.Part> parts) {
    String u = Addresses.normalize(user);
    String box = MailboxNames.canonical(mailbox);
    MailboxLayout layout = layoutFor(u, box, uids);
    Map<Long, LoadedMessage> found = new HashMap<>();
    Map<String, CompletableFuture<List<LoadedMessage>>> calls = new LinkedHashMap<>();
    layout.byReader(uids, self).forEach((node, group) -> calls.put(node, node.equals(self)
        ? CompletableFuture.completedFuture(uidValidity == 0 ? local.load(u, box, group, parts)
            : local.loadUnder(u, box, uidValidity, group, parts))
        : fragments.load(node, u, box, uidValidity, group, parts, timeout)));
    calls.forEach((node, call) -> {
      for (LoadedMessage m : Remote.join(call, "reading messages of " + u + "/" + box + " on " + node)) {
        found.put(m.meta().uid(), m);
      }
    });
    List<LoadedMessage> result = new ArrayList<>(found.size());
    for (Long uid : uids) {
      LoadedMessage m = found.get(uid);
      if (m != null) {
        result.add(m);
      }
    }
    return result;
  }

  @Override
  public Optional<MessageDerived> derived(String user, String mailbox, long uid) {
    List<LoadedMessage> loaded = load(user, mailbox, List.of(uid), EnumSet.of(LoadedMessage.Part.DERIVED));
    return loaded.isEmpty() ? Optional.empty() : Optional.ofNullable(loaded.getFirst().derived());
  }

  @Override
  public List<Long> expungedSince(String user, String mailbox, long modSeq) {
    String u = Addresses.normalize(user);
    String box = MailboxNames.canonical(mailbox);
    TreeSet<Long> all = new TreeSet<>();
    for (String node : nodesOf(map(u), box, null)) {
      all.addAll(at(node, () -> local.expungedSince(u, box, modSeq),
          n -> fragments.expungedSince(n, u, box, modSeq, timeout), "reading expunges of " + u + "/" + box));
    }
    return List.copyOf(all);
  }

  @Override
  public long usage(String user) {
    String u = Addresses.normalize(user);
    if (replication.replicas() > 1) {
      // each node's usage counts its replicas too: sum the mailboxes' own sizes instead
      return mailboxes(u).stream().mapToLong(MailboxInfo::totalBytes).sum();
    }
    Set<String> nodes = new LinkedHashSet<>();
    MailMap map = map(u);
    map.mailboxes().forEach(b -> nodes.addAll(b.nodes()));
    long sum = 0;
    for (String node : nodes) {
      sum += at(node, () -> local.usage(u), n -> fragments.usage(n, u, timeout), "reading the usage of " + u);
    }
    return sum;
  }

  // ---- Changing messages: on the nodes that hold them ------------------------------------------

  @Override
  public CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids) {
    return expungeThrough(user, mailbox, 0, uids, false);
  }

  /**
   * Refused by the manager when it numbers the mailbox under another UIDVALIDITY, and by each holder
   * whose fragment has another (a renumbering under way reaches the holders one by one): nothing is
   * removed where the UIDs name other messages now.
   */
  @Override
  public CompletableFuture<Void> expungeUnder(String user, String mailbox, long uidValidity, Collection<Long> uids) {
    requirePositive(uidValidity);
    return expungeThrough(user, mailbox, uidValidity, uids, false);
  }

  /** As {@link #expungeUnder}, refused while no holder of one of the messages lists it ({@link #requireListed}). */
  @Override
  public CompletableFuture<Void> expungeDeletedUnder(String user, String mailbox, long uidValidity,
      Collection<Long> uids) {
    requirePositive(uidValidity);
    return expungeThrough(user, mailbox, uidValidity, uids, true);
  }

  /**
   * An expunge through the cluster, checked against {@code uidValidity} unless it is 0; {@code byFlags}
   * when the UIDs were chosen by flags read before (not by the session's own marks, as POP3's DELE).
   */
  private CompletableFuture<Void> expungeThrough(String user, String mailbox, long uidValidity,
      Collection<Long> uids, boolean byFlags) {
    String u = Addresses.normalize(user);
    String box = MailboxNames.canonical(mailbox);
    try {
      MailboxLayout cached = layoutFor(u, box, uids);
      // who could not be read may have changed since this layout was
      MailboxLayout layout = !byFlags || cached.down().isEmpty() ? cached : gather(u, box);
      Map<String, List<Long>> groups = layout.byHolder(uids);
      requireSeen(u, box, layout, uids, "expunge");
      if (byFlags) {
        requireListed(u, box, layout, uids);
      }
      if (groups.isEmpty()) {
        return CompletableFuture.completedFuture(null);
      }
      // One MODSEQ for the whole expunge, so VANISHED (EARLIER) finds all of it above older ones.
      long modSeq = withModSeq(u, box, uidValidity, seq -> {
        onHolders(u, box, layout, groups, "expunging from " + u + "/" + box,
            (node, group) -> expungeAt(node, u, box, group, seq, uidValidity));
        expungeElsewhere(u, box, uids, groups, seq, uidValidity);
        return null;
      });
      List<Long> gone = groups.values().stream().flatMap(List::stream).distinct().sorted().toList();
      layouts.computeIfPresent(key(u, box), (k, l) -> l.withExpunged(uids));
      watches.changed(new MailboxEvent(u, box, MailboxEvent.Kind.EXPUNGED, gone, modSeq), onlyHere(groups.keySet()));
      return CompletableFuture.completedFuture(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public CompletableFuture<FlagResult> updateFlags(String user, String mailbox, Collection<Long> uids,
      FlagUpdate update) {
    return updateFlagsThrough(user, mailbox, 0, uids, update);
  }

  /** Refused as {@link #expungeUnder} is, by the manager and by each holder, changing nothing. */
  @Override
  public CompletableFuture<FlagResult> updateFlagsUnder(String user, String mailbox, long uidValidity,
      Collection<Long> uids, FlagUpdate update) {
    requirePositive(uidValidity);
    return updateFlagsThrough(user, mailbox, uidValidity, uids, update);
  }

  /** A flag change through the cluster, checked against {@code uidValidity} unless it is 0. */
  private CompletableFuture<FlagResult> updateFlagsThrough(String user, String mailbox, long uidValidity,
      Collection<Long> uids, FlagUpdate update) {
    String u = Addresses.normalize(user);
    String box = MailboxNames.canonical(mailbox);
    try {
      MailboxLayout layout = layoutFor(u, box, uids);
      Map<String, List<Long>> groups = layout.byHolder(uids);
      requireSeen(u, box, layout, uids, "change the flags of");
      if (groups.isEmpty()) {
        return CompletableFuture.completedFuture(new FlagResult(List.of(), Set.of()));
      }
      // One MODSEQ for the whole STORE (RFC 7162: one per command), given by the manager.
      List<MessageMeta> updated = new ArrayList<>();
      Set<Long> modified = new TreeSet<>();
      long[] chosen = {0};
      withModSeq(u, box, uidValidity, seq -> {
        updated.clear();
        modified.clear();
        for (FlagResult r : onHolders(u, box, layout, groups, "changing flags in " + u + "/" + box,
            (node, group) -> flagsAt(node, u, box, group, update, seq, uidValidity)).values()) {
          updated.addAll(r.updated());
          modified.addAll(r.modified());
        }
        Set<Long> notFound = new TreeSet<>(groups.values().stream().flatMap(List::stream).toList());
        for (int look = 1; look <= MOVED_LOOKS; look++) {
          updated.forEach(m -> notFound.remove(m.uid()));
          notFound.removeAll(modified);
          if (notFound.isEmpty()) {
            break;
          }
          // Not where the layout said (moved by a rebalance since it was read): ask every holder.
          pauseBeforeLook(look);
          layouts.remove(key(u, box));
          List<Long> wanted = List.copyOf(notFound);
          for (FlagResult r : onListedHolders(u, box, node -> wanted,
              (node, group) -> flagsAt(node, u, box, group, update, seq, uidValidity), "changing flags")) {
            updated.addAll(r.updated());
            modified.addAll(r.modified());
          }
        }
        chosen[0] = seq.modSeq();
        return null;
      });
      updated.sort(Comparator.comparingLong(MessageMeta::uid));
      dedupe(updated); // one entry per UID, though every replica answered
      layouts.computeIfPresent(key(u, box), (k, l) -> l.withChanged(updated));
      List<Long> changed = updated.stream().filter(m -> m.modSeq() == chosen[0]).map(MessageMeta::uid).toList();
      if (!changed.isEmpty()) {
        watches.changed(new MailboxEvent(u, box, MailboxEvent.Kind.FLAGS, changed, chosen[0]),
            onlyHere(groups.keySet()));
      }
      return CompletableFuture.completedFuture(new FlagResult(List.copyOf(updated), Set.copyOf(modified)));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Sends the expunge, under the same MODSEQ, to every node the manager lists for the mailbox now,
   * with the UIDs not sent there yet. A message moved by a rebalance since the layout was read is
   * where the layout did not say; a node that does not hold a UID changes nothing (and remembers it,
   * refusing a copy of it that arrives late). A copy still being made is covered by the mover, which
   * repeats expunges of the fragment it moves on its target ({@link FragmentAccess#expungeHere}).
   */
  private void expungeElsewhere(String user, String box, Collection<Long> uids, Map<String, List<Long>> sent,
      ModSeqGrant seq, long uidValidity) {
    onListedHolders(user, box, node -> {
      List<Long> rest = new ArrayList<>(new TreeSet<>(uids));
      rest.removeAll(sent.getOrDefault(node, List.of()));
      return rest;
    }, (node, rest) -> expungeAt(node, user, box, rest, seq, uidValidity), "expunging");
  }

  /**
   * Makes a change on every live node the manager lists for the mailbox now, each with the UIDs
   * {@code uidsFor} gives it (none: not asked), without reading the mailbox first: a node that does
   * not hold a UID leaves it alone. Asking blindly costs one small call a node, less than listing
   * them again, and does not depend on their listings being readable (a holder catching up refuses
   * listings, not changes: a copy there was missed by the second listing, and showed again after an
   * acknowledged expunge). A node that does not answer learns the change when it compares; one
   * without the mailbox is skipped; any other refusal (a stale MODSEQ) fails the change.
   */
  private <T> List<T> onListedHolders(String user, String box, Function<String, List<Long>> uidsFor,
      BiFunction<String, List<Long>, CompletableFuture<T>> change, String what) {
    List<String> live = members.get();
    Map<String, CompletableFuture<T>> calls = new LinkedHashMap<>();
    for (String node : nodesOf(map(user), box, null)) {
      List<Long> uids = uidsFor.apply(node);
      if (!uids.isEmpty() && live.contains(node)) {
        calls.put(node, change.apply(node, uids));
      }
    }
    List<T> answers = new ArrayList<>();
    calls.forEach((node, call) -> {
      try {
        answers.add(call.join());
      } catch (CompletionException | CancellationException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (Remote.unreachable(cause)) {
          missed.missed(node, user, box);
        } else if (!String.valueOf(cause.getMessage()).matches("(?s).*no (such )?mailbox .*")) {
          throw Remote.failure(cause, what + " on " + node);
        }
      }
    });
    return answers;
  }

  /**
   * Refuses, as temporary, a change of messages no answering copy lists while some fragment node did  /**
   * Refuses, as temporary, a change of messages no answering copy lists while some fragment node did
   * not answer (down, or catching up and not read): they may be held there alone, and answering OK
   * would report a change that was never made (a STORE \Deleted then EXPUNGE would leave the message).
   * With every fragment node answering, a UID nobody lists is gone and is skipped, as before.
   */
  private static void requireSeen(String user, String box, MailboxLayout layout, Collection<Long> uids,
      String what) {
    if (layout.down().isEmpty()) {
      return;
    }
    List<Long> unseen = uids.stream().filter(uid -> !layout.holders().containsKey(uid)).sorted().limit(10).toList();
    if (!unseen.isEmpty()) {
      throw new StoreException("cannot " + what + " UID " + unseen + " of " + user + "/" + box + " now: "
          + String.join(", ", layout.down()) + " did not answer and may hold them; try again");
    }
  }

  /**
   * Refuses, as temporary, an expunge of messages whose every holder did not list them now (down,
   * or catching up after a restart: such a node refuses listings but takes changes). The session
   * chose them by flags this node read before, which a change made through another node since may
   * have undone — a {@code STORE -FLAGS (\Deleted)} there, then this {@code EXPUNGE} would remove
   * the message all the same. Once a holder lists them again the expunge goes ahead.
   */
  private static void requireListed(String user, String box, MailboxLayout layout, Collection<Long> uids) {
    if (layout.down().isEmpty()) {
      return;
    }
    List<Long> unlisted = uids.stream().filter(uid -> {
      List<String> on = layout.holders().getOrDefault(uid, List.of());
      return !on.isEmpty() && layout.down().containsAll(on);
    }).sorted().limit(10).toList();
    if (!unlisted.isEmpty()) {
      throw new StoreException("cannot expunge UID " + unlisted + " of " + user + "/" + box + " now: their flags"
          + " cannot be read on " + String.join(", ", layout.down()) + "; try again");
    }
  }

  /** Waits a little longer before each new look for moved messages: the mover's notices may lag. */
  private static void pauseBeforeLook(int look) {
    if (look > 1) {
      try {
        Thread.sleep(50L * look);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException("interrupted while looking for moved messages");
      }
    }
  }

  private CompletableFuture<Void> expungeAt(String node, String user, String box, List<Long> uids,
      ModSeqGrant seq, long uidValidity) {
    return node.equals(self) ? fragments.expungeHere(user, box, uids, seq.modSeq(), seq.fence(), uidValidity)
        : fragments.expunge(node, user, box, uids, seq.modSeq(), seq.fence(), uidValidity, timeout);
  }

  private CompletableFuture<FlagResult> flagsAt(String node, String user, String box, List<Long> uids,
      FlagUpdate update, ModSeqGrant seq, long uidValidity) {
    return node.equals(self)
        ? fragments.updateFlagsHere(user, box, uids, update, seq.modSeq(), seq.fence(), uidValidity)
        : fragments.updateFlags(node, user, box, uids, update, seq.modSeq(), seq.fence(), uidValidity, timeout);
  }

  /**
   * Makes one change on every holder of the UIDs at once and waits for all. A holder that does not
   * answer is left out, as long as every UID it holds reached as many other copies as a write
   * requires; otherwise the change fails as temporary (the copies it reached keep it, and the
   * others learn it when they catch up). A holder's refusal fails the change in its own words.
   */
  private <T> Map<String, T> onHolders(String user, String box, MailboxLayout layout, Map<String, List<Long>> groups,
      String what,
      BiFunction<String, List<Long>, CompletableFuture<T>> change) {
    Map<String, CompletableFuture<T>> calls = new LinkedHashMap<>();
    groups.forEach((node, uids) -> calls.put(node, change.apply(node, uids)));
    Map<String, T> answered = new LinkedHashMap<>();
    List<String> silent = new ArrayList<>();
    RuntimeException refused = null;
    for (var call : calls.entrySet()) {
      try {
        answered.put(call.getKey(), call.getValue().join());
      } catch (CompletionException | CancellationException e) {
        Throwable cause = e.getCause() == null ? e : e.getCause();
        if (!Remote.unreachable(cause)) {
          refused = refused != null ? refused : Remote.failure(cause, what + " on " + call.getKey());
        } else {
          silent.add(call.getKey());
        }
      }
    }
    for (String node : silent) {
      missed.missed(node, user, box); // its copy missed the change: it compares later
    }
    // A holder whose listing was refused (catching up after a restart, its own sync of this mailbox
    // perhaps done already) or that is down was not asked at all: it compares later too. Without
    // this its copy kept the old flags until the next view change or sweep (chaos seed 21).
    for (String node : layout.down()) {
      missed.missed(node, user, box);
    }
    if (refused != null) {
      throw refused;
    }
    // With a holder silent now, or a fragment node down when the mailbox was gathered (its copies are
    // unknown: it may hold any UID), each UID must have reached enough copies that answered.
    if (!silent.isEmpty() || !layout.down().isEmpty()) {
      int required = required();
      List<String> missing = new ArrayList<>(silent);
      missing.addAll(layout.down());
      for (List<Long> uids : groups.values()) {
        for (long uid : uids) {
          long reached = layout.holders().getOrDefault(uid, List.of()).stream().filter(answered::containsKey).count();
          if (reached < required) {
            throw new StoreException(what + ": UID " + uid + " changed on " + reached + " node(s), " + required
                + " required, and " + missing + " did not answer; try again");
          }
        }
      }
    }
    return answered;
  }

  /** Durable copies a write needs now: the replication's floor, bounded by the members known (live and presumed down). */
  private int required() {
    return replication.required(members.get().size() + missing.get().size());
  }

  /** Keeps the first of each run of entries with one UID (the list is in UID order). */
  private static void dedupe(List<MessageMeta> sorted) {
    long[] last = {-1};
    sorted.removeIf(m -> {
      boolean repeat = m.uid() == last[0];
      last[0] = m.uid();
      return repeat;
    });
  }

  @Override
  public CompletableFuture<AppendResult> append(String user, String mailbox, byte[] message, Set<String> flags,
      Instant internalDate, MessageDerived derived) {
    String u = Addresses.normalize(user);
    String box = MailboxNames.canonical(mailbox);
    try {
      if (mailbox(u, box).isEmpty()) {
        throw new StoreException("no mailbox " + box + " for user " + u);
      }
      if (overQuota(u, message.length)) {
        return CompletableFuture.completedFuture(new AppendResult(false, 0, 0));
      }
      AppendResult r = Remote.join(delivery.store(u, box,
          List.of(new ClusterDelivery.Copy(message, flags, internalDate, derived))), "appending to " + box).getFirst();
      return CompletableFuture.completedFuture(r);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Reads the messages from their nodes, stores copies through the managers' numbering, and for a
   * MOVE expunges the originals once every copy is durable.
   */
  @Override
  public CompletableFuture<CopyResult> copy(String user, String from, Collection<Long> uids, String to, boolean move) {
    return copyAt(user, from, 0, uids, to, move);
  }

  @Override
  public CompletableFuture<CopyResult> copyUnder(String user, String from, long uidValidity, Collection<Long> uids,
      String to, boolean move) {
    requirePositive(uidValidity);
    return copyAt(user, from, uidValidity, uids, to, move);
  }

  /**
   * The copy: loaded from the source's nodes and, for a move, expunged there, both under {@code
   * uidValidity} when it is not 0, so that a renumbering on the way copies and removes nothing.
   */
  private CompletableFuture<CopyResult> copyAt(String user, String from, long uidValidity, Collection<Long> uids,
      String to, boolean move) {
    String u = Addresses.normalize(user);
    String source = MailboxNames.canonical(from);
    String target = MailboxNames.canonical(to);
    try {
      if (mailbox(u, source).isEmpty()) {
        throw new StoreException("no mailbox " + source + " for user " + u);
      }
      Optional<MailboxInfo> destination = mailbox(u, target);
      if (destination.isEmpty()) {
        throw new StoreException("no mailbox " + target + " for user " + u);
      }
      List<Long> ordered = uids.stream().distinct().sorted().toList();
      List<LoadedMessage> loaded = new ArrayList<>();
      for (int i = 0; i < ordered.size(); i += 32) {
        loaded.addAll(loadAt(u, source, uidValidity, ordered.subList(i, Math.min(ordered.size(), i + 32)),
            EnumSet.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED)));
      }
      loaded.removeIf(m -> m.body() == null);
      if (loaded.isEmpty()) {
        return CompletableFuture.completedFuture(new CopyResult(destination.get().uidValidity(), List.of(), List.of()));
      }
      if (!move && overQuota(u, loaded.stream().mapToLong(m -> m.body().length).sum())) {
        throw new StoreException("copy to " + target + " would exceed the quota of " + u);
      }
      List<ClusterDelivery.Copy> copies = loaded.stream().map(m -> new ClusterDelivery.Copy(m.body(),
          m.meta().flags(), m.meta().internalDate(), m.derived())).toList();
      List<AppendResult> stored = Remote.join(delivery.store(u, target, copies), "copying to " + target);
      List<Long> sourceUids = loaded.stream().map(m -> m.meta().uid()).toList();
      List<Long> targetUids = stored.stream().map(AppendResult::uid).toList();
      if (move) {
        Remote.join(uidValidity == 0 ? expunge(u, source, sourceUids)
            : expungeUnder(u, source, uidValidity, sourceUids), "removing moved messages from " + source);
      }
      return CompletableFuture.completedFuture(new CopyResult(stored.getFirst().uidValidity(), sourceUids, targetUids));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  // ---- Mailboxes: the catalog on the profile node, fragments everywhere ------------------------

  @Override
  public MailboxInfo createMailbox(String user, String name, Set<String> specialUse) {
    String u = Addresses.normalize(user);
    String node = requireProfileNode(u);
    MailboxInfo created = at(node, () -> local.createMailbox(u, name, specialUse),
        n -> profiles.createMailbox(n, u, name, specialUse, timeout), "creating " + name);
    replicated(node, u); // the other profile holders create it with the same UIDVALIDITY
    // The manager must know the UIDVALIDITY (also of superiors created on the way) before a delivery.
    List<MailboxInfo> catalog = at(node, () -> local.mailboxes(u), n -> fragments.mailboxes(n, u, timeout),
        "listing the mailboxes of " + u);
    for (MailboxInfo box : catalog) {
      if (box.name().equals(created.name()) || created.name().startsWith(box.name() + "/")) {
        Remote.join(managers.mailboxCreated(u, box.name(), box.uidValidity(), node), "registering " + box.name());
      }
    }
    watches.changed(new MailboxEvent(u, created.name(), MailboxEvent.Kind.CREATED, List.of(), 0),
        node.equals(self));
    return created;
  }

  @Override
  public boolean deleteMailbox(String user, String name) {
    String u = Addresses.normalize(user);
    String box = MailboxNames.canonical(name);
    if (box.equals(INBOX)) {
      throw new StoreException("INBOX cannot be deleted");
    }
    String node = requireProfileNode(u);
    MailMap map = map(u);
    requireEveryHolder(map, box::equals, "delete " + u + "/" + box);
    List<MailboxInfo> catalog = at(node, () -> local.mailboxes(u), n -> fragments.mailboxes(n, u, timeout),
        "listing the mailboxes of " + u);
    if (find(catalog, box).isEmpty()) {
      return false;
    }
    // The fragments first, the catalog after them: a holder failing midway leaves the mailbox listed,
    // without the messages of the holders done (deleted, as asked), and the DELETE can be made again.
    // The other way round left fragments of a mailbox the catalog no longer had: unseen, never deleted,
    // and renumbered into a mailbox created again under the name (its deleted messages back).
    // Another profile copy's fragment goes after the catalog: deleting it there deletes that copy's
    // catalog entry too, and the copies must not disagree on a mailbox that still exists.
    Set<String> holders = new LinkedHashSet<>(location(map, box).map(MailMap.MailboxLocation::nodes).orElse(List.of()));
    holders.remove(node);
    Set<String> profileCopies = new HashSet<>(map.profileNodes());
    List<String> order = new ArrayList<>(holders.stream().filter(h -> !profileCopies.contains(h)).toList());
    order.add(node);
    holders.stream().filter(profileCopies::contains).forEach(order::add);
    for (String holder : order) {
      boolean had = at(holder, () -> local.deleteMailbox(u, box), n -> fragments.deleteFragment(n, u, box, timeout),
          (holder.equals(node) ? "deleting " : "deleting the fragment of ") + box + " on " + holder);
      if (holder.equals(node) && !had) {
        return false; // deleted meanwhile by another session
      }
      Remote.join(managers.fragmentDropped(u, box, holder), "unregistering " + box);
    }
    replicated(node, u);
    layouts.remove(key(u, box));
    watches.changed(new MailboxEvent(u, box, MailboxEvent.Kind.DELETED, List.of(), 0), onlyHere(order));
    return true;
  }

  @Override
  public void renameMailbox(String user, String from, String to) {
    String u = Addresses.normalize(user);
    String source = MailboxNames.canonical(from);
    String target = MailboxNames.canonical(to);
    if (source.equals(INBOX)) {
      renameInbox(u, target);
      return;
    }
    String node = requireProfileNode(u);
    MailMap map = map(u);
    requireEveryHolder(map, b -> b.equals(source) || b.startsWith(source + "/"),
        "rename " + u + "/" + source + " to " + target);
    at(node, () -> {
      local.renameMailbox(u, source, target);
      return null;
    }, n -> fragments.renameFragment(n, u, source, target, false, timeout), "renaming " + source);
    // Each other holder renames the highest of the moved mailboxes it holds (a rename also moves the
    // holder's inferiors), and only its fragments: another profile copy gets the new name's superiors
    // from the catalog's image, with the catalog's UIDVALIDITY, not ones of its own making.
    Map<String, Set<String>> heldBy = new TreeMap<>();
    for (MailMap.MailboxLocation b : map.mailboxes()) {
      if (b.name().equals(source) || b.name().startsWith(source + "/")) {
        b.nodes().forEach(holder -> heldBy.computeIfAbsent(holder, h -> new TreeSet<>()).add(b.name()));
      }
    }
    heldBy.remove(node);
    Set<String> touched = new LinkedHashSet<>(List.of(node));
    // A holder that fails midway does not stop the others, nor the manager's and the profile copies'
    // part: everything but that holder's fragment ends renamed, and the command fails naming it.
    // (Stopping at the first failure left the manager with the old name while the catalog had the new
    // one, so the renamed fragments of every later holder went unread until the next view change.)
    Map<String, String> refused = new TreeMap<>();
    heldBy.forEach((holder, names) -> {
      touched.add(holder);
      for (String name : names) {
        if (names.stream().noneMatch(other -> name.startsWith(other + "/"))) {
          String newName = target + name.substring(source.length());
          try {
            at(holder, () -> {
              local.renameFragments(u, name, newName);
              return null;
            }, n -> fragments.renameFragment(n, u, name, newName, true, timeout), "renaming on " + holder);
          } catch (RuntimeException e) {
            refused.put(holder + " (" + name + ")", String.valueOf(e.getMessage()));
            Map<String, Long> uidValidities = new HashMap<>();
            for (MailMap.MailboxLocation b : map.mailboxes()) {
              if (b.name().equals(name) || b.name().startsWith(name + "/")) {
                uidValidities.put(b.name(), b.uidValidity());
              }
            }
            pendingRenames.add(new PendingRenames.Rename(holder, u, name, newName, uidValidities));
            log.warn("{}: {} did not rename its fragment of {}/{} to {}: {}; that part keeps the old name until a "
                + "retry in the background succeeds", self, holder, u, name, newName, e.getMessage());
          }
        }
      }
    });
    Remote.join(managers.mailboxRenamed(u, source, target), "renaming " + source + " at the manager");
    List<MailboxInfo> catalog = at(node, () -> local.mailboxes(u), n -> fragments.mailboxes(n, u, timeout),
        "listing the mailboxes of " + u);
    for (MailboxInfo box : catalog) {
      if (target.equals(box.name()) || target.startsWith(box.name() + "/")) {
        // superiors of the new name that the rename created
        Remote.join(managers.mailboxCreated(u, box.name(), box.uidValidity(), node), "registering " + box.name());
      }
    }
    replicated(node, u);
    layouts.keySet().removeIf(k -> k.startsWith(u + "\0"));
    watches.changed(new MailboxEvent(u, source, MailboxEvent.Kind.RENAMED, List.of(), 0), onlyHere(touched));
    watches.changed(new MailboxEvent(u, target, MailboxEvent.Kind.CREATED, List.of(), 0), onlyHere(touched));
    if (!refused.isEmpty()) {
      throw new StoreException(source + " is renamed " + target + ", but not yet on " + String.join(", ",
          refused.keySet()) + " (" + refused.values().iterator().next() + "): the messages there show under the new"
          + " name once a retry in the background succeeds");
    }
  }

  /**
   * RFC 9051 section 6.3.6: renaming INBOX moves its messages into a new mailbox of the new name and
   * leaves INBOX empty (its inferiors stay). In a cluster the messages get new UIDs from the manager
   * under the new mailbox's UIDVALIDITY, like a MOVE.
   */
  private void renameInbox(String user, String target) {
    if (mailbox(user, target).isPresent()) {
      throw new StoreException("mailbox " + target + " already exists");
    }
    createMailbox(user, target, Set.of());
    List<Long> uids = messages(user, INBOX).stream().map(MessageMeta::uid).toList();
    for (int i = 0; i < uids.size(); i += 1000) {
      Remote.join(copy(user, INBOX, uids.subList(i, Math.min(uids.size(), i + 1000)), target, true),
          "moving INBOX's messages to " + target);
    }
  }

  @Override
  public void setSubscribed(String user, String name, boolean subscribed) {
    String u = Addresses.normalize(user);
    String node = requireProfileNode(u);
    at(node, () -> {
      local.setSubscribed(u, name, subscribed);
      return null;
    }, n -> profiles.setSubscribed(n, u, name, subscribed, timeout), "subscribing");
    replicated(node, u);
  }

  @Override
  public Set<String> subscriptions(String user) {
    String u = Addresses.normalize(user);
    Optional<String> node = profileNode(u);
    if (node.isEmpty()) {
      return Set.of();
    }
    return at(node.get(), () -> local.subscriptions(u), n -> profiles.subscriptions(n, u, timeout),
        "reading subscriptions");
  }

  @Override
  public MailboxWatch watch(String user, Consumer<MailboxEvent> listener) {
    return watches.watch(Addresses.normalize(user), listener);
  }

  /**
   * Tells every node's sessions watching the event's user of a change this node made in other
   * nodes' stores without going through this class (a renumbering): through the user's manager,
   * and this node's own sessions directly.
   */
  public void announce(MailboxEvent event) {
    watches.changed(event, false);
  }

  /**
   * Claims {@code \Recent} at the user's manager, so that a message is recent in one session of the
   * cluster; when the manager cannot be asked, the IMAP service's own memory decides (empty).
   */
  @Override
  public java.util.OptionalLong claimRecent(String user, String mailbox, long uidValidity, long upTo) {
    try {
      return java.util.OptionalLong.of(Remote.join(managers.claimRecent(Addresses.normalize(user),
          MailboxNames.canonical(mailbox), uidValidity, upTo), "claiming \\Recent in " + mailbox));
    } catch (RuntimeException e) {
      log.debug("{}: \\Recent of {}/{} decided on this node: {}", self, user, mailbox, e.getMessage());
      return java.util.OptionalLong.empty();
    }
  }

  /** Takes the maildrop at the user's manager, so that one POP3 session in the cluster holds it. */
  @Override
  public Optional<MaildropLock> lockMaildrop(String user) {
    return maildrops.lock(user);
  }

  // ---- This node's own share -------------------------------------------------------------------

  @Override
  public List<UserFragments> fragments(long hashFrom, long hashToExclusive) {
    return local.fragments(hashFrom, hashToExclusive);
  }

  @Override
  public CompletableFuture<AppendResult> storeAssigned(AssignedMessage message) {
    return local.storeAssigned(message);
  }

  @Override
  public CompletableFuture<FlagResult> updateFlags(String user, String mailbox, Collection<Long> uids,
      FlagUpdate update, long modSeq) {
    return local.updateFlags(user, mailbox, uids, update, modSeq);
  }

  @Override
  public CompletableFuture<FlagResult> updateFlags(String user, String mailbox, Collection<Long> uids,
      FlagUpdate update, long modSeq, long uidValidity) {
    return local.updateFlags(user, mailbox, uids, update, modSeq, uidValidity);
  }

  @Override
  public CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids, long modSeq) {
    return local.expunge(user, mailbox, uids, modSeq);
  }

  @Override
  public CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids, long modSeq,
      long uidValidity) {
    return local.expunge(user, mailbox, uids, modSeq, uidValidity);
  }

  @Override
  public Optional<String> aliasTarget(String alias) {
    return local.aliasTarget(alias);
  }

  @Override
  public void putAlias(String alias, String target) {
    local.putAlias(alias, target);
  }

  @Override
  public CompletableFuture<Void> reserveWatermarks(String user, String mailbox, long uidValidity, long uidReserved,
      long modSeqReserved, Optional<Set<String>> holders) {
    return local.reserveWatermarks(user, mailbox, uidValidity, uidReserved, modSeqReserved, holders);
  }

  @Override
  public StoreStats stats() {
    return local.stats();
  }

  @Override
  public int pendingWrites() {
    return local.pendingWrites();
  }

  /** Stops the background renames; the node closes its own store after the services that use this one. */
  @Override
  public void close() {
    pendingRenames.close();
  }

  // ---- Helpers --------------------------------------------------------------------------------

  /**
   * Refuses (as temporary) a DELETE or RENAME while a node that may hold part of one of the mailboxes
   * does not answer, or while the manager has not heard from every member: that node's fragment
   * would keep the old name, and its messages would come back under it when the node returns —
   * into a mailbox created again with the same name, or as a part of a renamed one left behind.
   */
  private void requireEveryHolder(MailMap map, java.util.function.Predicate<String> boxes, String what) {
    if (!map.complete()) {
      throw new StoreException("cannot " + what + " until " + String.join(", ", map.waitingFor())
          + " reported to the user's manager; try again");
    }
    List<String> live = members.get();
    Set<String> away = new TreeSet<>();
    for (MailMap.MailboxLocation l : map.mailboxes()) {
      if (boxes.test(l.name())) {
        away.addAll(l.missing());
        l.nodes().stream().filter(n -> !live.contains(n)).forEach(away::add);
      }
    }
    if (!away.isEmpty()) {
      throw new StoreException("cannot " + what + " now: " + String.join(", ", away)
          + " may hold part of it and does not answer; try again later");
    }
  }

  private MailMap map(String user) {
    return Remote.join(managers.mailMap(user), "asking the manager of " + user);
  }

  /** The node holding the user's profile, if any: this node when it holds it, else what the manager says. */
  private Optional<String> profileNode(String user) {
    return cachedProfile(user).node();
  }

  /**
   * The node where changes to the user's profile are made: the first of its holders by name (every
   * node picks the same one, so changes to one profile have one writer), asked fresh of the manager,
   * and prepared: it has taken any newer copy of the profile its other holders have.
   */
  private String requireProfileNode(String user) {
    List<String> holders = map(user).profileNodes();
    if (holders.isEmpty()) {
      unknownForNow(user);
      throw new StoreException("unknown user " + user);
    }
    profileReplicas.prepare(holders.getFirst(), user);
    return holders.getFirst();
  }

  /** After a change on the profile's primary: its other holders get the new image, then caches are dropped. */
  private void replicated(String primary, String user) {
    try {
      profileReplicas.replicate(primary, user);
    } finally {
      profileChanged(user);
    }
  }

  /**
   * {@link #profileNodeIn}, and when there is none, a check that this is a settled "no such user":
   * the profile may be on a member out of reach, which is no answer, not "no mailbox".
   */
  private Optional<String> knownProfileNode(MailMap map, String user) {
    Optional<String> node = profileNodeIn(map, user);
    if (node.isEmpty()) {
      unknownForNow(user);
    }
    return node;
  }

  private Optional<String> profileNodeIn(MailMap map, String user) {
    if (local.user(user).isPresent()) {
      return Optional.of(self);
    }
    return map.profileNodes().stream().findFirst();
  }

  private CachedProfile cachedProfile(String user) {
    long now = System.nanoTime();
    CachedProfile cached = profileCache.get(user);
    boolean recent = cached != null
        && now - cached.readNanos() < (cached.node().isPresent() ? PROFILE_TTL_NANOS : UNKNOWN_TTL_NANOS);
    boolean cachedHere = recent && cached.node().filter(self::equals).isPresent();
    if (recent && !cachedHere) {
      return cached;
    }
    Optional<UserProfile> here = local.user(user);
    if (cachedHere && here.isPresent()) {
      return cached; // still here: the copy may have been given up since (ProfileReplicas trims copies beyond R)
    }
    CachedProfile fresh;
    if (here.isPresent()) {
      fresh = new CachedProfile(Optional.of(self), here, now);
    } else {
      Optional<String> node = map(user).profileNodes().stream().findFirst();
      Optional<UserProfile> profile = node.isEmpty() ? Optional.empty()
          : Remote.join(profiles.user(node.get(), user, timeout), "reading the profile of " + user);
      fresh = new CachedProfile(profile.isPresent() ? node : Optional.empty(), profile, now);
    }
    if (profileCache.size() > MAX_LAYOUTS) {
      profileCache.clear();
    }
    profileCache.put(user, fresh);
    return fresh;
  }

  /** Forgets the cached profile here and tells every other node to do the same. */
  private void profileChanged(String user) {
    profileCache.remove(user);
    profiles.announceChanged(user);
  }

  private boolean overQuota(String user, long adding) {
    long quota = user(user).map(UserProfile::quotaBytes).orElse(0L);
    return quota > 0 && usage(user) + adding > quota;
  }

  /** Runs {@code here} when {@code node} is this node, else the remote call, waiting for it. */
  private <T> T at(String node, Supplier<T> here, Function<String, CompletableFuture<T>> there, String what) {
    return node.equals(self) ? here.get() : Remote.join(there.apply(node), what);
  }

  /** Gathers the mailbox from every fragment node and keeps the layout for routing. */
  private MailboxLayout gather(String user, String box) {
    return gather(user, box, map(user));
  }

  /** As {@link #gather(String, String)}, by a mail map just asked for. */
  private MailboxLayout gather(String user, String box, MailMap map) {
    return gather(user, box, map, Set.of(), new LinkedHashMap<>());
  }

  /**
   * As {@link #gather(String, String, MailMap)}, also asking {@code recordsFrom} (nodes that need not
   * hold a fragment: the catalogs) for their listing; every node that answered is put in
   * {@code records} with its record of the mailbox (none when it has no such mailbox). The nodes of
   * {@code recordsFrom} that hold no fragment by the map change nothing in the layout.
   */
  private MailboxLayout gather(String user, String box, MailMap map, Set<String> recordsFrom,
      Map<String, Optional<MailboxInfo>> records) {
    Set<String> nodes = nodesOf(map, box, null);
    // Holders that left the view, and members away that the manager never heard from (it took the
    // bucket after they went): asking them fails at once, which marks them unreachable.
    location(map, box).ifPresent(l -> nodes.addAll(l.missing()));
    MailboxLayout previous = layouts.get(key(user, box));
    if (previous != null) {
      // A holder that left the view is no longer in the map; it still holds its messages.
      List<String> live = members.get();
      previous.holders().values().stream().flatMap(List::stream).filter(n -> !live.contains(n)).forEach(nodes::add);
    }
    Map<String, CompletableFuture<FragmentListing>> calls = new LinkedHashMap<>();
    for (String node : nodes) {
      calls.put(node, listing(user, box, node));
    }
    Map<String, CompletableFuture<FragmentListing>> recordCalls = new LinkedHashMap<>();
    for (String node : recordsFrom) {
      if (!nodes.contains(node)) {
        recordCalls.put(node, listing(user, box, node));
      }
    }
    Map<String, List<MessageMeta>> byNode = new LinkedHashMap<>();
    List<String> unreachable = new ArrayList<>();
    Map<String, Long> uidValidities = new LinkedHashMap<>();
    calls.forEach((node, call) -> {
      try {
        FragmentListing listing = call.join();
        records.put(node, listing.mailbox());
        byNode.put(node, listing.messages());
        listing.mailbox().ifPresent(f -> uidValidities.put(node, f.uidValidity()));
      } catch (RuntimeException e) {
        if (!Remote.unreachable(e)) {
          throw Remote.failure(e, "reading " + user + "/" + box + " on " + node);
        }
        unreachable.add(node);
        if (previous != null) {
          // What this node last saw there stays listed: a node being down is not an expunge.
          byNode.put(node, previous.messages().stream()
              .filter(m -> previous.holders().getOrDefault(m.uid(), List.of()).contains(node)).toList());
        }
      }
    });
    recordCalls.forEach((node, call) -> {
      try {
        records.put(node, call.join().mailbox());
      } catch (RuntimeException e) {
        if (!Remote.unreachable(e)) {
          throw Remote.failure(e, "reading " + user + "/" + box + " on " + node);
        }
      }
    });
    if (uidValidities.values().stream().distinct().count() > 1) {
      // Fragments that disagree on UIDVALIDITY (a conflict the Renumberer settles): their UIDs mean
      // nothing under the catalog's, so until then they count as out of reach rather than be merged.
      long catalog = catalogUidValidity(map, user, box, uidValidities);
      uidValidities.forEach((node, uidValidity) -> {
        if (uidValidity != catalog) {
          byNode.remove(node);
          unreachable.add(node);
        }
      });
    }
    MailboxLayout layout = MailboxLayout.merge(byNode, unreachable, required());
    if (layouts.size() > MAX_LAYOUTS) {
      layouts.clear();
    }
    layouts.put(key(user, box), layout);
    return layout;
  }

  /** {@code node}'s listing of its fragment of the mailbox: asked for, or read here. */
  private CompletableFuture<FragmentListing> listing(String user, String box, String node) {
    if (!node.equals(self)) {
      return fragments.list(node, user, box, timeout);
    }
    return unreadableHere.test(user, box)
        ? CompletableFuture.failedFuture(new RpcException(RpcException.Code.UNAVAILABLE, self + " is catching up"))
        : CompletableFuture.completedFuture(new FragmentListing(local.mailbox(user, box), local.messages(user, box)));
  }

  /**
   * The UIDVALIDITY clients see for a mailbox whose fragments disagree: the catalog's that
   * {@link #mailbox} shows (this node's copy, else the first answering profile node's), else the manager's.
   */
  private long catalogUidValidity(MailMap map, String user, String box, Map<String, Long> listed) {
    Set<String> catalogs = new LinkedHashSet<>();
    profileNodeIn(map, user).ifPresent(catalogs::add);
    catalogs.addAll(map.profileNodes());
    for (String node : catalogs) {
      if (listed.containsKey(node)) {
        return listed.get(node);
      }
      try {
        Optional<MailboxInfo> f = node.equals(self) ? local.mailbox(user, box)
            : fragments.list(node, user, box, timeout).join().mailbox();
        if (f.isPresent()) {
          return f.get().uidValidity();
        }
      } catch (RuntimeException e) {
        // not answering: the next copy of the catalog, or the manager's
      }
    }
    return location(map, box).map(MailMap.MailboxLocation::uidValidity)
        .orElse(listed.values().stream().max(Long::compare).orElseThrow());
  }

  /** The latest layout when it knows every UID asked for, else a fresh gather. */
  private MailboxLayout layoutFor(String user, String box, Collection<Long> uids) {
    MailboxLayout layout = layouts.get(key(user, box));
    return layout != null && layout.knowsAll(uids) ? layout : gather(user, box);
  }

  /** Nodes holding a fragment of the mailbox per the map, plus this node when it holds one, plus {@code also}. */
  private Set<String> nodesOf(MailMap map, String box, String also) {
    Set<String> nodes = new LinkedHashSet<>();
    if (also != null) {
      nodes.add(also);
    }
    location(map, box).ifPresent(l -> nodes.addAll(l.nodes()));
    if (!nodes.contains(self) && local.mailbox(map.user(), box).isPresent()) {
      nodes.add(self); // held here but not (yet) in the map: the map is rebuilt after views
    }
    return nodes;
  }

  private Map<String, List<MailboxInfo>> fragmentLists(String user, Collection<String> nodes) {
    Map<String, CompletableFuture<List<MailboxInfo>>> calls = new LinkedHashMap<>();
    for (String node : nodes) {
      calls.put(node, node.equals(self) ? CompletableFuture.completedFuture(local.mailboxes(user))
          : fragments.mailboxes(node, user, timeout));
    }
    Map<String, List<MailboxInfo>> result = new LinkedHashMap<>();
    calls.forEach((node, call) -> {
      try {
        result.put(node, call.join());
      } catch (RuntimeException e) {
        if (!Remote.unreachable(e)) {
          throw Remote.failure(e, "listing " + user + "'s mailboxes on " + node);
        }
      }
    });
    return result;
  }

  /**
   * The profile holder whose catalog a read uses: {@code preferred} when it answered, else another
   * holder of a copy that did. Fails as temporary when none answered:
   * reading that as "no such mailbox" made an IMAP session take every message for expunged, and a UID
   * EXPUNGE then confirmed what it never did (chaos with partitions, seed 6: the profile node killed
   * between a STORE \Deleted and its UID EXPUNGE).
   */
  private static String answeringCatalog(Map<String, List<MailboxInfo>> byNode, String user, String preferred,
      MailMap map) {
    if (byNode.containsKey(preferred)) {
      return preferred;
    }
    Set<String> holders = new LinkedHashSet<>(List.of(preferred));
    holders.addAll(map.profileNodes());
    return holders.stream().filter(byNode::containsKey).findFirst().orElseThrow(() -> new StoreException(
        "cannot read the mailboxes of " + user + " while no node holding its profile (" + String.join(", ", holders)
            + ") answers; try again later"));
  }

  /** The catalog entry with counters summed over the fragments and UIDNEXT above every UID given. */
  private static MailboxInfo combine(MailboxInfo catalog, Map<String, List<MailboxInfo>> byNode,
      Optional<MailMap.MailboxLocation> location) {
    int count = 0;
    long bytes = 0;
    long uidNext = catalog.uidNext();
    long modSeq = catalog.highestModSeq();
    for (List<MailboxInfo> list : byNode.values()) {
      Optional<MailboxInfo> f = find(list, catalog.name());
      if (f.isPresent() && f.get().uidValidity() == catalog.uidValidity()) {
        count += f.get().messageCount();
        bytes += f.get().totalBytes();
        uidNext = Math.max(uidNext, f.get().uidNext());
        modSeq = Math.max(modSeq, f.get().highestModSeq());
      }
    }
    if (location.isPresent() && location.get().uidValidity() == catalog.uidValidity()) {
      uidNext = Math.max(uidNext, location.get().highestUid() + 1);
    }
    return new MailboxInfo(catalog.id(), catalog.user(), catalog.name(), catalog.uidValidity(), uidNext, modSeq, count,
        bytes, catalog.specialUse(), catalog.subscribed());
  }

  /**
   * {@code combined} with its message count and size counted from the gathered messages when
   * several fragments hold some (replicas of one message would otherwise count once per copy).
   */
  private MailboxInfo exact(MailboxInfo combined, Map<String, List<MailboxInfo>> byNode,
      Supplier<MailboxLayout> gathered) {
    if (replication.replicas() == 1) {
      return combined;
    }
    long holding = byNode.values().stream().filter(list -> find(list, combined.name())
        .filter(f -> f.uidValidity() == combined.uidValidity() && f.messageCount() > 0).isPresent()).count();
    if (holding < 2) {
      return combined;
    }
    MailboxLayout layout = gathered.get();
    long bytes = layout.messages().stream().mapToLong(MessageMeta::size).sum();
    return new MailboxInfo(combined.id(), combined.user(), combined.name(), combined.uidValidity(), combined.uidNext(),
        combined.highestModSeq(), layout.messages().size(), bytes, combined.specialUse(), combined.subscribed());
  }

  private static Optional<MailboxInfo> find(List<MailboxInfo> list, String name) {
    return list.stream().filter(b -> b.name().equals(name)).findFirst();
  }

  private static Optional<MailMap.MailboxLocation> location(MailMap map, String box) {
    return map.mailboxes().stream().filter(b -> b.name().equals(box)).findFirst();
  }

  /** Runs {@code change} under a MODSEQ from the manager ({@link Remote#withModSeq}); returns the MODSEQ. */
  private long withModSeq(String user, String box, java.util.function.Function<ModSeqGrant, ?> change) {
    return withModSeq(user, box, 0, change);
  }

  /**
   * As {@link #withModSeq(String, String, java.util.function.Function)}, refused when the manager
   * numbers the mailbox under another UIDVALIDITY than {@code uidValidity} (0: any).
   */
  private long withModSeq(String user, String box, long uidValidity,
      java.util.function.Function<ModSeqGrant, ?> change) {
    return Remote.withModSeq(managers, user, box, uidValidity, "changing " + box,
        seq -> CompletableFuture.completedFuture(change.apply(seq))).modSeq();
  }

  /** The UIDVALIDITY a session's *Under call names: 0 would mean "unchecked", which such a call never is. */
  private static void requirePositive(long uidValidity) {
    if (uidValidity <= 0) {
      throw new IllegalArgumentException("UIDVALIDITY must be positive, not " + uidValidity);
    }
  }

  private boolean onlyHere(Collection<String> nodes) {
    return nodes.size() == 1 && nodes.contains(self);
  }

  private static String key(String user, String box) {
    return user + "\0" + box;
  }

  /** A user's profile and where it lives, as last read. */
  private record CachedProfile(Optional<String> node, Optional<UserProfile> profile, long readNanos) {}
}
