package dev.quill.bench;

import dev.quill.cluster.manager.ManagerService;
import dev.quill.cluster.manager.ManagerStatus;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.transport.ClusterException;
import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.cluster.transport.HostPort;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How long the managers take to rebuild every mail map after a view change (issue 4's
 * reconstruction target): N in-process nodes, each with its own RocksDB store holding a share of
 * the users (each user's profile and default mailboxes), and its own JGroups TCP transport on
 * 127.0.0.1. The first N−1 nodes form a cluster; the last joins, and the clock runs from its
 * start until every node's managed buckets are all complete under the new view.
 *
 * <pre>./quill bench reconstruction --users 30000 --nodes 3</pre>
 */
@Command(name = "reconstruction", mixinStandardHelpOptions = true,
    description = "Time until every mail map is complete after a node joins (managers' soft-state reconstruction)")
final class ReconstructionBench implements Callable<Integer> {
  @Option(names = "--users", defaultValue = "30000", description = "Users, spread evenly over the nodes' stores.")
  int users;
  @Option(names = "--nodes", defaultValue = "3", description = "Nodes (the last one joins while measured).")
  int nodes;
  @Option(names = "--buckets", defaultValue = "1024", description = "User-map buckets.")
  int buckets;
  @Option(names = "--timeout", defaultValue = "120", description = "Give up after this many seconds.")
  int timeoutSeconds;

  private record Node(String name, RocksMailStore store, ClusterTransport transport, RpcEndpoint rpc, ManagerService managers)
      implements AutoCloseable {
    @Override
    public void close() {
      managers.close();
      rpc.close();
      transport.close();
      store.close();
    }
  }

  @Override
  public Integer call() throws Exception {
    if (users < 1 || nodes < 2 || buckets < 1) {
      System.err.println("error: --users and --buckets must be at least 1, --nodes at least 2");
      return 2;
    }
    Path root = Files.createTempDirectory("quill-reconstruction");
    StoreOptions fast = StoreOptions.defaults().withHashIterations(1_000); // profiles, not password hashing, are measured
    List<RocksMailStore> stores = new ArrayList<>();
    List<Thread> fillers = new ArrayList<>();
    long fillStart = System.nanoTime();
    for (int n = 0; n < nodes; n++) {
      RocksMailStore store = RocksMailStore.open(root.resolve("n" + (n + 1)), fast);
      store.addDomain("example.test");
      stores.add(store);
      int node = n;
      fillers.add(Thread.ofVirtual().start(() -> {
        for (int i = node; i < users; i += nodes) {
          store.addUser("user" + (i + 1) + "@example.test", "pw".toCharArray());
        }
      }));
    }
    for (Thread t : fillers) {
      t.join();
    }
    System.out.printf("  stores filled: %,d users (%,d mailboxes) over %d nodes in %.1f s%n", users, users * 6L, nodes,
        (System.nanoTime() - fillStart) / 1e9);

    List<Node> started = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try {
      for (int n = 0; n < nodes - 1; n++) {
        started.add(start("n" + (n + 1), stores.get(n), ports));
      }
      long formed = awaitComplete(started, nodes - 1);
      System.out.printf("  %d nodes formed a cluster: every map complete %d ms after the last one started%n",
          nodes - 1, formed);
      long t0 = System.nanoTime();
      started.add(start("n" + nodes, stores.get(nodes - 1), ports));
      long joined = awaitCompleteSince(started, nodes, t0);
      int known = started.stream().map(n -> n.managers().status()).mapToInt(ManagerStatus::users).sum();
      System.out.printf("RESULT reconstruction users=%d mailboxes=%d nodes=%d buckets=%d join_complete_ms=%d users_known=%d%n",
          users, users * 6L, nodes, buckets, joined, known);
      return known == users ? 0 : 1;
    } finally {
      for (Node n : started.reversed()) {
        n.close();
      }
      for (int n = started.size(); n < stores.size(); n++) {
        stores.get(n).close();
      }
    }
  }

  private Node start(String name, RocksMailStore store, List<Integer> ports) throws ClusterException, IOException {
    int port = freePort();
    List<HostPort> seeds = ports.stream().map(p -> new HostPort("127.0.0.1", p)).toList();
    ClusterTransport transport = ClusterTransport.start(ClusterSettings.of("reconstruction", name, "127.0.0.1", port, seeds));
    ports.add(port);
    RpcEndpoint rpc = new RpcEndpoint(transport, false);
    ManagerService managers = new ManagerService(name, rpc, store, buckets, Clock.systemUTC());
    AtomicReference<UserMap> previous = new AtomicReference<>();
    transport.addViewListener(view -> {
      UserMap map = UserMap.of(view.members(), buckets);
      managers.viewChanged(view, previous.getAndSet(map), map);
    });
    rpc.listen();
    return new Node(name, store, transport, rpc, managers);
  }

  private long awaitComplete(List<Node> nodes, int size) throws InterruptedException {
    return awaitCompleteSince(nodes, size, System.nanoTime());
  }

  /** Milliseconds from {@code since} until every node sees {@code size} members and all its buckets complete. */
  private long awaitCompleteSince(List<Node> nodes, int size, long since) throws InterruptedException {
    long deadline = since + timeoutSeconds * 1_000_000_000L;
    while (System.nanoTime() - deadline < 0) {
      boolean done = true;
      String viewId = null;
      for (Node n : nodes) {
        ManagerStatus s = n.managers().status();
        done &= n.transport().view().size() == size && s.completeBuckets() == s.managedBuckets()
            && (viewId == null || viewId.equals(s.viewId())) && s.viewId().equals(n.transport().view().id());
        viewId = s.viewId();
      }
      if (done) {
        return (System.nanoTime() - since) / 1_000_000;
      }
      Thread.sleep(5);
    }
    throw new IllegalStateException("mail maps not complete within " + timeoutSeconds + " s");
  }

  private static int freePort() throws IOException {
    while (true) {
      try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        int port = s.getLocalPort();
        if (port + 100 <= 65_535) { // FD_SOCK2 listens on port + 100
          return port;
        }
      }
    }
  }
}
