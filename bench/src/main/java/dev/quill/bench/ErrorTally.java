package dev.quill.bench;

import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts a benchmark's errors by kind and keeps a sample of distinct messages, so a failing run says why without
 * printing one line per failure. Thread-safe.
 */
final class ErrorTally {
  /** Distinct messages kept; further new messages are only counted. */
  private static final int MAX_DISTINCT = 20;

  private final LongAdder reply = new LongAdder();
  private final LongAdder io = new LongAdder();
  private final Map<String, LongAdder> samples = new ConcurrentHashMap<>();

  /** A negative or unexpected reply from the server. */
  void reply(String message) {
    reply.increment();
    sample("reply: " + message);
  }

  /** A connect, read, write or protocol failure. */
  void io(Exception e) {
    io.increment();
    sample("i/o: " + e.getClass().getSimpleName() + ": " + e.getMessage());
  }

  long replyErrors() {
    return reply.sum();
  }

  long ioErrors() {
    return io.sum();
  }

  long total() {
    return reply.sum() + io.sum();
  }

  /** Prints the sampled messages, most frequent first, if any. */
  void print(PrintStream out) {
    if (samples.isEmpty()) {
      return;
    }
    out.println("  errors by kind (first " + MAX_DISTINCT + " distinct):");
    samples.entrySet().stream()
        .sorted((a, b) -> Long.compare(b.getValue().sum(), a.getValue().sum()))
        .forEach(e -> out.printf("    %8d  %s%n", e.getValue().sum(), e.getKey()));
  }

  private void sample(String message) {
    String key = message.length() > 160 ? message.substring(0, 160) + "..." : message;
    var adder = samples.get(key);
    if (adder == null && samples.size() < MAX_DISTINCT) {
      adder = samples.computeIfAbsent(key, k -> new LongAdder());
    }
    if (adder != null) {
      adder.increment();
    }
  }
}
