package dev.quill.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.security.SecurityEvents.Reason;
import dev.quill.server.admin.SecurityControl;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MetricsTextTest {
  @Test
  void everyFamilyHasHelpAndType_andEveryReasonIsListed() {
    SecurityControl.Report r = new SecurityControl.Report("n1", "n2", 7, "version 7\n", 10, 2, 3, 5, 1, true, 100, 90,
        Map.of("BAD_TAG", 4L, "REPLAY", 1L));
    String page = MetricsText.render("n1", true, r);
    assertThat(page).contains("quill_cluster_frames_sealed_total 100\n", "quill_cluster_frames_opened_total 90\n",
        "quill_cluster_dropped_total{reason=\"bad_tag\"} 4\n", "quill_cluster_dropped_total{reason=\"replay\"} 1\n",
        "quill_policy_version 7\n", "quill_policy_decisions_total{decision=\"allow\"} 10\n",
        "quill_policy_decisions_total{decision=\"audit\"} 2\n", "quill_policy_decisions_total{decision=\"deny\"} 3\n",
        "quill_audit_records_total 5\n", "quill_audit_records_lost_total 1\n");
    for (Reason reason : Reason.values()) {
      assertThat(page).contains("quill_cluster_dropped_total{reason=\"" + reason.name().toLowerCase(java.util.Locale.ROOT) + "\"} ");
    }
    long families = page.lines().filter(l -> l.startsWith("# TYPE ")).count();
    assertThat(page.lines().filter(l -> l.startsWith("# HELP ")).count()).isEqualTo(families).isEqualTo(9);
    // every sample line names a declared family
    page.lines().filter(l -> !l.startsWith("#")).forEach(l -> {
      String name = l.split("[{ ]", 2)[0];
      assertThat(page).contains("# TYPE " + name + " ");
    });
  }

  @Test
  void labelValuesAreEscaped() {
    assertThat(MetricsText.escape("a\"b\\c\nd")).isEqualTo("a\\\"b\\\\c\\nd");
    assertThat(MetricsText.render("we\"ird\nnode", false, null))
        .contains("quill_node_info{node=\"we\\\"ird\\nnode\",mode=\"standalone\"} 1\n");
  }
}
