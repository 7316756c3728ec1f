package dev.quill.cluster.clock;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** A virtual thread that runs a task every interval, the first time one interval after the start, until told to stop. */
public final class Periodic {
  private Periodic() {}

  /**
   * Starts {@code task} every {@code interval} until {@code stopped} says so (checked before each wait)
   * or the returned thread is interrupted.
   */
  public static Thread start(String name, Duration interval, BooleanSupplier stopped, Runnable task) {
    return Thread.ofVirtual().name(name).start(() -> {
      while (!stopped.getAsBoolean()) {
        try {
          Thread.sleep(interval);
        } catch (InterruptedException e) {
          return;
        }
        task.run();
      }
    });
  }
}
