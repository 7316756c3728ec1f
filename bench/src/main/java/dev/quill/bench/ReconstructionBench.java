package dev.quill.bench;

import dev.quill.cluster.manager.MailMap;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.ManagerService;
import dev.quill.cluster.manager.ManagerStatus;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.transport.ClusterException;
import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.cluster.transport.HostPort;
import dev.quill.cluster.transport.TransportSecurity;
import dev.quill.security.keys.KeyRing;
import dev.quill.security.keys.TrafficKeys;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.DeliveryResult;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How long the managers take to rebuild every mail map after a view change (issue 4's
 * reconstruction target): N in-process nodes, each with its own RocksDB store holding a share of
 * the users (each user's profile, default mailboxes and, with {@code --messages-per-user}, that
 * many small messages in INBOX; see {@link FillPlan}), and its own JGroups TCP transport on
 * 127.0.0.1. The first N−1 nodes form a cluster; the last joins, and the clock runs from its
 * start until every node's managed buckets are all complete under the new view. Afterwards a
 * sample of mail maps is read through the managers and checked against what was stored (profile
 * node, INBOX's node and highest UID), so a fast but wrong reconstruction fails the run.
 *
 * <p>The stores are filled through the store's own API before any node starts: users with
 * {@code addUser}, messages with {@code deliver} to a batch of users at a time (one write batch
 * each, many batches in flight so group commit shares the syncs).
 *
 * <pre>./quill bench reconstruction --users 100000 --messages-per-user 10 --nodes 3</pre>
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
  @Option(names = "--messages-per-user", defaultValue = "0",
      description = "Messages stored in each user's INBOX before the cluster starts (default: ${DEFAULT-VALUE}).")
  int messagesPerUser;
  @Option(names = "--message-size", defaultValue = "300", description = "Size of each stored message in bytes.")
  int messageSize;
  @Option(names = "--fill-batch", defaultValue = "64",
      description = "Users per delivery while filling, one write batch each; well below users per node, so that"
          + " deliveries to different users overlap (default: ${DEFAULT-VALUE}).")
  int fillBatch;
  @Option(names = "--check", defaultValue = "200", description = "Mail maps checked after reconstruction.")
  int check;
  @Option(names = "--keep-data", description = "Keep the stores' temporary directory (its path is printed).")
  boolean keepData;

  /** Deliveries in flight per store while filling: enough for group commit to share each sync. */
  private static final int FILL_WINDOW = 16;
  /** The in-process nodes' shared cluster key: they run with the security layer on, as real nodes do. */
  private final KeyRing keys = KeyRing.generate();

  private record Node(String name, RocksMailStore store, ClusterTransport transport, RpcEndpoint rpc, ManagerService managers,
      ManagerClient client) implements AutoCloseable {
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
    if (users < 1 || nodes < 2 || buckets < 1 || messagesPerUser < 0 || messageSize < 64 || fillBatch < 1 || check < 0) {
      System.err.println("error: --users, --buckets and --fill-batch must be at least 1, --nodes at least 2,"
          + " --messages-per-user and --check at least 0, --message-size at least 64");
      return 2;
    }
    FillPlan plan = new FillPlan(users, nodes, messagesPerUser, "example.test");
    Path root = Files.createTempDirectory("quill-reconstruction");
    System.out.printf("Reconstruction benchmark: %,d users, %,d messages of %d bytes, %d nodes, %d buckets; data in %s%n",
        users, plan.totalMessages(), messageSize, nodes, buckets, root);
    List<RocksMailStore> stores = new ArrayList<>();
    List<Node> started = new ArrayList<>();
    try {
      fill(plan, root, stores);
      List<Integer> ports = new ArrayList<>();
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
      int[] checked = checkMaps(plan, started.getFirst().client());
      System.out.printf("  mail maps checked: %d of %d as stored%n", checked[1], checked[0]);
      System.out.printf("RESULT reconstruction users=%d mailboxes=%d messages=%d nodes=%d buckets=%d join_complete_ms=%d"
          + " users_known=%d maps_checked=%d maps_ok=%d%n", users, users * 6L, plan.totalMessages(), nodes, buckets,
          joined, known, checked[0], checked[1]);
      return known == users && checked[0] == checked[1] ? 0 : 1;
    } finally {
      for (Node n : started.reversed()) {
        n.close();
      }
      for (int n = started.size(); n < stores.size(); n++) {
        stores.get(n).close();
      }
      if (keepData) {
        System.out.println("  data kept in " + root);
      } else {
        deleteTree(root);
      }
    }
  }

  /** Opens one store per node and fills them all at once, each from its own virtual thread. */
  private void fill(FillPlan plan, Path root, List<RocksMailStore> stores) throws Exception {
    StoreOptions fast = StoreOptions.defaults().withHashIterations(1_000); // profiles, not password hashing, are measured
    for (int n = 0; n < nodes; n++) {
      RocksMailStore store = RocksMailStore.open(root.resolve("n" + (n + 1)), fast);
      store.addDomain(plan.domain());
      stores.add(store);
    }
    long usersStart = System.nanoTime();
    onEveryNode(node -> {
      for (String user : plan.usersOf(node)) {
        stores.get(node).addUser(user, "pw".toCharArray());
      }
    });
    long messagesStart = System.nanoTime();
    AtomicLong refused = new AtomicLong();
    onEveryNode(node -> deliverAll(plan, node, stores.get(node), refused));
    if (refused.get() > 0) {
      throw new IllegalStateException(refused.get() + " messages were not stored while filling");
    }
    long end = System.nanoTime();
    long stored = stores.stream().mapToLong(st -> st.stats().messagesStored()).sum();
    double messageSecs = (end - messagesStart) / 1e9;
    System.out.printf("  stores filled: %,d users (%,d mailboxes) in %.1f s, %,d messages in %.1f s (%,.0f msgs/s), over %d"
        + " nodes%n", users, users * 6L, (messagesStart - usersStart) / 1e9, stored, messageSecs,
        stored / Math.max(messageSecs, 1e-3), nodes);
  }

  /** A filling step that may throw. */
  private interface NodeTask {
    void run(int node) throws Exception;
  }

  /** Runs {@code task} for every node at once, each on its own virtual thread; rethrows the first failure. */
  private void onEveryNode(NodeTask task) throws InterruptedException {
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int n = 0; n < nodes; n++) {
      int node = n;
      threads.add(Thread.ofVirtual().start(() -> {
        try {
          task.run(node);
        } catch (Throwable t) {
          failure.compareAndSet(null, t);
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("filling the stores failed: " + failure.get(), failure.get());
    }
  }

  /** Delivers one message to each of the node's users per round, a batch of users per call, a window in flight. */
  private void deliverAll(FillPlan plan, int node, RocksMailStore store, AtomicLong refused) throws InterruptedException {
    if (plan.messagesPerUser() == 0) {
      return;
    }
    List<List<String>> batches = plan.batches(node, fillBatch);
    var builder = new MessageBuilder(node);
    var window = new Semaphore(FILL_WINDOW);
    long seq = 0;
    for (int round = 0; round < plan.messagesPerUser(); round++) {
      for (List<String> batch : batches) {
        byte[] message = builder.build(MessageBuilder.envelope("bench@bench.test", batch.getFirst(), seq++, "n" + node),
            messageSize);
        window.acquire();
        store.deliver(batch, "INBOX", message, Instant.now()).whenComplete((results, error) -> {
          if (error != null) {
            refused.addAndGet(batch.size());
          } else {
            refused.addAndGet(results.stream().filter(r -> r.status() != DeliveryResult.Status.STORED).count());
          }
          window.release();
        });
      }
    }
    if (!window.tryAcquire(FILL_WINDOW, timeoutSeconds, TimeUnit.SECONDS)) {
      throw new IllegalStateException("deliveries to node " + node + " not durable within " + timeoutSeconds + " s");
    }
  }

  /**
   * Reads up to {@code --check} mail maps, spread over all users, through the managers and compares them with the
   * fill plan: complete, the profile on the user's node, INBOX on that node with the highest UID equal to the
   * messages stored. Returns {checked, matching}; every mismatch is printed.
   */
  private int[] checkMaps(FillPlan plan, ManagerClient client) throws Exception {
    int count = Math.min(check, users);
    int ok = 0;
    for (int k = 0; k < count; k++) {
      int i = (int) ((long) k * users / count);
      String user = plan.address(i);
      String node = "n" + (i % nodes + 1);
      MailMap map = client.mailMap(user).get(timeoutSeconds, TimeUnit.SECONDS);
      var inbox = map.mailboxes().stream().filter(b -> b.name().equals("INBOX")).findFirst();
      boolean good = map.complete() && map.profileNodes().equals(List.of(node)) && inbox.isPresent()
          && inbox.get().nodes().equals(List.of(node)) && inbox.get().highestUid() == plan.messagesPerUser();
      if (good) {
        ok++;
      } else {
        System.out.println("  mail map of " + user + " differs from what " + node + " stores: " + map);
      }
    }
    return new int[] {count, ok};
  }

  private static void deleteTree(Path root) throws IOException {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.delete(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }

  private Node start(String name, RocksMailStore store, List<Integer> ports) throws ClusterException, IOException {
    int port = freePort();
    List<HostPort> seeds = ports.stream().map(p -> new HostPort("127.0.0.1", p)).toList();
    ClusterTransport transport = ClusterTransport.start(ClusterSettings.of("reconstruction", name, "127.0.0.1", port, seeds)
        .withSecurity(new TransportSecurity.On(new TrafficKeys(keys))));
    ports.add(port);
    RpcEndpoint rpc = new RpcEndpoint(transport, false);
    ManagerService managers = new ManagerService(name, rpc, store, buckets, Clock.systemUTC());
    AtomicReference<UserMap> previous = new AtomicReference<>();
    transport.addViewListener(view -> {
      UserMap map = UserMap.of(view.members(), buckets);
      managers.viewChanged(view, previous.getAndSet(map), map);
    });
    rpc.listen();
    ManagerClient client = new ManagerClient(rpc, previous::get, Duration.ofSeconds(timeoutSeconds), 5, Duration.ofMillis(50));
    return new Node(name, store, transport, rpc, managers, client);
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

  /** A loopback port that was free a moment ago, with port + 100 (FD_SOCK2's) in range. */
  static int freePort() throws IOException {
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
