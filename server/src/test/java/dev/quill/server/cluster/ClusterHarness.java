package dev.quill.server.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quill.server.admin.AdminEndpoint;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.cli.QuillCli;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real Quill nodes in separate JVMs: each runs {@code QuillCli serve} from the test class path with
 * its own data directory, a free cluster port, mail listeners on ephemeral ports, and the seeds
 * given. A node can be SIGKILLed and restarted on the same data directory, name and port.
 * {@link #status} asks a node through its real admin channel, as {@code ./quill cluster status} does.
 */
final class ClusterHarness implements AutoCloseable {
  static final String HOST = "127.0.0.1";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One node: fixed name, directory and port; the process changes on restart. */
  static final class Node {
    final String name;
    final Path dir;
    final int clusterPort;
    final String clusterName;
    final List<Integer> seeds;
    final List<String> extraArgs;
    /** CPUs the JVM is pinned to ({@code taskset -c}), or null for all. */
    String cpus;
    Process process;

    Node(String name, Path dir, int clusterPort, String clusterName, List<Integer> seeds, List<String> extraArgs) {
      this.name = name;
      this.dir = dir;
      this.clusterPort = clusterPort;
      this.clusterName = clusterName;
      this.seeds = List.copyOf(seeds);
      this.extraArgs = List.copyOf(extraArgs);
    }

    Path log() {
      return dir.resolve("node.log");
    }
  }

  private final Path root;
  private final Map<String, Node> nodes = new LinkedHashMap<>();

  ClusterHarness(Path root) {
    this.root = root;
  }

  /** Reserves a cluster port for {@code name} now, so that nodes started together can name each other as seeds. */
  Node define(String name, String clusterName, List<String> seedNames) {
    return define(name, clusterName, seedNames, List.of());
  }

  /** As {@link #define(String, String, List)}, with more {@code serve} arguments (a {@code --config} file, ...). */
  Node define(String name, String clusterName, List<String> seedNames, List<String> extraArgs) {
    List<Integer> seeds = seedNames.stream().map(s -> nodes.get(s).clusterPort).toList();
    Node node = new Node(name, root.resolve(name), freePort(), clusterName, seeds, extraArgs);
    nodes.put(name, node);
    return node;
  }

  Node node(String name) {
    return nodes.get(name);
  }

  /** Starts (or restarts) the node's JVM; returns at once, see {@link #awaitReady}. */
  void launch(Node node) throws IOException {
    Files.createDirectories(node.dir);
    // A killed node leaves its admin.json behind; readiness is a fresh one.
    Files.deleteIfExists(AdminEndpoint.file(node.dir));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>();
    if (node.cpus != null) {
      cmd.addAll(List.of("taskset", "-c", node.cpus));
    }
    cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED",
        // The node's own logging configuration, not the tests' (which hides the INFO view lines).
        "-Dlogback.configurationFile=logback.xml", "-Xmx256m", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), QuillCli.class.getName(), "serve",
        "--data", node.dir.toString(), "--smtp-port", "0", "--submission-port", "0", "--pop3-port", "0",
        "--imap-port", "0", "--node-name", node.name, "--cluster-port", Integer.toString(node.clusterPort),
        "--cluster-bind", HOST, "--cluster-name", node.clusterName,
        "--cluster-credentials", TestCredentials.issue(node.dir.getParent(), node.name).toString()));
    cmd.addAll(node.extraArgs);
    if (!node.seeds.isEmpty()) {
      cmd.add("--join");
      cmd.add(String.join(",", node.seeds.stream().map(p -> HOST + ":" + p).toList()));
    }
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(node.log().toFile()));
    node.process = pb.start();
  }

  /** Starts the first node, then the others together once it is ready (they join it), and waits for all. */
  void startAll(Node first, Node... others) throws Exception {
    launch(first);
    awaitReady(first, 60);
    for (Node n : others) {
      launch(n);
    }
    for (Node n : others) {
      awaitReady(n, 60);
    }
  }

  /** Waits until the node's admin channel answers (it opens after the cluster join). */
  void awaitReady(Node node, long timeoutSeconds) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
    while (System.nanoTime() < deadline) {
      if (!node.process.isAlive()) {
        throw new AssertionError(node.name + " exited with " + node.process.exitValue() + ":\n" + Files.readString(node.log()));
      }
      var ops = RemoteAdminOps.connect(node.dir);
      if (ops.isPresent()) {
        ops.get().close();
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError(node.name + " not ready within " + timeoutSeconds + " s:\n" + Files.readString(node.log()));
  }

  /**
   * The node's listener ports (smtp, submission, pop3, imap, ...), from the "node started" line of
   * its current run's log: the listeners bind ephemeral ports.
   */
  Map<String, Integer> ports(Node node) throws IOException {
    List<String> started = Files.readAllLines(node.log()).stream().filter(l -> l.contains("node started")).toList();
    if (started.isEmpty()) {
      throw new AssertionError(node.name + " has not logged its ports yet");
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("ports=\\{([^}]*)}").matcher(started.getLast());
    if (!m.find()) {
      throw new AssertionError("no ports in: " + started.getLast());
    }
    Map<String, Integer> ports = new LinkedHashMap<>();
    for (String pair : m.group(1).split(",\\s*")) {
      String[] kv = pair.split("=");
      ports.put(kv[0], Integer.parseInt(kv[1]));
    }
    return ports;
  }

  /** SIGKILL (Process.destroyForcibly is SIGKILL on Linux): no graceful leave, no shutdown hook. */
  void kill(Node node) throws InterruptedException {
    node.process.destroyForcibly();
    node.process.waitFor(30, TimeUnit.SECONDS);
  }

  /** {@code quill cluster status --json --data DIR} in this JVM, through the node's real admin channel. */
  ClusterReport status(Node node) throws IOException {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = QuillCli.run(new PrintWriter(out), new PrintWriter(err), "cluster", "status", "--json",
        "--data", node.dir.toString());
    if (code != 0) {
      throw new AssertionError("cluster status on " + node.name + " exited " + code + ": " + err);
    }
    return JSON.readValue(out.toString(), ClusterReport.class);
  }

  /** The same command's human table. */
  String statusTable(Node node) {
    StringWriter out = new StringWriter();
    int code = QuillCli.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "cluster", "status",
        "--data", node.dir.toString());
    if (code != 0) {
      throw new AssertionError("cluster status on " + node.name + " exited " + code);
    }
    return out.toString();
  }

  /**
   * A port free a moment ago, below Linux's ephemeral range (32768 and up), so that no outgoing
   * connection of another node takes it as its local port while the node that owns it restarts (a
   * killed node restarted on its port failed to bind once that way). JGroups' failure-detection
   * socket takes port + 100, or one of the few ports above it if that one is taken (FD_SOCK2 probes a
   * range), so only the transport port is checked.
   */
  static int freePort() {
    java.util.Random random = new java.util.Random();
    for (int attempt = 0; ; attempt++) {
      int port = 20_000 + random.nextInt(12_000);
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName(HOST))) {
        return socket.getLocalPort();
      } catch (IOException taken) {
        if (attempt > 1_000) {
          throw new UncheckedIOException("no free port found between 20000 and 32000", taken);
        }
      }
    }
  }

  /** The last {@code lines} lines of every node's log, to explain a failure. */
  String logTails(int lines) {
    StringBuilder b = new StringBuilder();
    for (Node node : nodes.values()) {
      try {
        List<String> all = Files.readAllLines(node.log());
        b.append("==== ").append(node.name).append('\n');
        all.subList(Math.max(0, all.size() - lines), all.size()).forEach(l -> b.append(l).append('\n'));
      } catch (IOException e) {
        b.append("==== ").append(node.name).append(": no log (").append(e.getMessage()).append(")\n");
      }
    }
    return b.toString();
  }

  /** Stops every node still running, gracefully (SIGTERM), then forcibly if it hangs. */
  @Override
  public void close() throws InterruptedException {
    for (Node node : nodes.values()) {
      if (node.process != null && node.process.isAlive()) {
        node.process.destroy();
      }
    }
    for (Node node : nodes.values()) {
      if (node.process != null && !node.process.waitFor(20, TimeUnit.SECONDS)) {
        node.process.destroyForcibly();
      }
    }
  }
}
