package dev.quill.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RebalanceReport;
import dev.quill.server.admin.RemoteAdminOps;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code quill cluster status}: the running node's view of the cluster; {@code quill cluster rebalance}:
 * move mailbox fragments onto a node and follow the progress. Both through the node's admin channel.
 */
@Command(name = "cluster", description = "Inspect and rebalance the cluster a running node belongs to.",
    mixinStandardHelpOptions = true)
final class ClusterCommand {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** How often {@code rebalance} asks for progress. */
  static final Duration POLL = Duration.ofSeconds(1);
  /** Polls in a row a source may miss before it counts as failed (it left, or its node stopped). */
  static final int MISSED_POLLS = 10;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Command(name = "status", description = "Members, view, buckets per node, loads and each node's local counts.")
  int status(@Mixin DataDirOption d, @Option(names = "--json", description = "Print JSON instead of a table.") boolean json)
      throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    // Status is about a live cluster: a stopped node has no view to report, so there is no store fallback.
    RemoteAdminOps ops = RemoteAdminOps.connect(d.data).orElseThrow(() -> new IllegalArgumentException(
        "no running node on " + d.data.toAbsolutePath() + "; start it with ./quill serve --data " + d.data));
    try (ops) {
      ClusterReport report = ops.clusterStatus();
      out.print(json ? JSON.writeValueAsString(report) + "\n" : table(report));
      out.flush();
      return 0;
    }
  }

  @Command(name = "init", description = "Create the cluster's certificate authority and first traffic key in DIR"
      + " (keep DIR off the nodes; files are readable by their owner only).")
  int init(@Option(names = "--dir", required = true, paramLabel = "DIR", description = "Where the CA is created.")
      java.nio.file.Path dir) throws Exception {
    dev.quill.security.keys.ClusterCa.init(dir);
    PrintWriter out = spec.commandLine().getOut();
    out.println("cluster CA and traffic key 1 created in " + dir.toAbsolutePath() + "; issue each node's credential"
        + " with ./quill cluster add-node NAME --ca " + dir + " --out FILE");
    out.flush();
    return 0;
  }

  @Command(name = "add-node", description = "Issue a node's credential: its name and key signed by the cluster CA,"
      + " with the cluster's current traffic keys (file mode 0600; give it to that node only).")
  int addNode(@picocli.CommandLine.Parameters(paramLabel = "NAME", description = "The node's name (--node-name).")
      String name,
      @Option(names = "--ca", required = true, paramLabel = "DIR", description = "The CA directory (cluster init).")
      java.nio.file.Path ca,
      @Option(names = "--out", required = true, paramLabel = "FILE", description = "The credential file to write.")
      java.nio.file.Path file,
      @Option(names = "--data", paramLabel = "DIR", description = "A running member's data directory: the credential"
          + " gets the cluster's current traffic key from it, sealed for the new credential (needed after a"
          + " rotation the CA did not see: cluster rotate-key, [cluster] key_rotation).") java.nio.file.Path live)
      throws Exception {
    dev.quill.server.config.NodeConfig.Cluster.checkName(name);
    dev.quill.security.keys.ClusterCa authority = dev.quill.security.keys.ClusterCa.open(ca);
    dev.quill.security.keys.NodeCredential credential = authority.issue(name, java.time.Clock.systemUTC());
    if (live != null) {
      credential = withLiveKey(authority, credential, live);
    }
    credential.write(file);
    PrintWriter out = spec.commandLine().getOut();
    out.println("credential " + credential.serial() + " for " + name + " written to " + file.toAbsolutePath()
        + "; start the node with [cluster] credentials = \"" + file + "\" (or --cluster-credentials)");
    out.flush();
    return 0;
  }

  /** {@code credential} with the cluster's current key, sealed for it by the member running on {@code live}; the CA keeps it too. */
  private static dev.quill.security.keys.NodeCredential withLiveKey(dev.quill.security.keys.ClusterCa ca,
      dev.quill.security.keys.NodeCredential credential, java.nio.file.Path live) throws Exception {
    RemoteAdminOps ops = RemoteAdminOps.connect(live).orElseThrow(() -> new IllegalArgumentException(
        "no running node on " + live.toAbsolutePath() + "; give the data directory of a running member with --data"));
    try (ops) {
      Map.Entry<Integer, byte[]> sealed = ops.sealKey(credential.publicKey().getEncoded());
      byte[] raw = dev.quill.security.keys.KeySealing.open(sealed.getKey(), sealed.getValue(), credential.privateKey(),
          credential.publicKey());
      dev.quill.security.keys.KeyRing ring = ca.ring();
      if (ring.find(sealed.getKey()) == null) {
        ring = ring.rotateTo(dev.quill.security.keys.TrafficKey.of(sealed.getKey(),
            dev.quill.security.keys.TrafficKey.Status.CURRENT, 0, raw), 0, System.currentTimeMillis())
            .retireAllButCurrent();
        ca.saveRing(ring); // credentials issued later without --data get it too
      }
      return credential.withRing(ring);
    }
  }

  @Command(name = "revoke", description = "Lock a node out of the cluster at once: every other member moves to a new"
      + " traffic key delivered sealed for it alone, the old keys are retired, and the CA refuses the name from now on.")
  int revoke(@Mixin DataDirOption d,
      @picocli.CommandLine.Parameters(paramLabel = "NODE", description = "The node to lock out.") String node,
      @Option(names = "--ca", required = true, paramLabel = "DIR", description = "The CA directory (cluster init).")
      java.nio.file.Path caDir) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    dev.quill.security.keys.ClusterCa ca = dev.quill.security.keys.ClusterCa.open(caDir);
    RemoteAdminOps ops = RemoteAdminOps.connect(d.data).orElseThrow(() -> new IllegalArgumentException(
        "no running node on " + d.data.toAbsolutePath() + "; revoke through a live member (--data DIR of a running node)"));
    try (ops) {
      byte[] raw = dev.quill.security.keys.KeyRing.randomKey();
      // The cluster may have rotated on its own since the CA saw its key ([cluster] key_rotation): the new
      // key takes an id above both.
      int inUse = ops.clusterStatus().nodes().stream().filter(n -> n.security() != null)
          .mapToInt(n -> n.security().keyId()).max().orElse(0);
      int keyId = Math.max(ca.ring().maxId(), inUse) + 1;
      dev.quill.security.keys.KeyRing next = ca.ring().rotateTo(dev.quill.security.keys.TrafficKey.of(keyId,
          dev.quill.security.keys.TrafficKey.Status.CURRENT, 0, raw), 0, System.currentTimeMillis()).retireAllButCurrent();
      Map<String, byte[]> sealed = new HashMap<>();
      Map<String, byte[]> signatures = new HashMap<>();
      for (var e : ca.publicKeys().entrySet()) {
        if (!e.getKey().equals(node)) {
          byte[] forMember = dev.quill.security.keys.KeySealing.seal(keyId, raw, e.getValue());
          sealed.put(e.getKey(), forMember);
          // Members obey only orders the CA signed: a member with the cluster key cannot give them.
          signatures.put(e.getKey(), ca.signInstall(e.getKey(), keyId, forMember, node));
        }
      }
      // The CA first: nodes issued from now on get the new key, and the name is never issued again.
      ca.revoke(node);
      ca.saveRing(next);
      List<String> lines = ops.rekey(new dev.quill.server.admin.RekeyOrder(node, keyId, sealed, signatures,
          ca.signRetire(keyId), ca.signRevoke(node)));
      lines.forEach(out::println);
      out.flush();
      return lines.stream().allMatch(l -> l.endsWith("installed") || l.endsWith("retired")) ? 0 : 1;
    }
  }

  @Command(name = "rotate-key", description = "Move every member to a new traffic key now, through the security server"
      + " (the coordinator), locking nobody out: the old key stays accepted for a minute. [cluster] key_rotation does"
      + " the same on a schedule.")
  int rotateKey(@Mixin DataDirOption d) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    RemoteAdminOps ops = RemoteAdminOps.connect(d.data).orElseThrow(() -> new IllegalArgumentException(
        "no running node on " + d.data.toAbsolutePath() + "; rotate through a live member (--data DIR of a running node)"));
    try (ops) {
      List<String> lines = ops.rotateKey();
      lines.forEach(out::println);
      out.flush();
      return lines.stream().allMatch(l -> l.matches("\\S+: (key \\d+ accepted|sending with key \\d+)")) ? 0 : 1;
    }
  }

  @Command(name = "forget", description = "Give a node that is gone for good up: it no longer counts as down, and"
      + " the messages it held are copied again until each has its replicas on live nodes.")
  int forget(@Mixin DataDirOption d, @picocli.CommandLine.Parameters(paramLabel = "NODE",
      description = "The node's name (it must not be running).") String node) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    RemoteAdminOps ops = RemoteAdminOps.connect(d.data).orElseThrow(() -> new IllegalArgumentException(
        "no running node on " + d.data.toAbsolutePath() + "; start it with ./quill serve --data " + d.data));
    try (ops) {
      List<String> lines = ops.forget(node);
      lines.forEach(out::println);
      out.flush();
      return lines.stream().allMatch(l -> l.endsWith(": forgotten")) ? 0 : 1;
    }
  }

  @Command(name = "rebalance", description = "Move mailbox fragments onto a node (by default the member storing the"
      + " fewest messages), in the background, and show the progress until it is done.")
  int rebalance(@Mixin DataDirOption d,
      @Option(names = "--to", paramLabel = "NODE", description = "The node to fill (default: the member storing the"
          + " fewest messages).") String to,
      @Option(names = "--no-wait", description = "Start and return; the move goes on in the background.") boolean noWait)
      throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    RemoteAdminOps ops = RemoteAdminOps.connect(d.data).orElseThrow(() -> new IllegalArgumentException(
        "no running node on " + d.data.toAbsolutePath() + "; start it with ./quill serve --data " + d.data));
    try (ops) {
      RebalanceReport started = ops.startRebalance(to);
      out.println("rebalance " + started.run() + ": " + String.join(", ", started.sources())
          + " move about 1/" + (started.sources().size() + 1) + " of their messages to " + started.target());
      out.flush();
      if (noWait) {
        out.println("started; it goes on in the background");
        out.flush();
        return 0;
      }
      Map<String, Integer> missed = new HashMap<>();
      while (true) {
        Thread.sleep(POLL.toMillis());
        RebalanceReport now = ops.rebalanceStatus(started.run());
        Progress p = Progress.of(started, now, missed);
        out.println(p.line(started.target()));
        out.flush();
        if (p.finished()) {
          out.print(p.summary(started.target()));
          out.flush();
          return p.failed() == 0 && p.lost().isEmpty() ? 0 : 1;
        }
      }
    }
  }

  /** The sum over the sources of one rebalance, from one status poll. */
  record Progress(long messagesMoved, long messagesPlanned, int fragmentsMoved, int fragmentsPlanned, int failed,
      long bytesMoved, boolean finished, List<String> errors, List<String> lost) {

    /**
     * Sums the sources' answers. A source missing from the answer (unreachable, or restarted and
     * reporting no run) for {@link #MISSED_POLLS} polls in a row counts as lost.
     */
    static Progress of(RebalanceReport started, RebalanceReport now, Map<String, Integer> missed) {
      long moved = 0;
      long planned = 0;
      int fragmentsMoved = 0;
      int fragmentsPlanned = 0;
      int failed = 0;
      long bytes = 0;
      boolean finished = true;
      List<String> errors = new ArrayList<>();
      List<String> lost = new ArrayList<>();
      for (String source : started.sources()) {
        RebalanceReport.Node n = now.nodes().stream().filter(x -> x.name().equals(source)).findFirst().orElse(null);
        if (n == null) {
          int count = missed.merge(source, 1, Integer::sum);
          if (count >= MISSED_POLLS) {
            lost.add(source + ": " + now.unreachable().getOrDefault(source, "no longer reports this rebalance"));
          } else {
            finished = false;
          }
          continue;
        }
        missed.remove(source);
        moved += n.messagesMoved();
        planned += n.messagesPlanned();
        fragmentsMoved += n.fragmentsMoved();
        fragmentsPlanned += n.fragmentsPlanned();
        failed += n.fragmentsFailed();
        bytes += n.bytesMoved();
        finished &= n.state().equals("DONE");
        if (!n.error().isEmpty()) {
          errors.add(n.name() + ": " + n.error());
        }
      }
      return new Progress(moved, planned, fragmentsMoved, fragmentsPlanned, failed, bytes, finished, errors, lost);
    }

    /** One line per poll: "moved 1200 of 3000 messages (14 of 30 fragments) to n4; 0 failed". */
    String line(String target) {
      return "moved " + messagesMoved + " of " + messagesPlanned + " messages (" + fragmentsMoved + " of "
          + fragmentsPlanned + " fragments) to " + target + "; " + failed + " failed"
          + (lost.isEmpty() ? "" : "; " + lost.size() + " node(s) lost");
    }

    /** The closing lines: totals, then every failure. */
    String summary(String target) {
      StringBuilder sb = new StringBuilder();
      boolean clean = failed == 0 && lost.isEmpty();
      sb.append(clean ? "done" : "done with failures").append(": ").append(messagesMoved).append(" messages (")
          .append(bytesMoved).append(" bytes) in ").append(fragmentsMoved).append(" fragments moved to ").append(target)
          .append("; ").append(failed).append(" fragments failed\n");
      if (!clean) {
        errors.forEach(e -> sb.append("  ").append(e).append('\n'));
        lost.forEach(l -> sb.append("  lost ").append(l).append('\n'));
        sb.append("what was not moved stays where it was; run the rebalance again to retry\n");
      }
      return sb.toString();
    }
  }

  /** The human form: a header line, then one aligned row per member. */
  static String table(ClusterReport r) {
    StringBuilder sb = new StringBuilder();
    if (r.clustered()) {
      sb.append("cluster ").append(r.clusterName()).append(", view ").append(r.viewId()).append(", coordinator ")
          .append(r.coordinator()).append(", ").append(r.nodes().size()).append(" members, ").append(r.buckets())
          .append(" buckets; asked ").append(r.self()).append('\n');
    } else {
      sb.append("standalone (no cluster configured); node ").append(r.self()).append('\n');
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"NODE", "BUCKETS", "DISK-Q", "CPU", "LOAD-AGE", "USERS", "MAILBOXES", "MESSAGES", "BYTES",
        "SYNC", "KEY", "SEALED", "OPENED", "DROPPED"});
    for (ClusterReport.Node n : r.nodes()) {
      String[] row = {
          n.name() + (n.name().equals(r.coordinator()) ? " *" : ""),
          dash(n.buckets()),
          dash(n.diskQueue()),
          n.cpu() == null ? "-" : n.cpu() < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f%%", n.cpu() * 100),
          n.loadAgeMillis() == null ? "-" : String.format(Locale.ROOT, "%.1fs", n.loadAgeMillis() / 1000.0),
          "", "", "", "", n.sync() == null ? "" : n.sync(), "", "", "", ""};
      if (n.security() != null) {
        ClusterReport.Security sec = n.security();
        row[10] = sec.enabled() ? Integer.toString(sec.keyId()) : "off";
        row[11] = Long.toString(sec.sealed());
        row[12] = Long.toString(sec.opened());
        row[13] = Long.toString(sec.droppedTotal());
      }
      if (n.counts() != null) {
        row[5] = Long.toString(n.counts().users());
        row[6] = Long.toString(n.counts().mailboxes());
        row[7] = Long.toString(n.counts().messages());
        row[8] = Long.toString(n.counts().bytes());
      } else {
        row[5] = "unreachable";
      }
      rows.add(row);
    }
    int[] widths = new int[rows.getFirst().length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        widths[i] = Math.max(widths[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        line.append(String.format(Locale.ROOT, "%-" + widths[i] + "s", row[i])).append("  ");
      }
      sb.append(line.toString().stripTrailing()).append('\n');
    }
    for (ClusterReport.Node n : r.nodes()) {
      if (n.unreachable() != null) {
        sb.append(n.name()).append(" unreachable: ").append(n.unreachable()).append('\n');
      }
      if (n.security() != null && !n.security().dropped().isEmpty()) {
        StringBuilder reasons = new StringBuilder();
        n.security().dropped().forEach((reason, count) -> reasons.append(reasons.isEmpty() ? "" : ", ")
            .append(reason).append(' ').append(count));
        sb.append(n.name()).append(" dropped: ").append(reasons).append('\n');
      }
    }
    if (r.clustered()) {
      sb.append("* coordinator; loads are the members' last gossip, forgotten after 2s; KEY, SEALED, OPENED and"
          + " DROPPED are each member's inter-node messages since it started\n");
    }
    return sb.toString();
  }

  private static String dash(Object value) {
    return value == null ? "-" : value.toString();
  }
}
