package dev.quill.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * POP3 retrieval benchmark: how many messages per second clients download, and how long login and RETR take.
 *
 * <p><b>Workload.</b> {@code --concurrency} clients, each on a virtual thread, repeat sessions until
 * {@code --duration} seconds pass or each has done {@code --rounds} sessions. A session picks a mailbox uniformly
 * from {@code <prefix>1..<prefix>U@domain} ({@code --pick sequential} takes them in turn instead), logs in with USER/PASS, runs STAT, UIDL and LIST, retrieves every
 * message with RETR (and marks it with DELE under {@code --delete}), then QUITs. Mailboxes are filled beforehand
 * (Quill: {@code ./quill bench smtp}; Dovecot: {@code bench/scripts/dovecot-peer.sh populate}).
 *
 * <p><b>Measured.</b> Login latency runs from sending USER to the +OK after PASS; RETR latency from sending RETR to
 * reading the terminating line. Each body is checked to be CRLF lines ending in {@code .CRLF} and is un-stuffed; its
 * size is compared with LIST's (a difference is reported as a size mismatch, not an error, since RFC 1939 lets
 * LIST sizes be approximate). Throughput is messages (and un-stuffed bytes) retrieved over the run's wall time.
 * Errors are -ERR replies (except [IN-USE] logins, counted apart) and I/O failures.
 *
 * <p><b>Command</b> (the comparison in docs/BENCHMARKS.md):
 * <pre>./quill bench pop3 --port 2110 --concurrency 8 --users 1000 --password pw --duration 30</pre>
 */
@Command(name = "pop3", mixinStandardHelpOptions = true,
    description = "Download every message of random mailboxes over POP3; report rate and login/RETR latency.")
public final class Pop3Bench implements Callable<Integer> {
  @picocli.CommandLine.Mixin
  MailboxOptions mailboxes = new MailboxOptions();
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server address (default: ${DEFAULT-VALUE}).")
  String host;
  @Option(names = "--port", defaultValue = "2110", description = "Server port (default: ${DEFAULT-VALUE}).")
  int port;
  @Option(names = {"--concurrency", "-c"}, defaultValue = "8", description = "Concurrent POP3 clients.")
  int concurrency;
  @Option(names = "--duration", description = "Seconds to run (default 30 unless --rounds is given).")
  Integer durationSeconds;
  @Option(names = "--rounds", description = "Sessions per client; the run still ends at --max-duration.")
  Integer rounds;
  @Option(names = "--max-duration", defaultValue = "600", description = "Hard limit in seconds with --rounds.")
  int maxDurationSeconds;
  @Option(names = "--delete", description = "DELE every retrieved message (mailboxes drain).")
  boolean delete;
  @Option(names = "--timeout", defaultValue = "30", description = "Connect and read timeout, seconds.")
  int timeoutSeconds;
  @Option(names = "--max-errors", defaultValue = "1000", description = "Stop early after this many errors.")
  long maxErrors;
  @Option(names = "--allow-errors", description = "Exit 0 even if some operations failed.")
  boolean allowErrors;

  private final LongAdder sessions = new LongAdder();
  private final LongAdder retrieved = new LongAdder();
  private final LongAdder bytes = new LongAdder();
  private final LongAdder emptyMailboxes = new LongAdder();
  private final LongAdder inUse = new LongAdder();
  private final LongAdder sizeMismatches = new LongAdder();
  private final LongAdder uidlMismatches = new LongAdder();
  private final ErrorTally errors = new ErrorTally();
  private volatile boolean stop;

