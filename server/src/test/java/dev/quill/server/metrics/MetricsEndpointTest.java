package dev.quill.server.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A standalone node's metrics page over real HTTP: what it serves, what it refuses, and that hostile requests change nothing. */
class MetricsEndpointTest {
  @TempDir
  Path dir;

  private QuillNode node;
  private int port;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeEach
  void start() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    node = QuillNode.start(NodeConfig.defaults().withData(dir.resolve("n")).withSmtpPort(0).withSubmissionPort(0)
        .withPop3Port(0).withImapPort(0).withMetrics(new NodeConfig.Metrics(port, "127.0.0.1")));
  }

  @AfterEach
  void stop() {
    node.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesThePageAtMetrics_onlyWithGetOrHead() throws Exception {
    HttpResponse<String> page = send("GET", "/metrics");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(page.headers().firstValue("Content-Type")).hasValue(MetricsEndpoint.CONTENT_TYPE);
    assertThat(page.body()).contains("# TYPE quill_node_info gauge\n")
        .contains("quill_node_info{node=\"localhost\",mode=\"standalone\"} 1\n")
        .doesNotContain("quill_cluster_");

    HttpResponse<String> head = send("HEAD", "/metrics");
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();

    HttpResponse<String> post = send("POST", "/metrics");
    assertThat(post.statusCode()).isEqualTo(405);
    assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");

    assertThat(send("GET", "/").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/metrics/../admin").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/metricsx").statusCode()).isEqualTo(404);
  }

  @Test
  void garbageAndHugeRequestLines_getAnErrorOrAClose_andThePageIsStillServed() throws Exception {
    for (String raw : new String[] {"GARBAGE\r\n\r\n", "GET " + "/a".repeat(40_000) + " HTTP/1.1\r\nHost: x\r\n\r\n",
        "\u0000\u0001\u0002\r\n\r\n", "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n"}) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        s.setSoTimeout(5_000);
        OutputStream out = s.getOutputStream();
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        InputStream in = s.getInputStream();
        byte[] answer = in.readNBytes(12);
        String status = new String(answer, StandardCharsets.ISO_8859_1);
        // the JDK server answers 400 (or 414) or closes the connection: never a page
        assertThat(status).doesNotContain(" 200");
      } catch (java.net.SocketException e) {
        // a reset is a clean refusal too
      }
    }
    assertThat(send("GET", "/metrics").statusCode()).isEqualTo(200);
  }
}
