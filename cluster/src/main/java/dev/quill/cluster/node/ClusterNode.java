package dev.quill.cluster.node;

import dev.quill.cluster.load.LoadGossip;
import dev.quill.cluster.load.LoadTable;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.transport.ClusterException;
import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.cluster.transport.ClusterView;
import dev.quill.cluster.usermap.BucketMove;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.StorageUnavailableException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A node's membership in the cluster, as the rest of the node uses it: the transport, the RPC
 * endpoint, load gossip, and the user map of the current view.
 *
 * <p>The user map is recomputed on the view thread for every view, and every {@link MapListener}
 * is told the view, the map and the buckets that moved, in view order. A listener added later is
 * first told the current view (with no moves), under the same lock, so it never misses or repeats
 * a view.
 *
 * <p>The node also serves {@link #NODE_STATS}: its local counts, computed by a supplier from the
 * mail layer (which this module does not depend on).
 */
public final class ClusterNode implements AutoCloseable {
  /** A node's local counts and its security layer's; the request has no body. */
  public static final MessageType<Void, NodeStats> NODE_STATS =
      new MessageType<>(TypeIds.NODE_STATS, 3, "NODE_STATS", Codecs.EMPTY, NodeStats.CODEC);
  /** The same without the security counts, still served for members not upgraded yet. */
  static final MessageType<Void, NodeStats> NODE_STATS_V2 =
      new MessageType<>(TypeIds.NODE_STATS, 2, "NODE_STATS", Codecs.EMPTY, NodeStats.CODEC_V2);

  /** A graceful leave, announced before the node disconnects; the body is unused. */
  static final MessageType<Void, Void> NODE_LEAVING =
      new MessageType<>(TypeIds.NODE_LEAVING, 1, "NODE_LEAVING", Codecs.EMPTY, Codecs.EMPTY);
  static final MessageType<String, Void> NODE_FORGET =
      new MessageType<>(TypeIds.NODE_FORGET, 1, "NODE_FORGET", Codecs.STRING, Codecs.EMPTY);

  /** Appended to the members file's name for the file of {@link #membersSeen}. */
  public static final String SEEN_SUFFIX = "-seen";

  /** The current view and its map, replaced together. */
  private record Current(ClusterView view, UserMap map) {}

  private final ClusterTransport transport;
  private final RpcEndpoint rpc;
  private final LoadGossip gossip;
  private final int buckets;
  private final List<MapListener> listeners = new CopyOnWriteArrayList<>();
  // Orders view installation against listener registration: a new listener sees exactly one "current" view.
  private final ReentrantLock mapLock = new ReentrantLock();
  private volatile Current current;
  /** Members that announced a graceful leave and have not yet left the view. */
  private final Set<String> leaving = ConcurrentHashMap.newKeySet();
  /** Members that left a view without announcing it (crashed, killed, cut off) and have not returned. */
  private final Set<String> missing = ConcurrentHashMap.newKeySet();
  /** The view's members and the missing ones, remembered across restarts. */
  private final KnownMembers known;
  /**
   * Every member ever in this node's view and not forgotten, graceful leavers included: a node
   * stopped for maintenance may return with the data it held, so it must have the tombstones of
   * what was deleted meanwhile before they are dropped ({@link #membersSeen}).
   */
  private final KnownMembers seen;
  private final List<Consumer<String>> forgetListeners = new CopyOnWriteArrayList<>();

  private ClusterNode(ClusterTransport transport, int buckets, IntSupplier diskQueueDepth,
      Supplier<NodeStats> localStats, KnownMembers known, KnownMembers seen) {
    this.transport = transport;
    this.buckets = buckets;
    this.current = new Current(transport.view(), UserMap.of(transport.view().members(), buckets));
    this.known = known;
    this.seen = seen;
    // Members known before a restart that are not in the first view are presumed down, as if this
    // node had seen them go: they never left gracefully, or they would not be in the file.
    missing.addAll(known.names());
    missing.removeAll(current.view().members());
    missing.remove(transport.nodeName());
    remember();
    this.rpc = new RpcEndpoint(transport, false);
    // A full or failing disk refuses every write sent here: the store logs that once, not per request.
    rpc.expectedFailures(e -> StorageUnavailableException.in(e).isPresent());
    rpc.register(NODE_STATS, (from, none) -> localStats.get().withSecurity(transport.securityCounters()));
    rpc.register(NODE_STATS_V2, (from, none) -> localStats.get());
    rpc.register(NODE_LEAVING, (from, none) -> {
      leaving.add(from);
      if (!current.view().members().contains(from)) {
        missing.remove(from); // the notice came after the view without it
        remember();
      }
      return null;
    });
    rpc.register(NODE_FORGET, (from, name) -> {
      missing.remove(name);
      remember();
      Set<String> left = new java.util.HashSet<>(seen.names());
      left.remove(name);
      seen.set(left);
      forgetListeners.forEach(l -> l.accept(name));
      return null;
    });
    this.gossip = new LoadGossip(rpc, transport.nodeName(), diskQueueDepth, new LoadTable(), LoadGossip.DEFAULT_INTERVAL);
    transport.addViewListener(this::install);
  }

  /**
   * Joins (or forms) the cluster the settings name.
   *
   * @param buckets the user map's bucket count, the same on every node (1..{@link UserMap#MAX_BUCKETS})
   * @param diskQueueDepth how many writes wait for this node's store right now (load gossip)
   * @param localStats this node's local counts, computed when a member asks
   */
  public static ClusterNode start(ClusterSettings settings, int buckets, IntSupplier diskQueueDepth,
      Supplier<NodeStats> localStats) throws ClusterException {
    return start(settings, buckets, diskQueueDepth, localStats, node -> { });
  }

  /**
   * As {@link #start(ClusterSettings, int, IntSupplier, Supplier)}, calling {@code services} to
   * register the node's services on {@link #rpc()} before any request from another node is read.
   */
  public static ClusterNode start(ClusterSettings settings, int buckets, IntSupplier diskQueueDepth,
      Supplier<NodeStats> localStats, java.util.function.Consumer<ClusterNode> services) throws ClusterException {
    return start(settings, buckets, diskQueueDepth, localStats, null, services);
  }

  /**
   * As {@link #start(ClusterSettings, int, IntSupplier, Supplier, Consumer)}, remembering the members
   * in {@code membersFile} (a node's data directory holds it): after a restart, the members known
   * before and not in the first view count as presumed down until they return, leave gracefully or
   * are forgotten. Null keeps them in memory only: a restart then starts knowing no one.
   */
  public static ClusterNode start(ClusterSettings settings, int buckets, IntSupplier diskQueueDepth,
      Supplier<NodeStats> localStats, java.nio.file.Path membersFile, java.util.function.Consumer<ClusterNode> services)
      throws ClusterException {
    KnownMembers known = KnownMembers.load(membersFile);
    KnownMembers seen = KnownMembers.load(membersFile == null ? null
        : membersFile.resolveSibling(membersFile.getFileName() + SEEN_SUFFIX));
    if (seen.names().isEmpty()) {
      seen.set(known.names()); // a data directory from before the file existed
    }
    if (buckets < 1 || buckets > UserMap.MAX_BUCKETS) {
      throw new IllegalArgumentException("bucket count " + buckets + " is outside 1.." + UserMap.MAX_BUCKETS);
    }
    ClusterTransport transport = ClusterTransport.start(settings);
    try {
      ClusterNode node = new ClusterNode(transport, buckets, diskQueueDepth, localStats, known, seen);
      services.accept(node);
      node.rpc.listen();
      return node;
    } catch (RuntimeException e) {
      transport.close();
      throw e;
    }
  }

  public String name() {
    return transport.nodeName();
  }

  public ClusterView view() {
    return current.view();
  }

  public UserMap map() {
    return current.map();
  }

  /** The members' loads as last gossiped (at most a couple of seconds old), for the load balancer. */
  public LoadTable loads() {
    return gossip.table();
  }

  /** The node's transport: its security layer's counters, policy version source and revocations. */
  public ClusterTransport transport() {
    return transport;
  }

  /** The endpoint the node's services register their message types on. */
  public RpcEndpoint rpc() {
    return rpc;
  }

  /** Tells {@code listener} the current view now, then every later one. */
  public void addMapListener(MapListener listener) {
    mapLock.lock();
    try {
      listeners.add(listener);
      Current now = current;
      listener.mapChanged(now.view(), now.map(), List.of());
    } finally {
      mapLock.unlock();
    }
  }

  private void install(ClusterView view) {
    mapLock.lock();
    try {
      Current before = current;
      if (view.id().equals(before.view().id())) {
        return; // the transport's first call repeats the view the constructor already used
      }
      for (String member : before.view().members()) {
        if (!view.members().contains(member) && !leaving.remove(member)) {
          missing.add(member);
        }
      }
      missing.removeAll(view.members());
      UserMap map = UserMap.of(view.members(), buckets);
      List<BucketMove> moves = UserMap.movedBuckets(before.map(), map);
      current = new Current(view, map);
      remember();
      for (MapListener listener : listeners) {
        listener.mapChanged(view, map, moves);
      }
    } finally {
      mapLock.unlock();
    }
  }

  /**
   * Tells every member this node is about to leave, so that their load balancers stop choosing it
   * and they do not count it as failed when it goes. {@link #close} announces it too.
   */
  public void announceLeaving() {
    rpc.broadcast(NODE_LEAVING, null);
  }

  /**
   * Gives {@code name} up for good on every member, this one included: it no longer counts as a
   * member presumed down (so writes need no copy on it), and every member's forget listeners run
   * (re-replication of what it held). Returns each member's answer.
   *
   * @throws IllegalArgumentException when {@code name} is in the view: stop it first
   */
  public Map<String, CompletableFuture<Void>> forget(String name, Duration timeout) {
    if (current.view().members().contains(name)) {
      throw new IllegalArgumentException(name + " is a live member of view " + current.view().id()
          + "; stop it (or let it fail) before forgetting it");
    }
    return rpc.callAll(NODE_FORGET, name, timeout);
  }

  /** Told of every member an operator gave up for good, on every node. */
  public void addForgetListener(Consumer<String> listener) {
    forgetListeners.add(listener);
  }

  /**
   * Every member this node has had in its view and that was not forgotten ({@code cluster forget}):
   * the live ones, those presumed down and those that left gracefully, which may come back with the
   * data they held. With a members file, kept next to it (suffix {@value #SEEN_SUFFIX}) across
   * restarts. Tombstones are dropped only once all of these have them.
   */
  public Set<String> membersSeen() {
    return seen.names();
  }

  /** Members that announced they are leaving and are still in the view: not to be given new work. */
  public Set<String> leavingMembers() {
    if (leaving.isEmpty()) {
      return Set.of(); // the common case, asked for every delivery
    }
    Set<String> now = new java.util.HashSet<>(leaving);
    now.retainAll(current.view().members());
    return now;
  }

  /**
   * Members that left this node's view without announcing a graceful leave and have not come back
   * (with a members file, also those known before a restart that are not back since): nodes
   * presumed down, whose data is unreachable for now.
   */
  public Set<String> missingMembers() {
    return Set.copyOf(missing);
  }

  /**
   * Writes the view's members and the missing ones to the members file, when they changed; under the
   * view lock, so that a notice's write cannot overtake a newer view's.
   */
  private void remember() {
    mapLock.lock();
    try {
      Set<String> members = new java.util.HashSet<>(current.view().members());
      members.addAll(missing);
      known.set(members);
      members.addAll(seen.names());
      seen.set(members);
    } finally {
      mapLock.unlock();
    }
  }

  /** The view, buckets per member and each member's latest load, as this node sees them now. */
  public ClusterStatus status() {
    Current now = current;
    Map<String, Integer> counts = now.map().bucketCounts();
    LoadTable loads = gossip.table();
    List<ClusterStatus.Member> members = new ArrayList<>();
    for (String member : now.view().members()) {
      members.add(new ClusterStatus.Member(member, counts.getOrDefault(member, 0), loads.get(member),
          loads.age(member)));
    }
    return new ClusterStatus(name(), transport.clusterName(), now.view().id(), now.view().coordinator(), buckets,
        members);
  }

  /**
   * Asks every member (this node included) for its local counts, in parallel; a member that does
   * not answer within {@code timeout} is {@link MemberStats.Unreachable}. In view order.
   */
  public List<MemberStats> memberStats(Duration timeout) {
    Map<String, CompletableFuture<NodeStats>> calls = rpc.callAll(NODE_STATS, null, timeout);
    List<MemberStats> answers = new ArrayList<>(calls.size());
    for (Map.Entry<String, CompletableFuture<NodeStats>> call : calls.entrySet()) {
      try {
        answers.add(new MemberStats.Answered(call.getKey(), call.getValue().get()));
      } catch (ExecutionException e) {
        answers.add(new MemberStats.Unreachable(call.getKey(), String.valueOf(e.getCause().getMessage())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        answers.add(new MemberStats.Unreachable(call.getKey(), "interrupted"));
      }
    }
    return answers;
  }

  /** Stops gossip and requests, then leaves the cluster gracefully (disconnect, then close). */
  @Override
  public void close() {
    announceLeaving();
    closeSilently();
  }

  /** Leaves without announcing it: to the others this looks like a crash (tests of failure handling). */
  void closeSilently() {
    gossip.close();
    rpc.close();
    transport.close();
  }
}
