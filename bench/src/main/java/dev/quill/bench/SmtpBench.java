package dev.quill.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * SMTP delivery benchmark: how many messages per second a server accepts for local mailboxes, and how long the
 * final reply after DATA takes (the moment a durable server has committed the message).
 *
 * <p><b>Workload.</b> {@code --concurrency} sessions, each on its own virtual thread with a plain blocking socket,
 * send messages back to back: MAIL FROM, RCPT TO one recipient drawn uniformly from
 * {@code <prefix>1..<prefix>U@domain}, DATA, and a {@code --size}-byte text message (RFC 5322 headers, CRLF lines,
 * some lines needing dot-stuffing; see {@link MessageBuilder}). A session says QUIT and reconnects after
 * {@code --per-connection} messages and after any error. With {@code --pipelining} (and the server advertising it)
 * MAIL, RCPT and DATA go out in one write (RFC 2920). With {@code --target} listing several endpoints (the nodes of
 * a cluster), the run's connections go to them in turn, so each endpoint gets an equal share of the sessions.
 *
 * <p><b>Measured.</b> Latency runs from writing the end-of-data line to reading the reply, and only a 2xx reply
 * counts as delivered. Throughput is delivered messages over the wall time from the first measured message (after
 * {@code --warmup}) to the end. Errors are non-2xx replies at any step and I/O failures.
 *
 * <p><b>Command</b> (the comparison in docs/BENCHMARKS.md):
 * <pre>./quill bench smtp --port 2525 --messages 20000 --concurrency 32 --size 4096 --users 1000 --warmup 1000</pre>
 * and, against three cluster nodes (bench/scripts/run-cluster-comparison.sh):
 * <pre>./quill bench smtp --target 127.0.0.1:2525,127.0.0.1:3525,127.0.0.1:4525 --messages 20000 ...</pre>
 */
@Command(name = "smtp", mixinStandardHelpOptions = true,
    description = "Send messages over SMTP as fast as the server accepts them; report rate and latency after DATA.")
public final class SmtpBench implements Callable<Integer> {
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server address (default: ${DEFAULT-VALUE}).")
  String host;
  @Option(names = "--port", defaultValue = "2525", description = "Server port (default: ${DEFAULT-VALUE}).")
  int port;
  @Option(names = "--target", paramLabel = "HOST:PORT[,HOST:PORT...]",
      description = "SMTP endpoints, e.g. the nodes of a cluster; connections go to them in turn (round-robin per"
          + " connection). Instead of --host/--port.")
  String target;
  @Option(names = {"--messages", "-n"}, defaultValue = "10000", description = "Measured messages to send.")
  long messages;
  @Option(names = {"--concurrency", "-c"}, defaultValue = "32", description = "Concurrent SMTP sessions.")
  int concurrency;
  @Option(names = "--size", defaultValue = "4096", description = "Message size in bytes before dot-stuffing.")
  int size;
  @Option(names = "--users", defaultValue = "1000", description = "Recipients are <prefix>1..<prefix>N@domain.")
  int users;
  @Option(names = "--domain", defaultValue = "example.test", description = "Recipient domain.")
  String domain;
  @Option(names = "--user-prefix", defaultValue = "user", description = "Recipient local-part prefix.")
  String userPrefix;
  @Option(names = "--sequential-rcpt",
      description = "Recipients in turn (1, 2, ... N, 1, ...) instead of uniformly at random: fills every mailbox"
          + " equally, e.g. before a POP3 run.")
  boolean sequentialRcpt;
  @Option(names = "--from", defaultValue = "bench@bench.test", description = "Envelope sender.")
  String from;
  @Option(names = "--pipelining", description = "Send MAIL, RCPT and DATA in one write when PIPELINING is offered.")
  boolean pipelining;
  @Option(names = "--warmup", defaultValue = "0", description = "Messages sent before measuring starts.")
  long warmup;
  @Option(names = "--per-connection", defaultValue = "100", description = "Messages per connection before QUIT.")
  int perConnection;
  @Option(names = "--timeout", defaultValue = "30", description = "Connect and read timeout, seconds.")
  int timeoutSeconds;
  @Option(names = "--max-duration", defaultValue = "600", description = "Stop sending after this many seconds.")
  int maxDurationSeconds;
  @Option(names = "--max-errors", defaultValue = "1000", description = "Stop early after this many errors.")
  long maxErrors;
  @Option(names = "--allow-errors", description = "Exit 0 even if some messages failed.")
  boolean allowErrors;
  @Option(names = "--seed", defaultValue = "42", description = "Seed of the message text.")
  long seed;

  @Spec
  CommandSpec spec;

