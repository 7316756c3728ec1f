package dev.quill.bench;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chaos run's private network, so that nodes can be partitioned: one network namespace per
 * node ({@code quill-chaos-nK}), each joined by a veth pair to a bridge in the root namespace
 * ({@code qchaos-br0}), with addresses in {@value #SUBNET}.0/24 that exist only on this machine (the
 * bridge is .1 and node K is .(10+K)). The load and the checker stay in the root namespace and
 * reach every node through the bridge; the nodes reach each other through it too.
 *
 * <p>A partition cuts nodes apart without touching the clients: in each node's namespace the
 * neighbour entries of the nodes on the other side are pinned to a hardware address nobody has, so
 * their frames go nowhere — a silent drop in both directions, as a failed switch port gives, with
 * no error that would tell the nodes quickly — while the root namespace (the load, the checker)
 * still reaches both sides. Healing deletes the pinned entries and ARP finds the real ones again.
 * This uses {@code ip} alone (iproute2), no firewall tools.
 *
 * <p>The names are fixed, so runs on one machine take a lock file for the whole run and, holding
 * it, first remove whatever a crashed earlier run left (its namespaces, the processes still in them,
 * its bridge). {@link #close} removes everything again; it is idempotent and also run from the
 * JVM's shutdown hook (Ctrl-C).
 */
final class ChaosNetwork implements AutoCloseable {
  /** The first three octets of the run's /24: a private range used only inside the namespaces below. */
  static final String SUBNET = "10.77.77";
  private static final String NAMESPACE = "quill-chaos-n";
  private static final String BRIDGE = "qchaos-br0";
  private static final String HOST_VETH = "qchaos-h";
  private static final String NODE_VETH = "qchaos-n";
  /** A locally administered unicast address no interface here has: frames sent to it are dropped by everyone. */
  private static final String NOWHERE = "02:00:5e:c4:a0:5f";
  private static final Path LOCK = Path.of(System.getProperty("java.io.tmpdir"), "quill-chaos-netns.lock");
  private static final Pattern STALE_NAMESPACE = Pattern.compile("^(" + NAMESPACE + "\\d+)\\b", Pattern.MULTILINE);

  private final String ip;
  private final int nodes;
  private final FileChannel lockFile;
  private final FileLock lock;
  private final Consumer<String> log;
  private final AtomicBoolean closed = new AtomicBoolean();

  private ChaosNetwork(String ip, int nodes, FileChannel lockFile, FileLock lock, Consumer<String> log) {
    this.ip = ip;
    this.nodes = nodes;
    this.lockFile = lockFile;
    this.lock = lock;
    this.log = log;
  }

  /** Why namespaces cannot be used here, or empty when they can: Linux, root, and a working {@code ip netns}. */
  static Optional<String> unavailable() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return Optional.of("network namespaces need Linux");
    }
    try {
      String status = Files.readString(Path.of("/proc/self/status"));
      Matcher uid = Pattern.compile("^Uid:\\s+(\\d+)", Pattern.MULTILINE).matcher(status);
      if (!uid.find() || !uid.group(1).equals("0")) {
        return Optional.of("creating network namespaces needs root");
      }
    } catch (IOException e) {
      return Optional.of("cannot read /proc/self/status: " + e.getMessage());
    }
    Optional<String> ip = findIp();
    if (ip.isEmpty()) {
      return Optional.of("the ip command (iproute2) is not installed");
    }
    try {
      Run r = run(List.of(ip.get(), "netns", "list"), "");
      if (r.code() != 0) {
        return Optional.of("ip netns list failed: " + r.out().strip());
      }
    } catch (IOException e) {
      return Optional.of("ip netns list failed: " + e.getMessage());
    }
    return Optional.empty();
  }

  private static Optional<String> findIp() {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
    return dirs.stream().filter(d -> !d.isEmpty()).map(d -> Path.of(d, "ip")).filter(Files::isExecutable)
        .map(Path::toString).findFirst();
  }

  /**
   * Takes the lock (refused while another run holds it), removes what a crashed run left, and builds
   * the bridge and one namespace per node. On failure nothing it built stays.
   */
  static ChaosNetwork create(int nodes, Consumer<String> log) throws IOException {
    String ip = findIp().orElseThrow(() -> new IOException("the ip command (iproute2) is not installed"));
    FileChannel channel = FileChannel.open(LOCK, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = channel.tryLock();
    if (lock == null) {
      channel.close();
      throw new IOException("another chaos run with network namespaces is going on (it holds " + LOCK + ")");
    }
    ChaosNetwork network = new ChaosNetwork(ip, nodes, channel, lock, log);
    try {
      network.removeStale();
      network.build();
      return network;
    } catch (IOException | RuntimeException e) {
      network.close();
      throw e;
    }
  }

  /** Node {@code k}'s (1-based) namespace. */
  String namespace(int k) {
    return NAMESPACE + k;
  }

  /** Node {@code k}'s address, on its namespace's end of the veth pair. */
  String address(int k) {
    return SUBNET + "." + (10 + k);
  }

  /** {@code command} run inside node {@code k}'s namespace ({@code ip netns exec} execs it in place: same PID). */
  List<String> inNamespace(int k, List<String> command) {
    List<String> cmd = new ArrayList<>(List.of(ip, "netns", "exec", namespace(k)));
    cmd.addAll(command);
    return cmd;
  }

  /** Cuts every node of {@code side} off from every node of {@code rest}, both ways; clients still reach all. */
  void cut(List<Integer> side, List<Integer> rest) throws IOException {
    pin(side, rest, true);
  }

  /** Undoes {@link #cut} for the same two groups. */
  void mend(List<Integer> side, List<Integer> rest) throws IOException {
    pin(side, rest, false);
  }

  private void pin(List<Integer> side, List<Integer> rest, boolean cut) throws IOException {
    for (int k = 1; k <= nodes; k++) {
      List<Integer> others = side.contains(k) ? rest : rest.contains(k) ? side : List.of();
      if (others.isEmpty()) {
        continue;
      }
      StringBuilder batch = new StringBuilder();
      for (int o : others) {
        batch.append(cut ? "neigh replace " + address(o) + " lladdr " + NOWHERE + " nud permanent"
            : "neigh del " + address(o)).append(" dev ").append(NODE_VETH).append(k).append('\n');
      }
      // -force: mending continues past an entry already gone (the kernel drops none it pinned, but be safe).
      Run r = run(List.of(ip, "-n", namespace(k), "-force", "-batch", "-"), batch.toString());
      if (cut && r.code() != 0) {
        throw new IOException("cutting " + namespace(k) + " off failed: " + r.out().strip());
      }
    }
  }

  private void build() throws IOException {
    // No spanning tree and no forward delay: a port forwards as soon as it is up.
    must(ip, "link", "add", BRIDGE, "type", "bridge", "stp_state", "0", "forward_delay", "0");
    must(ip, "addr", "add", SUBNET + ".1/24", "dev", BRIDGE);
    must(ip, "link", "set", BRIDGE, "up");
    for (int k = 1; k <= nodes; k++) {
      String ns = namespace(k);
      must(ip, "netns", "add", ns);
      must(ip, "-n", ns, "link", "set", "lo", "up");
      must(ip, "link", "add", HOST_VETH + k, "type", "veth", "peer", "name", NODE_VETH + k, "netns", ns);
      must(ip, "link", "set", HOST_VETH + k, "master", BRIDGE);
      must(ip, "link", "set", HOST_VETH + k, "up");
      must(ip, "-n", ns, "addr", "add", address(k) + "/24", "dev", NODE_VETH + k);
      must(ip, "-n", ns, "link", "set", NODE_VETH + k, "up");
    }
    log.accept("network: bridge " + BRIDGE + " " + SUBNET + ".1/24, " + nodes + " namespaces " + namespace(1) + ".."
        + namespace(nodes));
  }

  /**
   * Removes the namespaces, processes and bridge of an earlier run that did not clean up (killed
   * with SIGKILL, or the machine's session ended): the processes are found by namespace, so only
   * what such a run started is touched.
   */
  private void removeStale() throws IOException {
    Matcher m = STALE_NAMESPACE.matcher(run(List.of(ip, "netns", "list"), "").out());
    List<String> stale = new ArrayList<>();
    while (m.find()) {
      stale.add(m.group(1));
    }
    for (String ns : stale) {
      for (String pid : run(List.of(ip, "netns", "pids", ns), "").out().split("\\s+")) {
        if (!pid.isBlank()) {
          log.accept("network: killing process " + pid + " left in " + ns + " by an earlier run");
          ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
        }
      }
      run(List.of(ip, "netns", "del", ns), "");
    }
    boolean bridge = run(List.of(ip, "link", "show", BRIDGE), "").code() == 0;
    if (bridge) {
      run(List.of(ip, "link", "del", BRIDGE), "");
    }
    Matcher veth = Pattern.compile("^\\d+: (" + HOST_VETH + "\\d+)[@:]", Pattern.MULTILINE)
        .matcher(run(List.of(ip, "-o", "link", "show"), "").out());
    while (veth.find()) {
      run(List.of(ip, "link", "del", veth.group(1)), "");
    }
    if (!stale.isEmpty() || bridge) {
      log.accept("network: removed what an earlier run left: " + stale + (bridge ? " and " + BRIDGE : ""));
    }
  }

  /**
   * Removes the namespaces and the bridge (the veth pairs go with their namespace ends) and releases
   * the lock. The nodes must be stopped first: a namespace with a process in it outlives its name.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      for (int k = 1; k <= nodes; k++) {
        run(List.of(ip, "netns", "del", namespace(k)), "");
        // A namespace whose name is gone lives on while the kernel still holds sockets of it (closing TCP
        // connections): deleting our end of its veth pair takes the pair down now rather than later.
        if (run(List.of(ip, "link", "show", HOST_VETH + k), "").code() == 0) {
          run(List.of(ip, "link", "del", HOST_VETH + k), "");
        }
      }
      run(List.of(ip, "link", "del", BRIDGE), "");
      log.accept("network: namespaces and bridge removed");
    } catch (IOException e) {
      log.accept("network: cleanup failed (" + e.getMessage() + "); the next run removes what is left");
    } finally {
      try {
        lock.release();
        lockFile.close();
      } catch (IOException e) {
        // the lock goes with the process anyway
      }
    }
  }

  private void must(String... command) throws IOException {
    Run r = run(List.of(command), "");
    if (r.code() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + r.out().strip());
    }
  }

  /** A finished command's exit code and its output and errors together. */
  private record Run(int code, String out) {}

  private static Run run(List<String> command, String stdin) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return new Run(-1, out + " (timed out)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted running " + command, e);
    }
    return new Run(p.exitValue(), out);
  }
}
