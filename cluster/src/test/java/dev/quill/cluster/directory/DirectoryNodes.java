package dev.quill.cluster.directory;

import dev.quill.cluster.TestNodes;
import dev.quill.cluster.clock.HybridClock;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.transport.ClusterException;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * In-JVM nodes for directory tests: each with its own {@link RocksMailStore} in a temporary directory,
 * real JGroups TCP transport on 127.0.0.1, RPC endpoint, {@link ProfileAccess} and {@link Directory},
 * the directory told of joined members by a view listener as the node wiring will, and a
 * {@link TombstonePruner} without grace period or timer (tests call it) that waits for the live
 * members and those in {@code alsoSeen}.
 */
final class DirectoryNodes implements AutoCloseable {
  private static final StoreOptions FAST = StoreOptions.defaults().withHashIterations(1_000);

  private final TestNodes transports;
  private final Path root;
  private final List<Node> nodes = new ArrayList<>();
  private final List<RpcEndpoint> bare = new ArrayList<>();
  /** How long a node's directory waits for each answer; set before nodes join. */
  java.time.Duration timeout = Directory.TIMEOUT;

  DirectoryNodes(String cluster, Path root) {
    this.transports = new TestNodes(cluster);
    this.root = root;
  }

  /** One node and its services. */
  static final class Node {
    final String name;
    final RocksMailStore store;
    ClusterTransport transport;
    RpcEndpoint rpc;
    ProfileAccess profiles;
    Directory directory;
    TombstonePruner tombstones;
    /** Members the pruner must wait for besides the live ones (seen once, now away). */
    final Set<String> alsoSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Members of the last view this node saw; a view listener diffs against it. */
    private Set<String> known = Set.of();

    Node(String name, RocksMailStore store) {
      this.name = name;
      this.store = store;
    }
  }

  /** A node with a fresh store, not yet joined: tests may fill the store first. */
  Node create(String name) {
    Node node = new Node(name, RocksMailStore.open(root.resolve(name), FAST));
    nodes.add(node);
    return node;
  }

  /** Joins the cluster with the node's services registered before its endpoint listens. */
  Node join(Node node) throws ClusterException {
    node.transport = transports.start(node.name);
    node.rpc = new RpcEndpoint(node.transport, false);
    node.profiles = new ProfileAccess(node.rpc, node.store);
    HybridClock clock = new HybridClock();
    node.directory = new Directory(node.name, node.rpc, node.store, () -> node.transport.view().members(), clock,
        timeout);
    node.tombstones = new TombstonePruner(node.name, node.rpc, node.store, clock,
        () -> node.transport.view().members(), () -> node.alsoSeen, java.time.Duration.ZERO,
        java.time.Duration.ofSeconds(5));
    node.transport.addViewListener(view -> {
      Set<String> joined = new TreeSet<>(view.members());
      joined.removeAll(node.known);
      node.known = Set.copyOf(view.members());
      node.directory.membersJoined(joined);
    });
    node.rpc.listen();
    return node;
  }

  /** The same node (name and store) as its restarted process would be, to join again after its transport closed. */
  Node reopen(Node old) {
    Node node = new Node(old.name, old.store);
    nodes.add(node);
    return node;
  }

  Node start(String name) throws ClusterException {
    return join(create(name));
  }

  /** A member with no directory: only an endpoint serving what {@code services} registers. */
  RpcEndpoint bare(String name, java.util.function.Consumer<RpcEndpoint> services) throws ClusterException {
    RpcEndpoint rpc = new RpcEndpoint(transports.start(name), false);
    bare.add(rpc);
    services.accept(rpc);
    rpc.listen();
    return rpc;
  }

  @Override
  public void close() {
    bare.forEach(RpcEndpoint::close);
    for (Node node : nodes.reversed()) {
      if (node.rpc != null) {
        node.rpc.close();
      }
    }
    transports.close();
    nodes.stream().map(n -> n.store).distinct().forEach(RocksMailStore::close);
  }
}
