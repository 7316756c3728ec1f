package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The chaos run's namespaces for real (needs root and iproute2, as CI has; skipped elsewhere): a
 * server in one node's namespace is reached from the root namespace and from the other nodes'; a cut
 * stops the nodes on the other side only, mending restores them, and closing removes every namespace
 * and the bridge. What a crashed run left is removed first, the processes in it included.
 */
class ChaosNetworkTest {
  private static final int PORT = 8000;

  @Test
  void aCutDropsTrafficBetweenTheSidesOnly_untilMended_andNothingIsLeftAfterwards() throws Exception {
    assumeTrue(ChaosNetwork.unavailable().isEmpty(), () -> "no namespaces here: " + ChaosNetwork.unavailable().get());
    Process stale = leaveStaleNamespace();
    List<String> log = new CopyOnWriteArrayList<>();
    ChaosNetwork network;
    try {
      network = ChaosNetwork.create(3, log::add);
    } catch (IOException e) {
      stale.destroyForcibly();
      assumeTrue(!e.getMessage().contains("another chaos run"), e.getMessage()); // a real run is going on
      throw e;
    }
    assertThat(stale.waitFor(10, TimeUnit.SECONDS)).as("the process a crashed run left was killed").isTrue();
    assertThat(log).anyMatch(l -> l.contains("left in quill-chaos-n7 by an earlier run"));
    assertThat(namespaces()).doesNotContain("quill-chaos-n7");

    try (network) {
      // The JDK's own small web server stands in for a node: anything listening on the node's address.
      Process server = new ProcessBuilder(network.inNamespace(1, List.of(
          Path.of(System.getProperty("java.home"), "bin", "jwebserver").toString(), "-b", network.address(1), "-p",
          String.valueOf(PORT)))).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      try {
        awaitListening(network.address(1));
        assertThat(reaches(network, 2, network.address(1))).as("n2 → n1").isTrue();

        network.cut(List.of(1), List.of(2, 3));
        assertThat(reachesFromRoot(network.address(1))).as("the clients still reach the cut-off node").isTrue();
        assertThat(reaches(network, 2, network.address(1))).as("n2 → n1 while cut").isFalse();
        assertThat(reaches(network, 3, network.address(1))).as("n3 → n1 while cut").isFalse();

        network.mend(List.of(1), List.of(2, 3));
        assertThat(reaches(network, 2, network.address(1))).as("n2 → n1 after mending").isTrue();
      } finally {
        server.destroyForcibly();
        server.waitFor(10, TimeUnit.SECONDS);
      }
    }
    assertThat(namespaces()).doesNotContain("quill-chaos-n1", "quill-chaos-n2", "quill-chaos-n3");
    assertThat(run("ip", "link", "show", "qchaos-br0").exitValue()).as("the bridge is gone").isNotZero();
    Process links = run("ip", "-o", "link", "show");
    assertThat(new String(links.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).as("no veth left")
        .doesNotContain("qchaos-");
  }

  /** A namespace as a crashed run would leave it, with a process still in it. */
  private static Process leaveStaleNamespace() throws Exception {
    run("ip", "netns", "add", "quill-chaos-n7");
    return new ProcessBuilder("ip", "netns", "exec", "quill-chaos-n7", "sleep", "600").start();
  }

  private static String namespaces() throws Exception {
    Process p = run("ip", "netns", "list");
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  private static void awaitListening(String address) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!reachesFromRoot(address)) {
      assertThat(System.nanoTime()).as("the server in n1 listens within 30 s").isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  private static boolean reachesFromRoot(String address) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(address, PORT), 2_000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether a TCP connection from node {@code k}'s namespace to {@code address} opens within 3 s. */
  private static boolean reaches(ChaosNetwork network, int k, String address) throws Exception {
    List<String> cmd = new ArrayList<>(network.inNamespace(k, List.of("timeout", "3", "bash", "-c",
        "exec 3<>/dev/tcp/" + address + "/" + PORT)));
    return run(cmd.toArray(String[]::new)).exitValue() == 0;
  }

  private static Process run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
    return p;
  }
}
