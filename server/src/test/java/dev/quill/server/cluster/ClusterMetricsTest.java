package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.cluster.transport.HostPort;
import dev.quill.cluster.transport.TransportSecurity;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics page of clustered nodes, read over HTTP while the security layer seals, opens and refuses real traffic. */
class ClusterMetricsTest {
  @TempDir
  Path dir;

  private InJvmCluster cluster;
  private ClusterTransport intruder;
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stop() {
    if (intruder != null) {
      intruder.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void countsSealedAndOpenedFrames_andEveryRefusalByReason() throws Exception {
    cluster = new InJvmCluster(dir, "metrics");
    int port1 = ClusterHarness.freePort();
    QuillNode n1 = cluster.start("n1", UnaryOperator.identity(),
        c -> c.withMetrics(new NodeConfig.Metrics(port1, "127.0.0.1")));
    cluster.start("n2");
    cluster.awaitComplete(2, Duration.ofSeconds(30));
    assertThat(n1.metricsPort()).hasValue(port1);

    String page = get(port1);
    assertThat(page).contains("# TYPE quill_cluster_frames_sealed_total counter")
        .contains("quill_node_info{node=\"n1\",mode=\"cluster\"} 1")
        .contains("quill_cluster_security_enabled 1")
        .contains("quill_cluster_dropped_total{reason=\"bad_tag\"} ")
        .contains("quill_policy_decisions_total{decision=\"deny\"} ");
    assertThat(value(page, "quill_cluster_frames_sealed_total")).isPositive();
    assertThat(value(page, "quill_cluster_frames_opened_total")).isPositive();
    assertThat(value(page, "quill_cluster_dropped_total{reason=\"missing\"}")).isZero();

    // A member of the same cluster name without the layer: everything it sends n1 is refused as unsealed.
    intruder = ClusterTransport.start(ClusterSettings.of("metrics", "intruder", ClusterHarness.HOST,
        ClusterHarness.freePort(), List.of(new HostPort(ClusterHarness.HOST, n1.cluster().transport().settings().bindPort())))
        .withTimeouts(InJvmCluster.FAST).withSecurity(TransportSecurity.off()));
    await().atMost(Duration.ofSeconds(20))
        .until(() -> value(get(port1), "quill_cluster_dropped_total{reason=\"missing\"}") > 0);
    long sealedBefore = value(get(port1), "quill_cluster_frames_sealed_total");
    await().atMost(Duration.ofSeconds(10)).until(() -> value(get(port1), "quill_cluster_frames_sealed_total") > sealedBefore);
    assertThat(n1.cluster().view().members()).containsExactlyInAnyOrder("n1", "n2");
  }

  private String get(int port) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    return r.body();
  }

  private static long value(String page, String series) {
    Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\d+)$", Pattern.MULTILINE).matcher(page);
    assertThat(m.find()).as("series %s on the page", series).isTrue();
    return Long.parseLong(m.group(1));
  }
}
