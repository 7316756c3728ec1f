package dev.quill.server.cli;

import dev.quill.cluster.mail.Replication;
import dev.quill.server.config.ConfigLoader;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code quill serve}: runs one node in the foreground until SIGTERM or SIGINT, then stops
 * gracefully. Precedence: flags over the config file over the embedded defaults.
 */
@Command(name = "serve", description = "Run a Quill node in the foreground.", mixinStandardHelpOptions = true)
final class ServeCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE", description = "TOML configuration file.")
  Path config;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: quill-data).")
  Path data;

  @Option(names = "--bind", paramLabel = "ADDR", description = "Address to listen on (default: 127.0.0.1).")
  String bind;

  @Option(names = "--hostname", paramLabel = "NAME", description = "Host name in greetings and Received headers.")
  String hostname;

  @Option(names = "--smtp-port", paramLabel = "N", description = "SMTP port (default: 2525).")
  Integer smtpPort;

  @Option(names = "--submission-port", paramLabel = "N", description = "Submission port (default: 2587).")
  Integer submissionPort;

  @Option(names = "--pop3-port", paramLabel = "N", description = "POP3 port (default: 2110).")
  Integer pop3Port;

  @Option(names = "--imap-port", paramLabel = "N", description = "IMAP port (default: 2143).")
  Integer imapPort;

  @Option(names = "--node-name", paramLabel = "NAME",
      description = "This node's name in the cluster; must be stable across restarts (default: the host name).")
  String nodeName;

  @Option(names = "--cluster-port", paramLabel = "PORT",
      description = "Cluster transport port (PORT + 100 is used for failure detection); 0: no cluster (default: 0).")
  Integer clusterPort;

  @Option(names = "--cluster-bind", paramLabel = "ADDR",
      description = "Address of the cluster transport, reachable by the other nodes (default: --bind).")
  String clusterBind;

  @Option(names = "--join", paramLabel = "HOST:PORT", split = ",",
      description = "Cluster nodes to join (comma-separated); none: form a cluster of one that others can join.")
  List<String> join;

  @Option(names = "--cluster-name", paramLabel = "NAME",
      description = "Cluster name; nodes join only a cluster of the same name (default: quill).")
  String clusterName;

  @Option(names = "--replicas", paramLabel = "R",
      description = "Copies of each message on distinct nodes (default: 2; a cluster of one keeps one).")
  Integer replicas;

  @Option(names = "--min-durable-replicas", paramLabel = "N",
      description = "Copies that must be durable before a write is acknowledged; fewer reachable: 451 (default: 2, at most R).")
  Integer minDurableReplicas;

  @Option(names = "--cluster-credentials", paramLabel = "FILE",
      description = "This node's credential file, from ./quill cluster add-node (config: [cluster] credentials).")
  java.nio.file.Path clusterCredentials;

  /** The configuration these flags describe. */
  NodeConfig resolve() {
    NodeConfig c = NodeConfig.defaults();
    if (config != null) {
      c = ConfigLoader.load(config, c);
    }
    if (data != null) {
      c = c.withData(data);
    }
    if (bind != null) {
      c = c.withBind(bind);
    }
    if (hostname != null) {
      c = c.withHostname(hostname);
    }
    if (smtpPort != null) {
      c = c.withSmtpPort(checkPort("--smtp-port", smtpPort));
    }
    if (submissionPort != null) {
      c = c.withSubmissionPort(checkPort("--submission-port", submissionPort));
    }
    if (pop3Port != null) {
      c = c.withPop3Port(checkPort("--pop3-port", pop3Port));
    }
    if (imapPort != null) {
      c = c.withImapPort(checkPort("--imap-port", imapPort));
    }
    return c.withCluster(cluster(c.cluster()));
  }

  private NodeConfig.Cluster cluster(NodeConfig.Cluster k) {
    if (clusterPort != null) {
      k = k.withPort(flag("--cluster-port", NodeConfig.Cluster::checkPort, clusterPort));
    }
    if (nodeName != null) {
      k = k.withNodeName(flag("--node-name", NodeConfig.Cluster::checkName, nodeName));
    }
    if (clusterBind != null) {
      k = k.withBind(clusterBind);
    }
    if (join != null) {
      k = k.withJoin(flag("--join", NodeConfig.Cluster::parseJoin, join));
    }
    if (clusterCredentials != null) {
      k = k.withCredentials(clusterCredentials);
    }
    if (clusterName != null) {
      k = k.withName(flag("--cluster-name", NodeConfig.Cluster::checkName, clusterName));
    }
    if (replicas != null || minDurableReplicas != null) {
      int r = replicas != null ? replicas : k.replication().replicas();
      // the floor follows R down unless given: --replicas 1 alone means one copy, acknowledged alone
      int floor = minDurableReplicas != null ? minDurableReplicas : Math.min(k.replication().minDurable(), r);
      // profiles follow R too, unless the file set their count apart from its default
      Replication before = k.replication();
      int profiles = before.profileReplicas() == Replication.defaultProfileReplicas(before.replicas())
          ? Replication.defaultProfileReplicas(r) : before.profileReplicas();
      k = k.withReplication(flag(replicas != null ? "--replicas" : "--min-durable-replicas",
          x -> new Replication(r, floor, profiles), r));
    }
    return k;
  }

  private static <T, R> R flag(String flag, Function<T, R> check, T value) {
    try {
      return check.apply(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(flag + ": " + e.getMessage());
    }
  }

  private static int checkPort(String flag, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + ": " + port + " is not a TCP port (0 to 65535)");
    }
    return port;
  }

  @Override
  public Integer call() throws Exception {
    NodeConfig cfg = resolve();
    QuillNode node = QuillNode.start(cfg);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "quill-shutdown"));
    System.out.println("Quill node running on " + cfg.bind() + " " + node.ports() + ", data in "
        + cfg.data().toAbsolutePath() + "; stop with Ctrl-C or SIGTERM");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