  @Override
  public Integer call() throws Exception {
    if (concurrency < 1 || mailboxes.users < 1 || (rounds != null && rounds < 1)
        || (durationSeconds != null && durationSeconds < 1)) {
      System.err.println("error: --concurrency, --users, --rounds and --duration must be at least 1");
      return 2;
    }
    int seconds = durationSeconds != null ? durationSeconds : rounds != null ? maxDurationSeconds : 30;
    long deadline = System.nanoTime() + seconds * 1_000_000_000L;
    int sessionsPerClient = rounds != null ? rounds : Integer.MAX_VALUE;
    System.out.printf("POP3 benchmark: %s:%d, %d clients, %d mailboxes @%s, %s%s%n", host, port, concurrency, mailboxes.users,
        mailboxes.domain, rounds != null ? rounds + " sessions per client" : seconds + " s", delete ? ", deleting" : "");

    var logins = new ArrayList<LatencyHistogram>();
    var retrs = new ArrayList<LatencyHistogram>();
    long start = System.nanoTime();
    try (var _ = new Progress(5000, () -> retrieved.sum() + " messages in " + sessions.sum()
        + " sessions, " + errors.total() + " errors");
        var exec = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < concurrency; i++) {
        var login = new LatencyHistogram();
        var retr = new LatencyHistogram();
        logins.add(login);
        retrs.add(retr);
        exec.submit(() -> client(login, retr, sessionsPerClient, deadline));
      }
    }
    long end = System.nanoTime();
    return report(logins, retrs, end - start);
  }

  private void client(LatencyHistogram login, LatencyHistogram retr, int sessionsPerClient, long deadline) {
    for (int n = 0; n < sessionsPerClient && !stop && System.nanoTime() - deadline < 0; n++) {
      long user = mailboxes.next();
      String name = mailboxes.login(user);
      try (var pop = Pop3Client.connect(host, port, timeoutSeconds * 1000)) {
        session(pop, name, login, retr);
        sessions.increment();
      } catch (Pop3Client.Pop3Exception e) {
        if (e.status().toUpperCase(Locale.ROOT).contains("[IN-USE]")) {
          inUse.increment();
        } else {
          errors.reply(e.getMessage());
        }
      } catch (IOException | RuntimeException e) {
        errors.io(e);
        pause();
      }
      if (errors.total() >= maxErrors) {
        stop = true;
      }
    }
  }

  private void session(Pop3Client pop, String name, LatencyHistogram login, LatencyHistogram retr)
      throws IOException {
    long t0 = System.nanoTime();
    pop.expectOk("USER", "USER " + name);
    pop.expectOk("PASS", "PASS " + mailboxes.password);
    login.record(System.nanoTime() - t0);

    String stat = pop.expectOk("STAT", "STAT");
    int count = parseFirstNumber(stat);
    pop.expectOk("UIDL", "UIDL");
    var uids = pop.readLines();
    pop.expectOk("LIST", "LIST");
    var sizes = pop.readLines();
    if (sizes.size() != count) {
      throw new ProtocolException("STAT says " + count + " messages but LIST lists " + sizes.size());
    }
    if (uids.size() != count || new HashSet<>(uids.stream().map(Pop3Bench::second).toList()).size() != count) {
      uidlMismatches.increment();
    }
    if (count == 0) {
      emptyMailboxes.increment();
    }
    for (String entry : sizes) {
      String[] parts = entry.trim().split(" +");
      if (parts.length < 2) {
        throw new ProtocolException("malformed LIST line: \"" + entry + "\"");
      }
      long t = System.nanoTime();
      pop.expectOk("RETR", "RETR " + parts[0]);
      long got = pop.readBody(null);
      retr.record(System.nanoTime() - t);
      retrieved.increment();
      bytes.add(got);
      if (got != Long.parseLong(parts[1])) {
        sizeMismatches.increment();
      }
      if (delete) {
        pop.expectOk("DELE", "DELE " + parts[0]);
      }
    }
    String bye = pop.quit();
    if (!Pop3Client.isOk(bye)) {
      throw new Pop3Client.Pop3Exception("QUIT", bye);
    }
  }

  /** How a session chooses its mailbox. */

  private static int parseFirstNumber(String status) throws ProtocolException {
    String[] parts = status.split(" +");
    try {
      return Integer.parseInt(parts[1]);
    } catch (RuntimeException e) {
      throw new ProtocolException("malformed STAT reply: \"" + status + "\"");
    }
  }

  private static String second(String line) {
    String[] parts = line.trim().split(" +");
    return parts.length > 1 ? parts[1] : "";
  }

  private static void pause() {
    try {
      Thread.sleep(10);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private int report(List<LatencyHistogram> logins, List<LatencyHistogram> retrs, long elapsed) {
    var login = new LatencyHistogram();
    logins.forEach(login::add);
    var retr = new LatencyHistogram();
    retrs.forEach(retr::add);
    double secs = Math.max(1, elapsed) / 1e9;
    double rate = retrieved.sum() / secs;
    double byteRate = bytes.sum() / secs;
    var out = System.out;
    out.println("  sessions:    " + sessions.sum() + " completed, " + emptyMailboxes.sum() + " of them on empty"
        + " mailboxes, " + inUse.sum() + " logins refused as [IN-USE]" + (stop ? " (stopped at --max-errors)" : ""));
    out.println("  retrieved:   " + retrieved.sum() + " messages, " + bytes.sum() + " bytes");
    out.println("  errors:      " + errors.total() + " (" + errors.replyErrors() + " -ERR replies, "
        + errors.ioErrors() + " I/O)");
    out.println("  checks:      " + sizeMismatches.sum() + " RETR sizes differing from LIST, " + uidlMismatches.sum()
        + " sessions with UIDL not one unique id per message");
    out.println("  time:        " + Format.secs(elapsed) + " s");
    out.println("  rate:        " + Format.one(rate) + " msgs/s, " + Format.one(byteRate / 1e6) + " MB/s");
    out.println("  login (ms):  " + Format.percentiles(login));
    out.println("  RETR (ms):   " + Format.percentiles(retr));
    errors.print(out);
    if (retrieved.sum() == 0) {
      out.println("  note: no message retrieved; are the mailboxes populated and the password right?");
    }
    out.println("RESULT pop3 target=" + host + ":" + port + " msgs=" + retrieved.sum() + " errors=" + errors.total()
        + " secs=" + Format.secs(elapsed) + " rate=" + Format.one(rate) + " bytes_per_s=" + Math.round(byteRate)
        + " login_p99_ms=" + Format.ms(login.percentileNanos(99)) + " retr_p50_ms="
        + Format.ms(retr.percentileNanos(50)) + " retr_p99_ms=" + Format.ms(retr.percentileNanos(99))
        + " sessions=" + sessions.sum() + " size_mismatches=" + sizeMismatches.sum()
        + " concurrency=" + concurrency + " users=" + mailboxes.users);
    out.flush();
    boolean failed = errors.total() > 0 || retrieved.sum() == 0;
    return failed && !allowErrors ? 1 : 0;
  }
}
