package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
  @Test
  void percentile_empty_isZero() {
    var h = new LatencyHistogram();
    assertThat(h.percentileNanos(99)).isZero();
    assertThat(h.maxNanos()).isZero();
    assertThat(h.count()).isZero();
  }

  @Test
  void percentile_smallValues_exact() {
    var h = new LatencyHistogram();
    for (int v = 1; v <= 1000; v++) {
      h.record(v);
    }
    assertThat(h.percentileNanos(50)).isEqualTo(500);
    assertThat(h.percentileNanos(99)).isEqualTo(990);
    assertThat(h.percentileNanos(100)).isEqualTo(1000);
    assertThat(h.percentileNanos(0)).isEqualTo(1);
    assertThat(h.meanNanos()).isEqualTo(500.5);
  }

  @Test
  void percentile_millisecondValues_withinPrecision() {
    var h = new LatencyHistogram();
    for (int ms = 1; ms <= 10_000; ms++) {
      h.record(ms * 1_000_000L);
    }
    assertThat((double) h.percentileNanos(50)).isCloseTo(5_000e6, within(5_000e6 / 500));
    assertThat((double) h.percentileNanos(99)).isCloseTo(9_900e6, within(9_900e6 / 500));
    assertThat(h.percentileNanos(50)).isGreaterThanOrEqualTo(5_000_000_000L);
    assertThat(h.maxNanos()).isEqualTo(10_000_000_000L);
    assertThat(h.percentileNanos(100)).isEqualTo(h.maxNanos());
  }

  @Test
  void percentile_randomValues_matchSortedArray() {
    var random = new SplittableRandom(7);
    var values = new long[50_000];
    var h = new LatencyHistogram();
    for (int i = 0; i < values.length; i++) {
      values[i] = (long) Math.exp(random.nextDouble(5, 22)); // ~150 ns .. ~3.6 s, log-uniform
      h.record(values[i]);
    }
    Arrays.sort(values);
    for (double p : new double[] {1, 25, 50, 90, 99, 99.9}) {
      long exact = values[(int) Math.ceil(p / 100 * values.length) - 1];
      assertThat(h.percentileNanos(p)).as("p%s", p).isBetween(exact, exact + exact / 256 + 1);
    }
  }

  @Test
  void bucketOf_boundaries_roundTrip() {
    for (long v : new long[] {0, 1, 1023, 1024, 1025, 2047, 2048, 4095, 4096, 1_000_000, 123_456_789,
        LatencyHistogram.MAX_TRACKABLE_NANOS}) {
      int bucket = LatencyHistogram.bucketOf(v);
      assertThat(LatencyHistogram.highestEquivalent(bucket)).as("v=%d", v).isGreaterThanOrEqualTo(v);
      if (bucket > 0) {
        assertThat(LatencyHistogram.highestEquivalent(bucket - 1)).as("v=%d", v).isLessThan(v);
      }
    }
  }

  @Test
  void record_aboveTrackable_keepsExactMax() {
    var h = new LatencyHistogram();
    h.record(LatencyHistogram.MAX_TRACKABLE_NANOS * 4);
    h.record(-5);
    assertThat(h.maxNanos()).isEqualTo(LatencyHistogram.MAX_TRACKABLE_NANOS * 4);
    assertThat(h.minNanos()).isZero();
    assertThat(h.percentileNanos(100)).isGreaterThanOrEqualTo(LatencyHistogram.MAX_TRACKABLE_NANOS);
  }

  @Test
  void add_merges_countsAndExtremes() {
    var a = new LatencyHistogram();
    var b = new LatencyHistogram();
    for (int i = 1; i <= 100; i++) {
      a.record(i);
      b.record(i + 100);
    }
    a.add(b);
    assertThat(a.count()).isEqualTo(200);
    assertThat(a.percentileNanos(50)).isEqualTo(100);
    assertThat(a.maxNanos()).isEqualTo(200);
    assertThat(a.minNanos()).isEqualTo(1);
  }

  @Test
  void percentile_outOfRange_rejected() {
    assertThatThrownBy(() -> new LatencyHistogram().percentileNanos(101))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("101");
  }
}
