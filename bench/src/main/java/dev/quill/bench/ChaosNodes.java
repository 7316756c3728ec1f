package dev.quill.bench;

import dev.quill.mail.tls.TlsContexts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * The chaos run's nodes: real {@code quill serve} JVMs, each with its own data directory, SMTP and
 * IMAP ports and cluster port, all joining the first — on loopback with a port range per node, or,
 * with a {@link ChaosNetwork}, each in its own network namespace on its own address (same ports
 * everywhere), so that the network between them can be cut. A node can be killed (SIGKILL),
 * restarted on its data, paused (SIGSTOP) and resumed (SIGCONT). The admin commands ({@code domain
 * add}, {@code user import}, {@code cluster status}, {@code debug fragments}) run as the operator
 * would run them, as separate {@code quill} processes against a node's data directory — inside the
 * node's namespace, where its loopback admin channel is. With a clock skew, each node's hybrid
 * logical clock reads the wall clock shifted by its own offset (the test-only key {@code [cluster]
 * clock_offset_for_testing} in a configuration file per node), kept across restarts.
 */
final class ChaosNodes implements AutoCloseable {
  static final String LOOPBACK = "127.0.0.1";

  /** One node: fixed name, directory, address and ports; the process changes when it is restarted. */
  static final class Node {
    /** 1-based: node {@code n1} is 1 (its namespace and address follow it). */
    final int index;
    final String name;
    final Path dir;
    final String host;
    final int smtp;
    final int imap;
    final int cluster;
    /** Added to the wall clock of the node's hybrid logical clock. */
    final long clockOffsetMillis;
    Process process;
    boolean paused;
    private SSLContext trust;

    Node(int index, Path dir, String host, int smtp, int imap, int cluster, long clockOffsetMillis) {
      this.clockOffsetMillis = clockOffsetMillis;
      this.index = index;
      this.name = "n" + index;
      this.dir = dir;
      this.host = host;
      this.smtp = smtp;
      this.imap = imap;
      this.cluster = cluster;
    }

    boolean running() {
      return process != null && process.isAlive();
    }

    /**
     * Trusts exactly this node's self-signed certificate, made in its data directory on first start,
     * for STARTTLS: off loopback the nodes refuse plaintext logins.
     */
    synchronized SSLContext trust() throws IOException {
      if (trust == null) {
        try {
          trust = TlsContexts.clientTrusting(dir.resolve(TlsContexts.SELF_SIGNED_CERT_FILE));
        } catch (RuntimeException e) {
          throw new IOException(name + "'s certificate: " + e.getMessage(), e);
        }
      }
      return trust;
    }

    @Override
    public String toString() {
      return name;
    }
  }

  private final String java;
  private final Path serverJar;
  private final Path work;
  private final String clusterName;
  private final int replicas;
  /** The namespaces the nodes run in, or null on loopback. */
  private final ChaosNetwork network;
  private final List<Node> nodes = new ArrayList<>();
  /** Set by {@link #close}, which the shutdown hook may run while the nemesis is still going: no launch after it. */
  private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.Set<Integer> taken = new java.util.HashSet<>();
  /** Where the search for free ports starts: spread by the work directory, so concurrent runs rarely meet. */
  private int nextPort;

  /**
   * @param network the namespaces to run the nodes in, or null to run them all on loopback
   * @param skewMillis how far apart the nodes' clocks run at most: offsets spread evenly from
   *     {@code -skewMillis/2} (n1) to {@code +skewMillis/2} (the last node); 0 for none
   */
  ChaosNodes(Path serverJar, Path work, String clusterName, int count, int replicas, ChaosNetwork network,
      long skewMillis) throws IOException {
    this.java = ProcessHandle.current().info().command().orElse("java");
    this.serverJar = serverJar;
    this.work = work;
    this.clusterName = clusterName;
    this.replicas = replicas;
    this.network = network;
    this.nextPort = 20_000 + Math.floorMod(work.toString().hashCode(), 10_000);
    for (int i = 1; i <= count; i++) {
      long offset = count < 2 ? 0 : -skewMillis / 2 + skewMillis * (i - 1) / (count - 1);
      nodes.add(network != null
          // a namespace per node: its own address, so the usual ports, and nothing else there to collide with
          ? new Node(i, work.resolve("n" + i), network.address(i), 2525, 2143, 7800, offset)
          : new Node(i, work.resolve("n" + i), LOOPBACK, port(false), port(false), port(true), offset));
    }
  }

  /** The network the nodes run in, or null on loopback. */
  ChaosNetwork network() {
    return network;
  }

  List<Node> all() {
    return nodes;
  }

  /** Starts the first node, then the others joining it, and waits until every node sees all members. */
  void startAll(Duration within) throws IOException, InterruptedException {
    launch(nodes.getFirst());
    awaitListening(nodes.getFirst(), within);
    for (Node n : nodes.subList(1, nodes.size())) {
      launch(n);
    }
    for (Node n : nodes) {
      awaitListening(n, within);
    }
    awaitMembers(nodes.size(), within);
  }

  /**
   * The node's credential, issued once per run by the run's own cluster CA through the CLI
   * ({@code cluster init}, {@code cluster add-node}), as an operator would: the nodes run with the
   * security layer on.
   */
  private Path credential(Node node) throws IOException {
    Path ca = work.resolve("ca");
    Path file = work.resolve(node.name + ".credential");
    if (!Files.exists(ca.resolve("ca.key"))) {
      cli("cluster", "init", "--dir", ca.toString());
    }
    if (!Files.exists(file)) {
      cli("cluster", "add-node", node.name, "--ca", ca.toString(), "--out", file.toString());
    }
    return file;
  }

