package dev.quill.server.metrics;

import dev.quill.security.SecurityEvents.Reason;
import dev.quill.server.admin.SecurityControl;
import java.util.Locale;

/**
 * Renders a node's counters in Prometheus' text exposition format (version 0.0.4): a {@code # HELP}
 * and {@code # TYPE} line per family, then its samples. Counters end in {@code _total}; every drop
 * reason is listed, zeros included, so that a rate over a reason never starts from a missing series.
 */
public final class MetricsText {
  private final StringBuilder out = new StringBuilder(2048);

  private MetricsText() {}

  /**
   * The page for a node: {@code node} and whether it runs in a cluster always; the security
   * counters when {@code security} is not null (a clustered node).
   */
  public static String render(String node, boolean clustered, SecurityControl.Report security) {
    MetricsText m = new MetricsText();
    m.family("quill_node_info", "gauge", "The node's name and mode; always 1.");
    m.sample("quill_node_info", "node=\"" + escape(node) + "\",mode=\"" + (clustered ? "cluster" : "standalone") + "\"", 1);
    if (security != null) {
      m.security(security);
    }
    return m.out.toString();
  }

  private void security(SecurityControl.Report r) {
    family("quill_cluster_security_enabled", "gauge", "1 when inter-node frames are sealed and verified, 0 with security off.");
    sample("quill_cluster_security_enabled", null, r.transport() ? 1 : 0);
    family("quill_cluster_frames_sealed_total", "counter", "Transport frames this node sealed and sent.");
    sample("quill_cluster_frames_sealed_total", null, r.sealed());
    family("quill_cluster_frames_opened_total", "counter", "Transport frames this node received, opened and verified.");
    sample("quill_cluster_frames_opened_total", null, r.opened());
    family("quill_cluster_dropped_total", "counter",
        "Inter-node frames and messages this node refused, by reason (missing, forged, replayed, stale key, tampered...).");
    for (Reason reason : Reason.values()) {
      long n = r.dropped().getOrDefault(reason.name(), 0L);
      sample("quill_cluster_dropped_total", "reason=\"" + reason.name().toLowerCase(Locale.ROOT) + "\"", n);
    }
    family("quill_policy_version", "gauge", "Version of the cluster policy in force on this node.");
    sample("quill_policy_version", null, r.policyVersion());
    family("quill_policy_decisions_total", "counter", "Remote requests this node decided on, by outcome.");
    sample("quill_policy_decisions_total", "decision=\"allow\"", r.allows());
    sample("quill_policy_decisions_total", "decision=\"audit\"", r.audits());
    sample("quill_policy_decisions_total", "decision=\"deny\"", r.denies());
    family("quill_audit_records_total", "counter", "Records written to this node's audit log.");
    sample("quill_audit_records_total", null, r.auditWritten());
    family("quill_audit_records_lost_total", "counter", "Audit records lost to a full queue (each is also logged).");
    sample("quill_audit_records_lost_total", null, r.auditDropped());
  }

  private void family(String name, String type, String help) {
    out.append("# HELP ").append(name).append(' ').append(help).append('\n');
    out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
  }

  private void sample(String name, String labels, long value) {
    out.append(name);
    if (labels != null) {
      out.append('{').append(labels).append('}');
    }
    out.append(' ').append(value).append('\n');
  }

  /** A label value as the format wants it: backslash, double quote and line feed escaped. */
  static String escape(String value) {
    StringBuilder b = new StringBuilder(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '"' -> b.append("\\\"");
        case '\n' -> b.append("\\n");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
