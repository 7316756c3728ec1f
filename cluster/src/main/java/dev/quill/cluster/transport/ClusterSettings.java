package dev.quill.cluster.transport;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How one node joins the cluster: names, where it listens, whom it asks first, and the timing of
 * failure detection and merging.
 *
 * @param clusterName nodes join only a cluster of the same name; other names are ignored
 * @param nodeName the node's stable logical name (the user map hashes it, so it must survive restarts)
 * @param bindHost the address the cluster transport listens on
 * @param bindPort the TCP port of the cluster transport
 * @param portRange how many ports above {@code bindPort} may be tried when it is taken, and probed on
 *     each seed; 0 means exactly the configured port (a node listening elsewhere would not be found)
 * @param seeds nodes asked at start-up (TCPPING); empty means "form a cluster of one unless found"
 * @param timeouts failure detection and merge timing
 * @param security whether every frame is sealed and verified ({@link SealingTcp}) and every message's principal checked ({@link SecureLayer}); off unless given
 */
public record ClusterSettings(
    String clusterName, String nodeName, String bindHost, int bindPort, int portRange, List<HostPort> seeds,
    Timeouts timeouts, TransportSecurity security) {

  /** Settings without the security layer (set it with {@link #withSecurity}). */
  public ClusterSettings(String clusterName, String nodeName, String bindHost, int bindPort, int portRange,
      List<HostPort> seeds, Timeouts timeouts) {
    this(clusterName, nodeName, bindHost, bindPort, portRange, seeds, timeouts, TransportSecurity.off());
  }

  public ClusterSettings {
    requireName("cluster name", clusterName);
    requireName("node name", nodeName);
    Objects.requireNonNull(bindHost, "bindHost");
    if (bindPort < 1 || bindPort > 65_535) {
      throw new IllegalArgumentException("cluster port " + bindPort + " is outside 1..65535");
    }
    if (portRange < 0 || portRange > 100) {
      throw new IllegalArgumentException("port range " + portRange + " is outside 0..100");
    }
    seeds = List.copyOf(seeds);
    Objects.requireNonNull(timeouts, "timeouts");
    Objects.requireNonNull(security, "security");
  }

  /** Settings with production timing and an exact port. */
  public static ClusterSettings of(
      String clusterName, String nodeName, String bindHost, int bindPort, List<HostPort> seeds) {
    return new ClusterSettings(clusterName, nodeName, bindHost, bindPort, 0, seeds, Timeouts.defaults());
  }

  /** A copy with other timing (tests shorten everything). */
  public ClusterSettings withTimeouts(Timeouts other) {
    return new ClusterSettings(clusterName, nodeName, bindHost, bindPort, portRange, seeds, other, security);
  }

  /** A copy with the security layer set as {@code other}. */
  public ClusterSettings withSecurity(TransportSecurity other) {
    return new ClusterSettings(clusterName, nodeName, bindHost, bindPort, portRange, seeds, timeouts, other);
  }

  private static void requireName(String what, String name) {
    if (name == null || name.isBlank() || name.length() > 200) {
      throw new IllegalArgumentException(what + " must be 1 to 200 characters");
    }
  }

  /**
   * Timing of the membership protocols.
   *
   * @param join how long a starting node looks for an existing cluster before forming its own
   *     (GMS join_timeout); also the time a lone node waits before it is a cluster of one
   * @param heartbeat interval between heartbeats (FD_ALL3 interval)
   * @param suspect silence after which a member is suspected (FD_ALL3 timeout); a crashed process
   *     is noticed sooner by FD_SOCK2, this catches hung ones
   * @param verifySuspect how long a suspicion is double-checked before the member is excluded
   * @param mergeMin shortest interval between partition-merge checks (MERGE3)
   * @param mergeMax longest interval between partition-merge checks (MERGE3)
   */
  public record Timeouts(
      Duration join, Duration heartbeat, Duration suspect, Duration verifySuspect, Duration mergeMin,
      Duration mergeMax) {

    public Timeouts {
      if (heartbeat.compareTo(suspect) >= 0) {
        throw new IllegalArgumentException("heartbeat " + heartbeat + " must be shorter than suspect " + suspect);
      }
      if (mergeMin.compareTo(mergeMax) >= 0) {
        throw new IllegalArgumentException("mergeMin " + mergeMin + " must be shorter than mergeMax " + mergeMax);
      }
    }

    /**
     * Production timing: a hung node is excluded after about 11 s (10 s silence + 1 s check), a
     * crashed one within about a second (FD_SOCK2), partitions heal within 15 s.
     */
    public static Timeouts defaults() {
      return new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(2), Duration.ofSeconds(10),
          Duration.ofSeconds(1), Duration.ofSeconds(5), Duration.ofSeconds(15));
    }
  }
}
