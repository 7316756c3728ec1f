package dev.quill.server.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the node's metrics page at {@code GET /metrics} (JDK HTTP server, a virtual thread per
 * exchange). Every other path is 404 and every other method 405; nothing else is served, and a page
 * that cannot be made is a 500 with the reason, never a half page.
 */
public final class MetricsEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

  private MetricsEndpoint(HttpServer server) {
    this.server = server;
  }

  /**
   * Listens on {@code bind:port} (0: any free port) and serves what {@code page} makes at each request.
   *
   * @throws IOException if the address cannot be bound (in use, or not this host's)
   */
  public static MetricsEndpoint start(String bind, int port, Supplier<String> page) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(bind, port), 16);
    MetricsEndpoint endpoint = new MetricsEndpoint(server);
    server.createContext("/", exchange -> endpoint.serve(exchange, page));
    server.setExecutor(endpoint.executor);
    server.start();
    return endpoint;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void serve(HttpExchange exchange, Supplier<String> page) throws IOException {
    try (exchange) {
      String method = exchange.getRequestMethod();
      if (!exchange.getRequestURI().getPath().equals("/metrics")) {
        reply(exchange, 404, "not found: the metrics are at /metrics\n", method);
        return;
      }
      if (!method.equals("GET") && !method.equals("HEAD")) {
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        reply(exchange, 405, "method " + method + " not allowed: use GET\n", method);
        return;
      }
      String body;
      try {
        body = page.get();
      } catch (RuntimeException e) {
        log.warn("metrics page failed: {}", e.toString());
        reply(exchange, 500, "metrics unavailable: " + e.getMessage() + "\n", method);
        return;
      }
      reply(exchange, 200, body, method);
    }
  }

  private static void reply(HttpExchange exchange, int status, String body, String method) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", status == 200 ? CONTENT_TYPE : "text/plain; charset=utf-8");
    boolean head = method.equals("HEAD");
    exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
    if (!head) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.close();
  }
}
