package dev.quill.bench;

import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.transport.ClusterSettings;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.cluster.transport.HostPort;
import dev.quill.cluster.transport.TransportSecurity;
import dev.quill.security.keys.KeyRing;
import dev.quill.security.keys.TrafficKeys;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Inter-node request rate and latency with the cluster security layer on and off, in one run: two
 * pairs of in-process nodes, each node with its own JGroups TCP transport on 127.0.0.1, one pair
 * sealing every message and one not; closed-loop callers send echo requests from one node of a pair
 * to the other, and the pairs take turns (on, off, off, on, ...) so that drift on a shared machine
 * falls on both alike.
 */
@Command(name = "security", mixinStandardHelpOptions = true,
    description = "Inter-node request rate and latency with the cluster security layer on and off, in the same run.")
public final class SecurityBench implements Callable<Integer> {
  /** An echo of bytes; an id from the range left to tests and benchmarks. */
  static final MessageType<byte[], byte[]> ECHO =
      new MessageType<>(TypeIds.FIRST_TEST_ID + 900, 1, "BENCH_ECHO", Codecs.BYTES, Codecs.BYTES);

  @Option(names = "--sizes", split = ",", defaultValue = "1024,65536", description = "Request sizes in bytes.")
  List<Integer> sizes;

  @Option(names = "--callers", defaultValue = "16", description = "Concurrent callers (closed loop).")
  int callers;

  @Option(names = "--seconds", defaultValue = "10", description = "Length of one measured turn.")
  int seconds;

  @Option(names = "--rounds", defaultValue = "3", description = "Turns per mode and size (alternating).")
  int rounds;

  @Option(names = "--warmup", defaultValue = "5", description = "Warm-up seconds per mode and size.")
  int warmup;

  @Option(names = "--modes", split = ",", defaultValue = "on,off",
      description = "Which pairs to start and measure: on, off or both. One mode per JVM keeps the other's"
          + " transport class out of the JIT's profile (a check on the same-JVM comparison).")
  List<String> modes;

  /** One pair of nodes: {@code caller} asks {@code server}. */
  private record Pair(String mode, ClusterTransport caller, ClusterTransport server, RpcEndpoint rpc,
      RpcEndpoint serving) implements AutoCloseable {
    @Override
    public void close() {
      rpc.close();
      serving.close();
      caller.close();
      server.close();
    }
  }

  /** What one turn measured. */
  private record Turn(long calls, long failures, LatencyHistogram latency, double seconds) {}