  private SmtpTargets targets;
  /** Delivered measured messages per endpoint, in the order of {@link #targets}. */
  private LongAdder[] deliveredAt;
  private final AtomicLong connectionSeq = new AtomicLong();
  private final AtomicLong tickets = new AtomicLong();
  private final AtomicLong measureStart = new AtomicLong();
  private volatile HostCpu cpuAtMeasureStart;
  private final LongAdder delivered = new LongAdder();
  private final LongAdder connections = new LongAdder();
  private final ErrorTally errors = new ErrorTally();
  private volatile boolean stop;
  private volatile boolean pipeliningRefused;

  @Override
  public Integer call() throws Exception {
    if (messages < 1 || concurrency < 1 || users < 1 || size < 1 || perConnection < 1 || warmup < 0) {
      System.err.println("error: --messages, --concurrency, --users, --size and --per-connection must be at least 1");
      return 2;
    }
    targets = targets();
    deliveredAt = new LongAdder[targets.size()];
    for (int i = 0; i < deliveredAt.length; i++) {
      deliveredAt[i] = new LongAdder();
    }
    long total = warmup + messages;
    long deadline = System.nanoTime() + maxDurationSeconds * 1_000_000_000L;
    String runId = Long.toString(System.currentTimeMillis(), 36);
    System.out.printf("SMTP benchmark: %s, %d messages (+%d warm-up) of %d bytes, %d sessions, %d users @%s%s%n",
        targets, messages, warmup, size, concurrency, users, domain, pipelining ? ", pipelining" : "");

    var histograms = new ArrayList<LatencyHistogram>();
    long start = System.nanoTime();
    if (warmup == 0) {
      measureStart.set(start);
      cpuAtMeasureStart = HostCpu.now();
    }
    try (var _ = new Progress(5000, () -> delivered.sum() + "/" + messages + " delivered, "
        + errors.total() + " errors");
        var exec = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < concurrency; i++) {
        var h = new LatencyHistogram();
        histograms.add(h);
        int id = i;
        exec.submit(() -> worker(id, h, total, deadline, runId));
      }
    }
    long end = System.nanoTime();
    return report(histograms, start, end, deadline);
  }

  /** The endpoints from {@code --target}, or the one from {@code --host} and {@code --port}. */
  SmtpTargets targets() {
    var parsed = spec.commandLine().getParseResult();
    if (target != null && (parsed.hasMatchedOption("--host") || parsed.hasMatchedOption("--port"))) {
      throw new ParameterException(spec.commandLine(), "--target replaces --host and --port; give one or the other");
    }
    try {
      return target == null ? SmtpTargets.of(host, port) : SmtpTargets.parse(target);
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), (target == null ? "--host/--port: " : "--target: ")
          + e.getMessage());
    }
  }

  private void worker(int id, LatencyHistogram histogram, long total, long deadline, String runId) {
    var builder = new MessageBuilder(seed * 31 + id);
    SmtpClient client = null;
    int endpoint = 0;
    int onConnection = 0;
    while (!stop) {
      long ticket = tickets.getAndIncrement();
      if (ticket >= total || System.nanoTime() - deadline > 0) {
        break;
      }
      if (ticket == warmup && warmup > 0 && measureStart.compareAndSet(0, System.nanoTime())) {
        cpuAtMeasureStart = HostCpu.now();
      }
      try {
        if (client == null) {
          endpoint = targets.indexFor(connectionSeq.getAndIncrement());
          var to = targets.get(endpoint);
          client = SmtpClient.connect(to.host(), to.port(), timeoutSeconds * 1000);
          connections.increment();
          client.ehlo("bench" + id + ".quill.test");
          onConnection = 0;
          if (pipelining && !client.supportsPipelining()) {
            pipeliningRefused = true;
          }
        }
        long user = sequentialRcpt ? ticket % users + 1 : ThreadLocalRandom.current().nextInt(users) + 1;
        String rcpt = userPrefix + user + "@" + domain;
        byte[] wire = DotStuffing.stuff(builder.build(MessageBuilder.envelope(from, rcpt, ticket, runId), size));
        long latency = transaction(client, rcpt, wire);
        if (ticket >= warmup) {
          histogram.record(latency);
          delivered.increment();
          deliveredAt[endpoint].increment();
        }
        if (++onConnection >= perConnection) {
          client.quietQuit();
          client = null;
        }
      } catch (SmtpClient.ReplyException e) {
        errors.reply(e.getMessage());
        client = drop(client);
      } catch (IOException | RuntimeException e) {
        errors.io(e);
        client = drop(client);
        pause();
      }
      if (errors.total() >= maxErrors) {
        stop = true;
      }
    }
    if (client != null) {
      client.quietQuit();
    }
  }

  /** Runs one transaction on an open session; returns the latency of the reply to the end of data. */
  private long transaction(SmtpClient client, String rcpt, byte[] wire) throws IOException {
    String mail = "MAIL FROM:<" + from + ">";
    String rcptTo = "RCPT TO:<" + rcpt + ">";
    SmtpReply mailReply;
    SmtpReply rcptReply;
    SmtpReply dataReply;
    if (pipelining && client.supportsPipelining()) {
      client.write(mail);
      client.write(rcptTo);
      client.write("DATA");
      client.flush();
      mailReply = client.readReply();
      rcptReply = client.readReply();
      dataReply = client.readReply();
    } else {
      mailReply = client.command(mail);
      rcptReply = mailReply.isPositive() ? client.command(rcptTo) : null;
      dataReply = rcptReply != null && rcptReply.isPositive() ? client.command("DATA") : null;
    }
    if (!mailReply.isPositive()) {
      throw new SmtpClient.ReplyException("MAIL FROM", mailReply);
    }
    if (!rcptReply.isPositive()) {
      throw new SmtpClient.ReplyException("RCPT TO", rcptReply);
    }
    if (dataReply.code() != 354) {
      throw new SmtpClient.ReplyException("DATA", dataReply);
    }
    client.writeRaw(wire);
    client.flush();
    long t0 = System.nanoTime();
    client.writeRaw(DotStuffing.TERMINATOR);
    client.flush();
    var reply = client.readReply();
    long latency = System.nanoTime() - t0;
    if (!reply.isPositive()) {
      throw new SmtpClient.ReplyException("end of data", reply);
    }
    return latency;
  }

  private static SmtpClient drop(SmtpClient client) {
    if (client != null) {
      client.close();
    }
    return null;
  }

  /** Backs off briefly after an I/O failure so a dead server does not turn the loop into a spin. */
  private static void pause() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private int report(List<LatencyHistogram> histograms, long start, long end, long deadline) {
    var all = new LatencyHistogram();
    histograms.forEach(all::add);
    long measuredFrom = measureStart.get() == 0 ? start : measureStart.get();
    long elapsed = Math.max(1, end - measuredFrom);
    long ok = delivered.sum();
    double rate = ok / (elapsed / 1e9);
    HostCpu cpuNow = HostCpu.now();
    HostCpu cpu = cpuNow == null || cpuAtMeasureStart == null || ok == 0 ? null : cpuNow.since(cpuAtMeasureStart);
    String cpuPerMessage = cpu == null ? null : Format.ms(cpu.busyMillis() * 1_000_000L / ok);
    long busyPercent = cpu == null ? 0 : Math.round(100.0 * cpu.busyMillis() / Math.max(1, cpu.totalMillis()));
    var out = System.out;
    out.println("  delivered:   " + ok + " of " + messages + " measured messages"
        + (ok < messages && end - deadline > 0 ? " (stopped at --max-duration)" : "")
        + (stop ? " (stopped at --max-errors)" : ""));
    out.println("  errors:      " + errors.total() + " (" + errors.replyErrors() + " negative replies, "
        + errors.ioErrors() + " I/O)");
    out.println("  connections: " + connections.sum());
    if (targets.size() > 1) {
      var per = new StringBuilder();
      for (int i = 0; i < targets.size(); i++) {
        per.append(i == 0 ? "" : ", ").append(targets.get(i)).append('=').append(deliveredAt[i].sum());
      }
      out.println("  per target:  " + per + " measured messages");
    }
    out.println("  time:        " + Format.secs(elapsed) + " s measured, " + Format.secs(end - start) + " s total");
    out.println("  rate:        " + Format.one(rate) + " msgs/s, " + Format.one(rate * size / 1e6) + " MB/s");
    out.println("  latency after DATA (ms): " + Format.percentiles(all));
    if (cpu != null) {
      out.println("  host CPU:    " + cpuPerMessage + " ms per message, " + busyPercent
          + "% busy (every process on the machine)");
    }
    if (pipeliningRefused) {
      out.println("  note: --pipelining asked for, but the server did not advertise PIPELINING");
    }
    errors.print(out);
    out.println("RESULT smtp target=" + targets + " msgs=" + ok + " errors=" + errors.total()
        + " secs=" + Format.secs(elapsed) + " rate=" + Format.one(rate)
        + " p50_ms=" + Format.ms(all.percentileNanos(50)) + " p99_ms=" + Format.ms(all.percentileNanos(99))
        + " max_ms=" + Format.ms(all.maxNanos()) + " size=" + size + " concurrency=" + concurrency
        + " users=" + users + " pipelining=" + (pipelining && !pipeliningRefused)
        + (cpu != null ? " host_cpu_ms_per_msg=" + cpuPerMessage + " host_busy_pct=" + busyPercent : ""));
    out.flush();
    boolean failed = errors.total() > 0 || ok < messages;
    return failed && !allowErrors ? 1 : 0;
  }
}
