package dev.quill.bench;

import java.util.function.Supplier;

/** Prints a progress line to stderr every few seconds while a benchmark runs, so long runs show they are alive. */
final class Progress implements AutoCloseable {
  private final Thread thread;
  private volatile boolean done;

  /** Starts printing {@code line.get()} every {@code intervalMillis}. */
  Progress(long intervalMillis, Supplier<String> line) {
    thread = Thread.ofVirtual().name("bench-progress").start(() -> {
      while (!done) {
        try {
          Thread.sleep(intervalMillis);
        } catch (InterruptedException e) {
          return;
        }
        if (!done) {
          System.err.println("  progress: " + line.get());
        }
      }
    });
  }

  @Override
  public void close() {
    done = true;
    thread.interrupt();
  }
}
