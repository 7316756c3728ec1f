package dev.quill.bench;

import java.util.Locale;

/** Number formatting shared by the benchmark reports, independent of the default locale. */
final class Format {
  private Format() {}

  /** Milliseconds with three decimals, from nanoseconds. */
  static String ms(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e6);
  }

  /** A value with one decimal. */
  static String one(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /** Seconds with three decimals, from nanoseconds. */
  static String secs(long nanos) {
    return String.format(Locale.ROOT, "%.3f", nanos / 1e9);
  }

  /** The usual percentiles of a histogram, in milliseconds, on one line. */
  static String percentiles(LatencyHistogram h) {
    return "p50=" + ms(h.percentileNanos(50)) + " p90=" + ms(h.percentileNanos(90)) + " p99="
        + ms(h.percentileNanos(99)) + " p99.9=" + ms(h.percentileNanos(99.9)) + " max=" + ms(h.maxNanos())
        + " mean=" + ms((long) h.meanNanos()) + " (n=" + h.count() + ")";
  }
}