  private void cli(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(java, "-jar", serverJar.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (p.waitFor() != 0) {
        throw new IOException(String.join(" ", args) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", args), e);
    }
  }

  /** Starts (or restarts) {@code node}'s JVM on its data directory; returns at once. */
  void launch(Node node) throws IOException {
    if (closed.get()) {
      throw new IOException("the run is over: not starting " + node.name + " again");
    }
    Files.createDirectories(node.dir);
    List<String> seeds = nodes.stream().filter(n -> n != node).map(n -> n.host + ":" + n.cluster).toList();
    List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx384m", "-jar",
        serverJar.toString(), "serve", "--data", node.dir.toString(), "--node-name", node.name, "--bind", node.host,
        "--cluster-port", String.valueOf(node.cluster), "--cluster-bind", node.host, "--cluster-name", clusterName,
        "--smtp-port", String.valueOf(node.smtp), "--submission-port", "0", "--pop3-port", "0",
        "--imap-port", String.valueOf(node.imap), "--replicas", String.valueOf(replicas), "--join",
        String.join(",", seeds), "--cluster-credentials", credential(node).toString()));
    if (node.clockOffsetMillis != 0) {
      Path config = work.resolve(node.name + ".toml");
      Files.writeString(config, "[cluster]\nclock_offset_for_testing = " + node.clockOffsetMillis + "\n");
      cmd.addAll(List.of("--config", config.toString()));
    }
    node.process = new ProcessBuilder(inNamespace(node, cmd)).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(node.name + ".log").toFile())).start();
    node.paused = false;
  }

  void kill(Node node) throws InterruptedException {
    if (node.paused) {
      signal(node, "CONT");
    }
    node.process.destroyForcibly();
    node.process.waitFor(30, TimeUnit.SECONDS);
    node.paused = false;
  }

  void pause(Node node) {
    signal(node, "STOP");
    node.paused = true;
  }

  void resume(Node node) {
    signal(node, "CONT");
    node.paused = false;
  }

  private static void signal(Node node, String signal) {
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, String.valueOf(node.process.pid())).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill -" + signal + " " + node.name + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Waits until the node's admin channel file exists and its SMTP port accepts connections. */
  void awaitListening(Node node, Duration within) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      if (!node.running()) {
        throw new IOException(node.name + " exited while starting; see " + work.resolve(node.name + ".log"));
      }
      if (Files.exists(node.dir.resolve("admin.json")) && accepts(node.host, node.smtp)) {
        return;
      }
      Thread.sleep(200);
    }
    throw new IOException(node.name + " did not start within " + within + "; see " + work.resolve(node.name + ".log"));
  }

  /** Waits until every running node's {@code cluster status} counts {@code count} members. */
  void awaitMembers(int count, Duration within) throws InterruptedException, IOException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      boolean all = true;
      for (Node n : nodes) {
        if (n.running() && !n.paused && members(n) != count) {
          all = false;
          break;
        }
      }
      if (all) {
        return;
      }
      Thread.sleep(500);
    }
    throw new IOException("the nodes did not all see " + count + " members within " + within);
  }

  /** Members in {@code node}'s view, from the first line of {@code quill cluster status}; -1 when it does not answer. */
  int members(Node node) throws IOException, InterruptedException {
    Admin r = admin(node, "", "cluster", "status");
    Matcher m = MEMBERS.matcher(r.out());
    return r.code() == 0 && m.find() ? Integer.parseInt(m.group(1)) : -1;
  }

  private static final Pattern MEMBERS = Pattern.compile(", (\\d+) members,");

  /** The output and exit code of an admin command run against {@code node}. */
  record Admin(int code, String out) {}

  Admin admin(Node node, String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(java, "-jar", serverJar.toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--data", node.dir.toString()));
    Process p = new ProcessBuilder(inNamespace(node, cmd)).redirectErrorStream(true).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      return new Admin(-1, out);
    }
    return new Admin(p.exitValue(), out);
  }

  private List<String> inNamespace(Node node, List<String> cmd) {
    return network == null ? cmd : network.inNamespace(node.index, cmd);
  }

  private static boolean accepts(String host, int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * A port below the kernel's ephemeral range (32768 and up on Linux), free now: the nodes' own
   * ephemeral ports (submission and POP3 listen on 0, and every outgoing connection) cannot take it
   * between runs of a node, and a restarted node gets its ports back. For the cluster port, port +
   * 100 (JGroups' failure-detection socket) must be free too.
   */
  private int port(boolean cluster) throws IOException {
    while (nextPort < 32_000) {
      int p = nextPort++;
      if (taken.contains(p) || (cluster && taken.contains(p + 100)) || !bindable(p) || (cluster && !bindable(p + 100))) {
        continue;
      }
      taken.add(p);
      if (cluster) {
        taken.add(p + 100);
      }
      return p;
    }
    throw new IOException("no free port below 32000");
  }

  private static boolean bindable(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(LOOPBACK, port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Resumes and stops every node: SIGTERM, then SIGKILL after 20 s. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Node n : nodes) {
      if (n.running()) {
        if (n.paused) {
          resume(n);
        }
        n.process.destroy();
      }
    }
    for (Node n : nodes) {
      try {
        if (n.process != null && !n.process.waitFor(20, TimeUnit.SECONDS)) {
          n.process.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
