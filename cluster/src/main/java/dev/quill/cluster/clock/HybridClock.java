package dev.quill.cluster.clock;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A hybrid logical clock (Kulkarni et al., 2014): stamps that follow wall-clock milliseconds when
 * clocks agree and still order causally related updates when they do not. A stamp is the physical
 * part in milliseconds since the epoch shifted left by 16 bits, plus a 16-bit logical counter; it
 * never goes backwards on one node, and after {@link #observe} of another node's stamp every later
 * {@link #now} is above it — so an update made after seeing another wins last-writer-wins against
 * it even when this node's clock runs seconds behind.
 */
public final class HybridClock {
  private static final int LOGICAL_BITS = 16;
  private static final long LOGICAL_MASK = (1L << LOGICAL_BITS) - 1;

  private final LongSupplier millis;
  private final AtomicLong last = new AtomicLong();

  /** A clock reading the system's wall clock. */
  public HybridClock() {
    this(System::currentTimeMillis);
  }

  /** A clock reading {@code millis} (tests inject a skewed one). */
  public HybridClock(LongSupplier millis) {
    this.millis = millis;
  }

  /** A fresh stamp for a local update: above every stamp this clock gave or observed. */
  public long now() {
    long physical = millis.getAsLong() << LOGICAL_BITS;
    return last.updateAndGet(previous -> Math.max(previous + 1, physical));
  }

  /** Takes in a stamp seen on another node's update, so that later local stamps order after it. */
  public void observe(long remote) {
    last.accumulateAndGet(remote, Math::max);
  }

  /** The wall-clock milliseconds of a stamp (for logs and operators). */
  public static long millisOf(long stamp) {
    return stamp >>> LOGICAL_BITS;
  }

  /** The logical counter of a stamp. */
  public static int logicalOf(long stamp) {
    return (int) (stamp & LOGICAL_MASK);
  }
}
