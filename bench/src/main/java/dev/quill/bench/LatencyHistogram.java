package dev.quill.bench;

import java.util.Arrays;

/**
 * Records latencies in nanoseconds into log-linear buckets and answers percentiles, in the manner of an HDR
 * histogram with about three significant digits.
 *
 * <p>Values below {@value #SUB_BUCKETS} ns are counted exactly. Above that, each power-of-two range is split into
 * {@value #HALF} equal buckets, so a reported percentile is at most 1/{@value #HALF} (0.2%) above the value
 * recorded. Values above {@link #MAX_TRACKABLE_NANOS} land in the last bucket; the exact maximum is kept apart.
 * Not thread-safe: give each worker its own histogram and {@link #add} them at the end.
 */
public final class LatencyHistogram {
  /** Number of exact buckets at the bottom of the range, also the number of buckets in each doubling. */
  static final int SUB_BUCKETS = 1024;
  /** Buckets per power-of-two range above the exact range. */
  static final int HALF = SUB_BUCKETS / 2;
  /** Largest value told apart from larger ones: about 73 minutes. */
  public static final long MAX_TRACKABLE_NANOS = 1L << 42;

  private static final int SUB_BITS = Integer.numberOfTrailingZeros(SUB_BUCKETS);

  private final long[] counts = new long[bucketOf(MAX_TRACKABLE_NANOS) + 1];
  private long count;
  private long min = Long.MAX_VALUE;
  private long max;
  private double sum;

  /** Records one latency; negative values count as 0. */
  public void record(long nanos) {
    long v = Math.max(0, nanos);
    counts[bucketOf(Math.min(v, MAX_TRACKABLE_NANOS))]++;
    count++;
    sum += v;
    if (v < min) {
      min = v;
    }
    if (v > max) {
      max = v;
    }
  }

  /** Adds every value recorded by {@code other} to this histogram. */
  public void add(LatencyHistogram other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    count += other.count;
    sum += other.sum;
    min = Math.min(min, other.min);
    max = Math.max(max, other.max);
  }

  /** Number of values recorded. */
  public long count() {
    return count;
  }

  /** Largest value recorded, exactly; 0 when empty. */
  public long maxNanos() {
    return max;
  }

  /** Smallest value recorded, exactly; 0 when empty. */
  public long minNanos() {
    return count == 0 ? 0 : min;
  }

  /** Mean of the values recorded; 0 when empty. */
  public double meanNanos() {
    return count == 0 ? 0 : sum / count;
  }

  /**
   * The value at or below which {@code percentile} percent of the recorded values fall (nearest-rank), reported as
   * the upper bound of its bucket and never above the maximum; 0 when empty.
   *
   * @param percentile in [0, 100]
   */
  public long percentileNanos(double percentile) {
    if (percentile < 0 || percentile > 100 || Double.isNaN(percentile)) {
      throw new IllegalArgumentException("percentile " + percentile + " is outside [0, 100]");
    }
    if (count == 0) {
      return 0;
    }
    long rank = Math.max(1, (long) Math.ceil(percentile / 100.0 * count));
    long seen = 0;
    for (int i = 0; i < counts.length; i++) {
      seen += counts[i];
      if (seen >= rank) {
        return Math.max(minNanos(), Math.min(max, highestEquivalent(i)));
      }
    }
    return max;
  }

  /** Percentile in milliseconds, for reports. */
  public double percentileMillis(double percentile) {
    return percentileNanos(percentile) / 1e6;
  }

  /** Clears every count. */
  public void reset() {
    Arrays.fill(counts, 0);
    count = 0;
    sum = 0;
    min = Long.MAX_VALUE;
    max = 0;
  }

  /** Bucket index of a non-negative value no larger than {@link #MAX_TRACKABLE_NANOS}. */
  static int bucketOf(long v) {
    if (v < SUB_BUCKETS) {
      return (int) v;
    }
    int shift = 63 - Long.numberOfLeadingZeros(v) - (SUB_BITS - 1); // v >>> shift is in [HALF, SUB_BUCKETS)
    return SUB_BUCKETS + (shift - 1) * HALF + (int) ((v >>> shift) - HALF);
  }

  /** Largest value that falls into bucket {@code index}. */
  static long highestEquivalent(int index) {
    if (index < SUB_BUCKETS) {
      return index;
    }
    int shift = (index - SUB_BUCKETS) / HALF + 1;
    long sub = (index - SUB_BUCKETS) % HALF + HALF;
    return ((sub + 1) << shift) - 1;
  }
}
