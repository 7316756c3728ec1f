package dev.quill.server.config;

import dev.quill.cluster.mail.LoadBalancer;
import dev.quill.cluster.mail.Replication;
import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.HostPort;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.StoreOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A node's resolved configuration: the embedded defaults, overridden by the TOML file, overridden
 * by command-line flags. Every tunable is declared once, in {@link #defaults()}, with its unit.
 */
public record NodeConfig(
    String hostname, Path data, String bind, Smtp smtp, Submission submission, Pop3 pop3, Imap imap, Tls tls,
    Auth auth, Duration gracePeriod, Cluster cluster, Store store, Metrics metrics) {

  /**
   * The metrics endpoint: Prometheus' text format over HTTP at {@code /metrics}.
   *
   * @param port TCP port; 0 = no endpoint (the default)
   * @param bind address it listens on; loopback unless an operator opens it
   */
  public record Metrics(int port, String bind) {
    public Metrics {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("metrics port must be 0 (off) or a TCP port, found " + port);
      }
      java.util.Objects.requireNonNull(bind, "bind");
    }
  }

  /**
   * The node's store on disk.
   *
   * @param minFreeSpace bytes the data directory's disk keeps free: below it new mail is refused as
   *     temporary (SMTP 452 4.3.1, IMAP NO [UNAVAILABLE]) until space returns; 0 = no check
   */
  public record Store(long minFreeSpace) {
    public Store {
      if (minFreeSpace < 0) {
        throw new IllegalArgumentException("min_free_space must be 0 (no check) or a size, found " + minFreeSpace);
      }
    }
  }

  /** The public SMTP listener (port 25 role: mail from other servers to local users). */
  public record Smtp(
      int port, long maxMessageSize, int maxRecipients, int maxConnections, int maxConnectionsPerIp,
      Duration pregreetWait, Duration idleTimeout, Duration dataTimeout, int maxErrors) {}

  /** The submission listener (RFC 6409: authenticated users sending mail); implicitTlsPort 0 = off. */
  public record Submission(int port, int implicitTlsPort) {}

  /** The POP3 listener; implicitTlsPort 0 = off (RFC 8314 port 995 role). */
  public record Pop3(int port, int implicitTlsPort, Duration idleTimeout, int maxConnections, int maxConnectionsPerIp) {}

  /** The IMAP listener; implicitTlsPort 0 = off (RFC 8314 port 993 role). */
  public record Imap(int port, int implicitTlsPort, Duration idleTimeout, int maxConnections, int maxConnectionsPerIp,
      long maxLiteralSize, long headerCacheSize) {}

  /** TLS: a PEM certificate chain and PKCS#8 key, or null for a self-signed pair kept in the data directory. */
  public record Tls(Path certificate, Path privateKey) {}

  /** Authentication policy: plaintext on loopback, failed-login penalties and the password hashing cost. */
  public record Auth(
      boolean allowPlaintextOnLoopback, Duration failureDelay, int maxFailuresPerIp, int maxFailuresPerUser,
      Duration failureWindow, Duration passwordHashTime) {}

  /**
   * Cluster membership. {@code port} 0 means standalone: no JGroups at all, the node runs as before.
   *
   * @param port the cluster transport's TCP port (its failure-detection socket uses port + 100); 0 = off
   * @param nodeName the node's stable name in the cluster; null = the machine's host name
   * @param bind the address the cluster transport listens on; null = the node's {@code bind}
   * @param join seeds asked at start-up; empty = form a cluster of one that others can join
   * @param name the cluster name; nodes join only a cluster of the same name
   * @param buckets the user map's bucket count, the same on every node
   * @param timeouts failure detection and merge timing; not in the file (tests shorten it)
   * @param spread the load balancer's candidate nodes per mailbox
   * @param replication copies of each message, and how many must be durable before a write is acknowledged
   * @param clockOffsetMillis added to the wall clock of the node's hybrid logical clock (clock-skew tests)
   * @param antiEntropyInterval how often copies are swept for missed changes; 0 = never
   * @param tombstoneGrace how old a tombstone must be before it is dropped (once every member has it)
   * @param security whether inter-node messages are sealed and verified (on by default; off only to measure its cost)
   * @param credentials the node's credential file from {@code ./quill cluster add-node}; null = none (a
   *     clustered node with security on then refuses to start)
   * @param keyRotation how often the security server moves the cluster to a new traffic key; 0 = never
   */
  public record Cluster(
      int port, String nodeName, String bind, List<HostPort> join, String name, int buckets,
      ClusterSettings.Timeouts timeouts, int spread, Replication replication, long clockOffsetMillis,
      Duration antiEntropyInterval, Duration tombstoneGrace, boolean security, Path credentials,
      Duration keyRotation) {
    public Cluster {
      join = List.copyOf(join);
    }

    /** Highest cluster port: JGroups' failure-detection socket listens on port + 100. */
    public static final int MAX_PORT = 65_535 - 100;

    public boolean enabled() {
      return port > 0;
    }

    /** Checks a cluster port: 0 (off) or 1..{@link #MAX_PORT}. */
    public static int checkPort(int port) {
      if (port < 0 || port > MAX_PORT) {
        throw new IllegalArgumentException("expected 0 (no cluster) or a TCP port from 1 to " + MAX_PORT
            + " (port + 100 is the failure-detection port), found " + port);
      }
      return port;
    }

    /** Checks a node or cluster name: the user map hashes node names, so they must be plain and stable. */
    public static String checkName(String name) {
      if (name == null || name.isEmpty() || name.length() > 200) {
        throw new IllegalArgumentException("must be 1 to 200 characters, found '" + (name == null ? "" : name) + "'");
      }
      if (name.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
        throw new IllegalArgumentException("must not contain spaces or control characters, found '" + name + "'");
      }
      return name;
    }

    /** Checks a bucket count: 1..{@link UserMap#MAX_BUCKETS}. */
    public static int checkBuckets(int buckets) {
      if (buckets < 1 || buckets > UserMap.MAX_BUCKETS) {
        throw new IllegalArgumentException("expected a bucket count from 1 to " + UserMap.MAX_BUCKETS + ", found " + buckets);
      }
      return buckets;
    }

    /** The largest load-balancing spread (candidate nodes per mailbox). */
    public static final int MAX_SPREAD = 1000;

    /** Checks a load-balancing spread: 1..{@link #MAX_SPREAD}. */
    public static int checkSpread(int spread) {
      if (spread < 1 || spread > MAX_SPREAD) {
        throw new IllegalArgumentException("expected a spread from 1 to " + MAX_SPREAD + " nodes, found " + spread);
      }
      return spread;
    }

    /** Parses a seed list {@code HOST:PORT[,HOST:PORT...]}. */
    public static List<HostPort> parseJoin(List<String> seeds) {
      return seeds.stream().map(String::strip).filter(s -> !s.isEmpty()).map(HostPort::parse).toList();
    }

    public Cluster withPort(int p) {
      return new Cluster(p, nodeName, bind, join, name, buckets, timeouts, spread, replication, clockOffsetMillis,
          antiEntropyInterval, tombstoneGrace, security, credentials, keyRotation);
    }

    public Cluster withNodeName(String n) {
      return new Cluster(port, n, bind, join, name, buckets, timeouts, spread, replication, clockOffsetMillis,
          antiEntropyInterval, tombstoneGrace, security, credentials, keyRotation);
    }

    public Cluster withBind(String b) {
      return new Cluster(port, nodeName, b, join, name, buckets, timeouts, spread, replication, clockOffsetMillis,
          antiEntropyInterval, tombstoneGrace, security, credentials, keyRotation);
    }

    public Cluster withJoin(List<HostPort> seeds) {
      return new Cluster(port, nodeName, bind, seeds, name, buckets, timeouts, spread, replication,
          clockOffsetMillis, antiEntropyInterval, tombstoneGrace, security, credentials, keyRotation);
    }

    public Cluster withName(String n) {
      return new Cluster(port, nodeName, bind, join, n, buckets, timeouts, spread, replication, clockOffsetMillis,
          antiEntropyInterval, tombstoneGrace, security, credentials, keyRotation);
    }

    public Cluster withSpread(int n) {
      return new Cluster(port, nodeName, bind, join, name, buckets, timeouts, checkSpread(n), replication,
          clockOffsetMillis, antiEntropyInterval, tombstoneGrace, security, credentials, keyRotation);
    }

    public Cluster withReplication(Replication r) {
      return new Cluster(port, nodeName, bind, join, name, buckets, timeouts, spread, r, clockOffsetMillis,
          antiEntropyInterval, tombstoneGrace, security, credentials, keyRotation);
    }

    /**
     * A node whose hybrid logical clock reads the wall clock shifted by {@code millis}: fault
     * injection for clock-skew tests (the chaos harness's {@code --clock-skew} sets it through the
     * test-only key {@code [cluster] clock_offset_for_testing}); never for a real cluster.
     */
    public Cluster withClockOffsetMillis(long millis) {
      return new Cluster(port, nodeName, bind, join, name, buckets, timeouts, spread, replication, millis,
          antiEntropyInterval, tombstoneGrace, security, credentials, keyRotation);
    }

    /** How often each node sweeps its copies for changes missed and messages with too few copies (0: never). */
    public Cluster withAntiEntropyInterval(Duration d) {
      return new Cluster(port, nodeName, bind, join, name, buckets, timeouts, spread, replication, clockOffsetMillis,
          d, tombstoneGrace, security, credentials, keyRotation);
    }

    /** How old a tombstone must be before it is dropped, once every member seen has it. */
    public Cluster withTombstoneGrace(Duration d) {
      return new Cluster(port, nodeName, bind, join, name, buckets, timeouts, spread, replication, clockOffsetMillis,
          antiEntropyInterval, d, security, credentials, keyRotation);
    }

    /** The security layer on (the default) or off (cost measurements only). */
    public Cluster withSecurity(boolean on) {
      return new Cluster(port, nodeName, bind, join, name, buckets, timeouts, spread, replication, clockOffsetMillis,
          antiEntropyInterval, tombstoneGrace, on, credentials, keyRotation);
    }

    /** The node's credential file ({@code ./quill cluster add-node}). */
    public Cluster withCredentials(Path file) {
      return new Cluster(port, nodeName, bind, join, name, buckets, timeouts, spread, replication, clockOffsetMillis,
          antiEntropyInterval, tombstoneGrace, security, file, keyRotation);
    }

    /** How often the security server rotates the traffic key (zero: never; {@code cluster rotate-key} still does). */
    public Cluster withKeyRotation(Duration d) {
      return new Cluster(port, nodeName, bind, join, name, buckets, timeouts, spread, replication, clockOffsetMillis,
          antiEntropyInterval, tombstoneGrace, security, credentials, d);
    }

    public Cluster withTimeouts(ClusterSettings.Timeouts t) {
      return new Cluster(port, nodeName, bind, join, name, buckets, t, spread, replication, clockOffsetMillis,
          antiEntropyInterval, tombstoneGrace, security, credentials, keyRotation);
    }
  }

  /** The embedded default configuration: a single node on loopback, safe limits. */
  public static NodeConfig defaults() {
    return new NodeConfig(
        "localhost",
        Path.of("quill-data"),
        "127.0.0.1",
        new Smtp(2525, 50L << 20, 100, 10_000, 100, Duration.ofMillis(50), Duration.ofMinutes(5), Duration.ofMinutes(3), 20),
        new Submission(2587, 0),
        new Pop3(2110, 0, Duration.ofMinutes(10), 10_000, 100),
        new Imap(2143, 0, Duration.ofMinutes(30), 10_000, 100, 50L << 20, 64L << 20),
        new Tls(null, null),
        new Auth(true, Duration.ofSeconds(2), 10, 20, Duration.ofMinutes(15), Duration.ofMillis(50)),
        Duration.ofSeconds(10),
        new Cluster(0, null, null, List.of(), "quill", UserMap.DEFAULT_BUCKETS, ClusterSettings.Timeouts.defaults(),
            LoadBalancer.DEFAULT_SPREAD, Replication.DEFAULT, 0, Duration.ofMinutes(10), Duration.ofDays(1), true, null,
            Duration.ofHours(24)),
        new Store(StoreOptions.DEFAULT_MIN_FREE_BYTES),
        new Metrics(0, "127.0.0.1"));
  }

  public NodeConfig withMetrics(Metrics m) {
    return new NodeConfig(hostname, data, bind, smtp, submission, pop3, imap, tls, auth, gracePeriod, cluster, store, m);
  }

  public NodeConfig withStore(Store s) {
    return new NodeConfig(hostname, data, bind, smtp, submission, pop3, imap, tls, auth, gracePeriod, cluster, s, metrics);
  }

  public NodeConfig withCluster(Cluster c) {
    return new NodeConfig(hostname, data, bind, smtp, submission, pop3, imap, tls, auth, gracePeriod, c, store, metrics);
  }

  public NodeConfig withData(Path d) {
    return new NodeConfig(hostname, d, bind, smtp, submission, pop3, imap, tls, auth, gracePeriod, cluster, store, metrics);
  }

  public NodeConfig withBind(String b) {
    return new NodeConfig(hostname, data, b, smtp, submission, pop3, imap, tls, auth, gracePeriod, cluster, store, metrics);
  }

  public NodeConfig withHostname(String h) {
    return new NodeConfig(h, data, bind, smtp, submission, pop3, imap, tls, auth, gracePeriod, cluster, store, metrics);
  }

  public NodeConfig withSmtpPort(int p) {
    Smtp s = smtp;
    return new NodeConfig(hostname, data, bind, new Smtp(p, s.maxMessageSize(), s.maxRecipients(), s.maxConnections(),
        s.maxConnectionsPerIp(), s.pregreetWait(), s.idleTimeout(), s.dataTimeout(), s.maxErrors()),
        submission, pop3, imap, tls, auth, gracePeriod, cluster, store, metrics);
  }

  public NodeConfig withSubmissionPort(int p) {
    return new NodeConfig(hostname, data, bind, smtp, new Submission(p, submission.implicitTlsPort()), pop3, imap, tls, auth,
        gracePeriod, cluster, store, metrics);
  }

  public NodeConfig withPop3Port(int p) {
    Pop3 o = pop3;
    return new NodeConfig(hostname, data, bind, smtp, submission,
        new Pop3(p, o.implicitTlsPort(), o.idleTimeout(), o.maxConnections(), o.maxConnectionsPerIp()), imap, tls,
        auth, gracePeriod, cluster, store, metrics);
  }

  public NodeConfig withImapPort(int p) {
    Imap i = imap;
    return new NodeConfig(hostname, data, bind, smtp, submission, pop3,
        new Imap(p, i.implicitTlsPort(), i.idleTimeout(), i.maxConnections(), i.maxConnectionsPerIp(),
            i.maxLiteralSize(), i.headerCacheSize()), tls, auth, gracePeriod, cluster, store, metrics);
  }
}
