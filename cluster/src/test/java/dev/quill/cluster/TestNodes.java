package dev.quill.cluster;

import dev.quill.cluster.transport.ClusterException;
import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.cluster.transport.HostPort;
import dev.quill.cluster.transport.TransportSecurity;
import dev.quill.security.keys.KeyRing;
import dev.quill.security.keys.TrafficKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * In-JVM cluster nodes for tests, each with its own real JGroups TCP transport on 127.0.0.1, timing
 * shortened so that views form and change within a second or two, and the security layer on under
 * one test cluster key (so every cluster test runs with it, as production does).
 */
public final class TestNodes implements AutoCloseable {
  public static final String HOST = "127.0.0.1";
  public static final ClusterSettings.Timeouts FAST = new ClusterSettings.Timeouts(
      Duration.ofMillis(500), Duration.ofMillis(500), Duration.ofSeconds(3), Duration.ofMillis(500),
      Duration.ofMillis(1000), Duration.ofMillis(2000));
  /** The traffic keys every test node of this JVM shares, as the nodes of one cluster do. */
  public static final KeyRing TEST_KEYS = KeyRing.generate();

  private final String clusterName;
  private final List<Integer> ports = new ArrayList<>();
  private final List<ClusterTransport> started = new ArrayList<>();

  public TestNodes(String clusterName) {
    this.clusterName = clusterName;
  }

  /** Starts a node named {@code name}; every node started before it is a seed. */
  public ClusterTransport start(String name) throws ClusterException {
    return start(name, clusterName);
  }

  /** Starts a node of another cluster name with the same seeds (isolation tests). */
  public ClusterTransport start(String name, String cluster) throws ClusterException {
    return start(name, cluster, security());
  }

  /** Starts a node with its own security settings (another key, the layer off...). */
  public ClusterTransport start(String name, String cluster, TransportSecurity security) throws ClusterException {
    int port = freePort();
    List<HostPort> seeds = ports.stream().map(p -> new HostPort(HOST, p)).toList();
    ClusterTransport node = ClusterTransport.start(
        ClusterSettings.of(cluster, name, HOST, port, seeds).withTimeouts(FAST).withSecurity(security));
    ports.add(port);
    started.add(node);
    return node;
  }

  /** The layer on under {@link #TEST_KEYS}; each node its own live ring, as each process has. */
  public static TransportSecurity security() {
    return new TransportSecurity.On(new TrafficKeys(TEST_KEYS));
  }

  /**
   * A port that was free a moment ago, and whose FD_SOCK2 neighbour (port + 100) is free too; below
   * Linux's ephemeral range (32768 and up), so that another node's outgoing connection never takes it
   * as its local port while its node restarts.
   */
  public static int freePort() {
    java.util.Random random = new java.util.Random();
    while (true) {
      try (ServerSocket socket = new ServerSocket(20_000 + random.nextInt(12_000), 1, InetAddress.getByName(HOST))) {
        int port = socket.getLocalPort();
        try (ServerSocket neighbour = new ServerSocket(port + 100, 1, InetAddress.getByName(HOST))) {
          return port;
        } catch (IOException taken) {
          // try another
        }
      } catch (java.net.BindException taken) {
        // try another
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  @Override
  public void close() {
    for (ClusterTransport node : started.reversed()) {
      node.close();
    }
  }
}
