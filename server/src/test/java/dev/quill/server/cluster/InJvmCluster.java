package dev.quill.server.cluster;

import static org.awaitility.Awaitility.await;

import dev.quill.cluster.manager.ManagerStatus;
import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.HostPort;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Whole {@link QuillNode}s in this JVM, each with its own data directory, mail listeners on free
 * ports and JGroups TCP transport on 127.0.0.1 with shortened timing; every node started before
 * another is its seed.
 */
final class InJvmCluster implements AutoCloseable {
  /** Joins, heartbeats and checks in half a second; suspicion after 3 s; merges every 1 to 2 s. */
  static final ClusterSettings.Timeouts FAST = new ClusterSettings.Timeouts(Duration.ofMillis(500),
      Duration.ofMillis(500), Duration.ofSeconds(3), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2));

  private final Path dir;
  private final String clusterName;
  private final List<Integer> seeds = new ArrayList<>();
  private final List<QuillNode> nodes = new ArrayList<>();

  InJvmCluster(Path dir, String clusterName) {
    this.dir = dir;
    this.clusterName = clusterName;
  }

  QuillNode start(String name) throws Exception {
    return start(name, UnaryOperator.identity());
  }

  /** Starts a node whose cluster settings {@code tweak} may change (spread, ...). */
  QuillNode start(String name, UnaryOperator<NodeConfig.Cluster> tweak) throws Exception {
    return start(name, tweak, UnaryOperator.identity());
  }

  /** Starts a node whose cluster settings {@code tweak} and whose whole configuration {@code node} may change. */
  QuillNode start(String name, UnaryOperator<NodeConfig.Cluster> tweak, UnaryOperator<NodeConfig> node)
      throws Exception {
    int port = ClusterHarness.freePort();
    NodeConfig.Cluster cluster = NodeConfig.defaults().cluster().withPort(port).withNodeName(name)
        .withBind(ClusterHarness.HOST).withJoin(seeds.stream().map(p -> new HostPort(ClusterHarness.HOST, p)).toList())
        .withName(clusterName).withTimeouts(FAST).withCredentials(TestCredentials.issue(dir, name));
    QuillNode started = QuillNode.start(node.apply(config(name).withCluster(tweak.apply(cluster))));
    seeds.add(port);
    nodes.add(started);
    return started;
  }

  /** Starts {@code name} with a credential the CA in {@code ca} issues now, kept as {@code <dir>/<name>.own.credential}. */
  QuillNode startIssued(String name, Path ca) throws Exception {
    Path file = dir.resolve(name + ".own.credential");
    dev.quill.security.keys.ClusterCa.open(ca).issue(name, java.time.Clock.systemUTC()).write(file);
    return start(name, c -> c.withCredentials(file));
  }

  /** Starts {@code name} again on its data directory, with the credential file it has now. */
  QuillNode restartIssued(String name) throws Exception {
    return start(name, c -> c.withCredentials(dir.resolve(name + ".own.credential")));
  }

  /** Stops {@code node} and forgets it. */
  void stop(QuillNode node) {
    node.close();
    nodes.remove(node);
  }

  /** Runs the {@code quill} command line in this JVM, its output discarded; the exit code. */
  static int cli(String... args) {
    return dev.quill.server.cli.QuillCli.run(new java.io.PrintWriter(new java.io.StringWriter()),
        new java.io.PrintWriter(new java.io.StringWriter()), args);
  }

  /** A standalone node's configuration with its data under this cluster's directory. */
  NodeConfig config(String name) {
    return NodeConfig.defaults().withData(dir.resolve(name)).withSmtpPort(0).withSubmissionPort(0).withPop3Port(0)
        .withImapPort(0);
  }

  /** Tracks a node started otherwise, so that {@link #close} stops it. */
  QuillNode add(QuillNode node) {
    nodes.add(node);
    return node;
  }

  /** For each UID of a user's mailbox, the names of the nodes whose own store holds a copy. */
  java.util.Map<Long, List<String>> holders(String user, String mailbox) {
    java.util.Map<Long, List<String>> holders = new java.util.TreeMap<>();
    for (QuillNode n : nodes) {
      for (dev.quill.store.MessageMeta m : n.store().messages(user, mailbox)) {
        holders.computeIfAbsent(m.uid(), u -> new ArrayList<>()).add(n.cluster().name());
      }
    }
    return holders;
  }

  /** Starts nodes a, b and c with the default settings, waits for their view, and adds the user (and its domain) through a. */
  void startThreeWithUser(String user, String password) throws Exception {
    for (String name : List.of("a", "b", "c")) {
      start(name);
    }
    awaitComplete(3, Duration.ofSeconds(30));
    node("a").mailStore().addDomain(user.substring(user.indexOf('@') + 1));
    node("a").mailStore().addUser(user, password.toCharArray());
  }

  List<QuillNode> nodes() {
    return nodes;
  }

  /** The running node named {@code name}. */
  QuillNode node(String name) {
    return nodes.stream().filter(n -> n.cluster().name().equals(name)).findFirst().orElseThrow();
  }

  /** Waits until every node sees {@code size} members and has heard from all of them about its buckets. */
  void awaitComplete(int size, Duration within) {
    await().atMost(within).until(() -> nodes.stream().filter(n -> n.cluster() != null).allMatch(n -> {
      ManagerStatus s = n.managerStatus().orElseThrow();
      return n.cluster().view().size() == size && s.completeBuckets() == s.managedBuckets();
    }));
  }

  @Override
  public void close() {
    nodes.reversed().forEach(QuillNode::close);
  }
}
