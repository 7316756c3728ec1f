package dev.quill.bench;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Idle-connection benchmark: whether a server keeps {@code --connections} idle SMTP sessions open, and (measured
 * on the server's side by {@code bench/scripts/run-idle-memory.sh}) what they cost in heap.
 *
 * <p><b>Workload.</b> Opens N connections, {@code --open-concurrency} at a time, and reads each greeting; prints a
 * line starting with {@code READY} once all are open (the script measures the server's heap then); holds them idle
 * for {@code --hold} seconds; then sends NOOP on each, expecting 250, and QUITs.
 *
 * <p><b>Measured.</b> Connections opened with a 220 greeting, and connections still answering after the hold. The
 * client needs one file descriptor per connection: the run refuses to start if {@code ulimit -n} is too low.
 *
 * <p><b>Command</b> (the memory check in docs/BENCHMARKS.md):
 * <pre>ulimit -n 65536; ./quill bench idle --port 2525 --connections 10000 --hold 60</pre>
 */
@Command(name = "idle", mixinStandardHelpOptions = true,
    description = "Open many SMTP connections, hold them idle, then check they still answer.")
public final class IdleBench implements Callable<Integer> {
  /** Descriptors the JVM itself needs besides the connections. */
  static final int SPARE_DESCRIPTORS = 200;

  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server address (default: ${DEFAULT-VALUE}).")
  String host;
  @Option(names = "--port", defaultValue = "2525", description = "Server port (default: ${DEFAULT-VALUE}).")
  int port;
  @Option(names = {"--connections", "-n"}, defaultValue = "10000", description = "Connections to open.")
  int connections;
  @Option(names = "--hold", defaultValue = "30", description = "Seconds to hold the connections idle.")
  int holdSeconds;
  @Option(names = "--open-concurrency", defaultValue = "200", description = "Connections being opened at once.")
  int openConcurrency;
  @Option(names = "--timeout", defaultValue = "30", description = "Connect and read timeout, seconds.")
  int timeoutSeconds;
  @Option(names = "--allow-errors", description = "Exit 0 even if some connections failed.")
  boolean allowErrors;

  @Override
  public Integer call() throws Exception {
    if (connections < 1 || holdSeconds < 0 || openConcurrency < 1) {
      System.err.println("error: --connections and --open-concurrency must be at least 1, --hold at least 0");
      return 2;
    }
    var limit = OpenFiles.softLimit();
    if (limit.isPresent() && limit.getAsLong() < connections + SPARE_DESCRIPTORS) {
      System.err.printf("error: the open-file limit is %d, but %d connections need at least %d descriptors;"
          + " raise it first, e.g. `ulimit -n %d` (as root) in the shell that runs the benchmark%n",
          limit.getAsLong(), connections, connections + SPARE_DESCRIPTORS,
          Math.max(65536, connections + SPARE_DESCRIPTORS));
      return 2;
    }
    System.out.printf("idle benchmark: %s:%d, %d connections held %d s%n", host, port, connections, holdSeconds);

    var clients = new AtomicReferenceArray<SmtpClient>(connections);
    var errors = new ErrorTally();
    var opened = new LongAdder();
    long start = System.nanoTime();
    try (var _ = new Progress(5000, () -> opened.sum() + "/" + connections + " open");
        var exec = Executors.newVirtualThreadPerTaskExecutor()) {
      var permits = new Semaphore(openConcurrency);
      for (int i = 0; i < connections; i++) {
        permits.acquire();
        int slot = i;
        exec.submit(() -> {
          try {
            clients.set(slot, SmtpClient.connect(host, port, timeoutSeconds * 1000));
            opened.increment();
          } catch (SmtpClient.ReplyException e) {
            errors.reply(e.getMessage());
          } catch (IOException | RuntimeException e) {
            errors.io(e);
          } finally {
            permits.release();
          }
        });
      }
    }
    long openNanos = System.nanoTime() - start;
    System.out.println("READY open=" + opened.sum() + " failed=" + errors.total() + " open_secs="
        + Format.secs(openNanos));
    System.out.flush();

    Thread.sleep(holdSeconds * 1000L);

    var alive = new LongAdder();
    try (var exec = Executors.newVirtualThreadPerTaskExecutor()) {
      var permits = new Semaphore(openConcurrency);
      for (int i = 0; i < connections; i++) {
        var client = clients.get(i);
        if (client == null) {
          continue;
        }
        permits.acquire();
        exec.submit(() -> {
          try {
            var reply = client.command("NOOP");
            if (reply.code() == 250) {
              alive.increment();
            } else {
              errors.reply("NOOP after hold answered " + reply.summary());
            }
            client.quietQuit();
          } catch (IOException | RuntimeException e) {
            errors.io(e);
            client.close();
          } finally {
            permits.release();
          }
        });
      }
    }
    var out = System.out;
    out.println("  opened:      " + opened.sum() + " of " + connections + " in " + Format.secs(openNanos) + " s");
    out.println("  alive after: " + alive.sum() + " answered NOOP after " + holdSeconds + " s idle");
    out.println("  errors:      " + errors.total() + " (" + errors.replyErrors() + " negative replies, "
        + errors.ioErrors() + " I/O)");
    errors.print(out);
    out.println("RESULT idle target=" + host + ":" + port + " requested=" + connections + " opened=" + opened.sum()
        + " alive=" + alive.sum() + " errors=" + errors.total() + " hold_s=" + holdSeconds + " open_secs="
        + Format.secs(openNanos));
    out.flush();
    boolean failed = alive.sum() < connections;
    return failed && !allowErrors ? 1 : 0;
  }
}