  @Override
  public Integer call() throws Exception {
    boolean withOn = modes.contains("on");
    boolean withOff = modes.contains("off");
    if (!withOn && !withOff || modes.stream().anyMatch(m -> !m.equals("on") && !m.equals("off"))) {
      throw new IllegalArgumentException("--modes takes on, off or on,off, not " + modes);
    }
    try (Pair on = withOn ? pair("on", "bench-secure-on", new TransportSecurity.On(new TrafficKeys(KEYS)),
            new TransportSecurity.On(new TrafficKeys(KEYS))) : null;
        Pair off = withOff ? pair("off", "bench-secure-off", TransportSecurity.off(), TransportSecurity.off()) : null) {
      List<Pair> pairs = new ArrayList<>();
      if (on != null) {
        pairs.add(on);
      }
      if (off != null) {
        pairs.add(off);
      }
      for (int size : sizes) {
        byte[] payload = new byte[size];
        new java.util.Random(size).nextBytes(payload);
        for (Pair p : pairs) {
          turn(p, payload, warmup);
        }
        List<Turn> onTurns = new ArrayList<>();
        List<Turn> offTurns = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
          for (Pair p : r % 2 == 0 ? pairs : pairs.reversed()) {
            Turn t = turn(p, payload, seconds);
            (p == on ? onTurns : offTurns).add(t);
            System.out.printf(Locale.ROOT, "  size=%d round=%d security=%s rate=%.0f/s p50=%.3fms p99=%.3fms failures=%d%n",
                size, r + 1, p.mode(), t.calls() / t.seconds(), t.latency().percentileMillis(50),
                t.latency().percentileMillis(99), t.failures());
          }
        }
        if (on != null) {
          report(size, "on", merge(onTurns));
        }
        if (off != null) {
          report(size, "off", merge(offTurns));
        }
        if (on != null && off != null) {
          Turn onAll = merge(onTurns);
          Turn offAll = merge(offTurns);
          System.out.printf(Locale.ROOT, "RATIO size=%d throughput on/off=%.3f (goal >= 0.97) p99 on/off=%.3f (goal <= 1.05)%n",
              size, onAll.calls() / onAll.seconds() / (offAll.calls() / offAll.seconds()),
              onAll.latency().percentileMillis(99) / offAll.latency().percentileMillis(99));
        }
      }
      if (on != null) {
        System.out.printf(Locale.ROOT, "security counters on the serving node: %s%n", on.server().securityCounters());
      }
    }
    return 0;
  }

  private static final KeyRing KEYS = KeyRing.generate();

  private static void report(int size, String mode, Turn t) {
    System.out.printf(Locale.ROOT, "RESULT security-layer size=%d security=%s calls=%d failures=%d rate=%.1f p50_ms=%.3f"
        + " p99_ms=%.3f p999_ms=%.3f%n", size, mode, t.calls(), t.failures(), t.calls() / t.seconds(),
        t.latency().percentileMillis(50), t.latency().percentileMillis(99), t.latency().percentileMillis(99.9));
  }

  private static Turn merge(List<Turn> turns) {
    LatencyHistogram all = new LatencyHistogram();
    long calls = 0;
    long failures = 0;
    double secs = 0;
    for (Turn t : turns) {
      all.add(t.latency());
      calls += t.calls();
      failures += t.failures();
      secs += t.seconds();
    }
    return new Turn(calls, failures, all, secs);
  }

  /** {@link #callers} virtual threads call for {@code secs} seconds, each waiting for its answer before the next. */
  private Turn turn(Pair p, byte[] payload, int secs) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(secs);
    List<LatencyHistogram> histograms = new ArrayList<>();
    long[] failures = new long[callers];
    List<Thread> threads = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < callers; i++) {
      LatencyHistogram h = new LatencyHistogram();
      histograms.add(h);
      int index = i;
      threads.add(Thread.ofVirtual().start(() -> {
        while (System.nanoTime() - end < 0) {
          long t0 = System.nanoTime();
          try {
            p.rpc().call(p.server().nodeName(), ECHO, payload, Duration.ofSeconds(10)).get();
            h.record(System.nanoTime() - t0);
          } catch (Exception e) {
            failures[index]++;
          }
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    LatencyHistogram all = new LatencyHistogram();
    histograms.forEach(all::add);
    long failed = 0;
    for (long f : failures) {
      failed += f;
    }
    return new Turn(all.count(), failed, all, elapsed);
  }

  private static Pair pair(String mode, String cluster, TransportSecurity callerSecurity, TransportSecurity serverSecurity)
      throws Exception {
    int serverPort = ReconstructionBench.freePort();
    ClusterTransport server = ClusterTransport.start(
        ClusterSettings.of(cluster, cluster + "-b", "127.0.0.1", serverPort, List.of()).withSecurity(serverSecurity));
    RpcEndpoint serving = new RpcEndpoint(server);
    serving.register(ECHO, (from, bytes) -> bytes);
    ClusterTransport caller = ClusterTransport.start(ClusterSettings.of(cluster, cluster + "-a", "127.0.0.1", ReconstructionBench.freePort(),
        List.of(new HostPort("127.0.0.1", serverPort))).withSecurity(callerSecurity));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (caller.view().size() < 2 || server.view().size() < 2) {
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException(cluster + ": the two nodes did not form a cluster within 30 s");
      }
      Thread.sleep(50);
    }
    return new Pair(mode, caller, server, new RpcEndpoint(caller), serving);
  }
}
