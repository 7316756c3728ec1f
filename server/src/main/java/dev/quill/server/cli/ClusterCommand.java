package dev.quill.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quill cluster status}: the running node's view of the cluster, through its admin channel. */
@Command(name = "cluster", description = "Inspect the cluster a running node belongs to.", mixinStandardHelpOptions = true)
final class ClusterCommand {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

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
    rows.add(new String[] {"NODE", "BUCKETS", "DISK-Q", "CPU", "LOAD-AGE", "USERS", "MAILBOXES", "MESSAGES", "BYTES"});
    for (ClusterReport.Node n : r.nodes()) {
      String[] row = {
          n.name() + (n.name().equals(r.coordinator()) ? " *" : ""),
          dash(n.buckets()),
          dash(n.diskQueue()),
          n.cpu() == null ? "-" : n.cpu() < 0 ? "n/a" : String.format(Locale.ROOT, "%.0f%%", n.cpu() * 100),
          n.loadAgeMillis() == null ? "-" : String.format(Locale.ROOT, "%.1fs", n.loadAgeMillis() / 1000.0),
          "", "", "", ""};
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
    }
    if (r.clustered()) {
      sb.append("* coordinator; loads are the members' last gossip, forgotten after 2s\n");
    }
    return sb.toString();
  }

  private static String dash(Object value) {
    return value == null ? "-" : value.toString();
  }
}
