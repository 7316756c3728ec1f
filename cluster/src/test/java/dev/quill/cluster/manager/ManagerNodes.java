package dev.quill.cluster.manager;

import dev.quill.cluster.TestNodes;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.transport.ClusterException;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.AssignedMessage;
import dev.quill.store.FragmentSummary;
import dev.quill.store.HashRange;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import dev.quill.store.UserFragments;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * In-JVM nodes for manager tests: each with its own {@link RocksMailStore} in a temporary directory
 * and, once joined, its own real JGroups TCP transport on 127.0.0.1, RPC endpoint and
 * {@link ManagerService} and {@link ChangeNotices}, told of views by a transport view listener as the
 * node wiring will.
 */
public final class ManagerNodes implements AutoCloseable {
  public static final int BUCKETS = 64;
  /** Fresh UIDVALIDITY values are the seconds of this clock. */
  static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_700_000_000L), ZoneOffset.UTC);
  private static final StoreOptions FAST = StoreOptions.defaults().withHashIterations(1_000);

  private final TestNodes transports;
  private final Path root;
  private final List<Node> nodes = new ArrayList<>();
  /** Names of the nodes whose service started, when the managers are told of them (see {@link #rememberingMembers}). */
  private final Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
  private boolean remember;

  public ManagerNodes(String cluster, Path root) {
    this.transports = new TestNodes(cluster);
    this.root = root;
  }

  /**
   * Gives every manager the members started so far as the members it has seen, as the node wiring
   * does: those away when a manager takes a bucket are possible holders until they report.
   */
  public ManagerNodes rememberingMembers() {
    remember = true;
    return this;
  }

  /** The first address {@code prefix}N@example.org that {@code wanted} accepts. */
  static String userWhere(String prefix, java.util.function.Predicate<String> wanted) {
    return java.util.stream.IntStream.range(0, 1_000_000).mapToObj(i -> prefix + i + "@example.org")
        .filter(wanted).findFirst().orElseThrow();
  }

  /** A user managed by n1 or n2 while they are the members, and by n3 once it joins: its bucket moves. */
  static String userMovingToN3(String prefix) {
    return userWhere(prefix, u -> !UserMap.of(List.of("n1", "n2"), BUCKETS).managerOf(u).equals("n3")
        && UserMap.of(List.of("n1", "n2", "n3"), BUCKETS).managerOf(u).equals("n3"));
  }

  /** Starts n1 and n2 with their services and waits until both have installed the view of the two. */
  List<Node> startPair(java.time.Duration within) throws ClusterException {
    Node a = join(create("n1"), true);
    Node b = join(create("n2"), true);
    org.awaitility.Awaitility.await().atMost(within).until(() -> viewsAre(Set.of("n1", "n2")));
    return List.of(a, b);
  }

  /** A node with a store and nothing else yet: tests fill the store before it joins. */
  public Node create(String name) {
    RocksMailStore store = RocksMailStore.open(root.resolve(name), FAST);
    store.addDomain("example.org");
    Node node = new Node(name, store);
    nodes.add(node);
    return node;
  }

  /**
   * Creates the named nodes, puts {@code user}'s profile on the first, and joins them all with their
   * services, in order.
   */
  public List<Node> startWithProfileOnFirst(String user, String... names) throws ClusterException {
    List<Node> started = new ArrayList<>();
    for (String name : names) {
      started.add(create(name));
    }
    started.getFirst().store.addUser(user, "secret".toCharArray());
    for (Node node : started) {
      join(node, true);
    }
    return started;
  }

  /** Starts the node's transport and endpoint, and its manager service when {@code withService}. */
  public Node join(Node node, boolean withService) throws ClusterException {
    node.transport = transports.start(node.name);
    node.rpc = new RpcEndpoint(node.transport);
    if (withService) {
      startService(node);
    }
    return node;
  }

  void startService(Node node) {
    seen.add(node.name);
    node.client = new ManagerClient(node.rpc, () -> node.map, Duration.ofSeconds(10), 20, Duration.ofMillis(50));
    node.leases = new MaildropLeases(node.name, node.client, Duration.ofSeconds(10));
    // Remembering, the members started and not in the view count as presumed down, as a node's own record has them.
    node.service = new ManagerService(node.name, node.rpc, node.store, BUCKETS, CLOCK,
        remember ? () -> Set.copyOf(seen) : Set::of, node.leases::held, remember ? () -> away(node) : Set::of);
    node.notices = new ChangeNotices(node.name, node.rpc, () -> node.map);
    node.transport.addViewListener(view -> {
      UserMap after = UserMap.of(view.members(), BUCKETS);
      UserMap before = node.map;
      node.map = after;
      node.service.viewChanged(view, before, after);
      node.notices.viewChanged(after);
    });
  }

  /** The nodes started so far that are not in {@code node}'s view. */
  private Set<String> away(Node node) {
    Set<String> away = new java.util.HashSet<>(seen);
    UserMap map = node.map;
    if (map != null) {
      map.members().forEach(away::remove);
    }
    return away;
  }

  /** Leaves the cluster gracefully and closes the node's store. */
  void leave(Node node) {
    if (node.notices != null) {
      node.notices.close();
    }
    if (node.leases != null) {
      node.leases.close();
    }
    if (node.service != null) {
      node.service.close();
    }
    if (node.rpc != null) {
      node.rpc.close();
    }
    if (node.transport != null) {
      node.transport.close();
    }
    node.store.close();
    nodes.remove(node);
  }

  /** Whether every joined node sees exactly {@code names} and has installed that view's map. */
  public boolean viewsAre(Set<String> names) {
    return nodes.stream().filter(n -> n.transport != null).allMatch(n -> Set.copyOf(n.transport.view().members())
        .equals(names) && (n.service == null || (n.map != null && Set.copyOf(n.map.members()).equals(names))));
  }

  @Override
  public void close() {
    for (Node node : List.copyOf(nodes).reversed()) {
      leave(node);
    }
    transports.close();
  }

  /** One node of the test cluster. */
  public static final class Node {
    public final String name;
    public final RocksMailStore store;
    public ClusterTransport transport;
    public RpcEndpoint rpc;
    public ManagerService service;
    public ManagerClient client;
    public MaildropLeases leases;
    public ChangeNotices notices;
    public volatile UserMap map;

    Node(String name, RocksMailStore store) {
      this.name = name;
      this.store = store;
    }

    /** Stores one small message in the user's mailbox fragment here under a manager-style UID. */
    void storeAssigned(String user, String mailbox, long uidValidity, long uid) {
      byte[] body = ("Subject: " + uid + "\r\n\r\nbody\r\n").getBytes(StandardCharsets.US_ASCII);
      store.storeAssigned(new AssignedMessage(user, mailbox, uidValidity, uid, uid, body, Set.of(), null, null)).join();
    }

    /** The UIDVALIDITY of a mailbox fragment held here. */
    long uidValidity(String user, String mailbox) {
      return store.fragments(HashRange.ALL.from(), HashRange.ALL.toExclusive()).stream()
          .filter(u -> u.user().equals(user)).flatMap(u -> u.fragments().stream())
          .filter(f -> f.mailbox().equals(mailbox)).mapToLong(FragmentSummary::uidValidity).findFirst().orElseThrow();
    }

    List<UserFragments> held() {
      return store.fragments(0, 0);
    }
  }
}
