package dev.quill.cluster.load;

import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells every other node this node's load every {@code interval} and records what they tell it in
 * a {@link LoadTable} (this node's own report included), so that load balancing decisions use
 * loads at most about one interval plus one network hop old.
 *
 * <p>XXX Porcupine piggybacks loads on replies; a broadcast to every member is n² messages a round,
 * fine for tens of nodes, to be revisited (piggyback or sample a few peers) for hundreds.
 */
public final class LoadGossip implements AutoCloseable {
  /** Default time between two reports. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(500);

  public static final MessageType<LoadReport, Void> LOAD_REPORT =
      new MessageType<>(TypeIds.LOAD_REPORT, 1, "LOAD_REPORT", LoadReport.CODEC, Codecs.EMPTY);

  private static final Logger log = LoggerFactory.getLogger(LoadGossip.class);

  private final RpcEndpoint endpoint;
  private final String node;
  private final IntSupplier diskQueueDepth;
  private final LoadTable table;
  private final CpuLoad cpuLoad = new CpuLoad();
  private final ScheduledExecutorService ticker =
      Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("quill-load-gossip").daemon(true).factory());

  /**
   * Registers the LOAD_REPORT handler on {@code endpoint} and starts reporting.
   *
   * @param diskQueueDepth how many writes wait for the store right now
   */
  public LoadGossip(RpcEndpoint endpoint, String node, IntSupplier diskQueueDepth, LoadTable table, Duration interval) {
    this.endpoint = endpoint;
    this.node = node;
    this.diskQueueDepth = diskQueueDepth;
    this.table = table;
    endpoint.register(LOAD_REPORT, (from, report) -> {
      // A node speaks only for itself.
      if (report.node().equals(from)) {
        table.update(report);
      }
      return null;
    });
    ticker.scheduleAtFixedRate(this::report, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
  }

  public LoadTable table() {
    return table;
  }

  private void report() {
    try {
      double cpu = cpuLoad.sample();
      LoadReport own = new LoadReport(node, diskQueueDepth.getAsInt(), cpu,
          System.currentTimeMillis());
      table.update(own);
      endpoint.broadcast(LOAD_REPORT, own);
    } catch (RuntimeException e) {
      // One failed round must not cancel the schedule (a thrown exception would).
      log.warn("{}: load report failed: {}", node, e.toString());
    }
  }

  /** Stops reporting; the others forget this node's load after their max age. */
  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
