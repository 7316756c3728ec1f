package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class UserHashTest {
  @Test
  void of_isStableAcrossReleases() {
    // Fixed values: if these change, the hash index of every existing store is wrong (a format change).
    assertThat(UserHash.of("alice@example.com")).isEqualTo(0x5f124befce0313b8L);
    assertThat(UserHash.of("  ALICE@Example.COM ")).isEqualTo(0x5f124befce0313b8L);
    assertThat(UserHash.of("bob@example.com")).isEqualTo(0x26b75f9341928891L);
  }

  @Test
  void bucketStart_isTheCeilingOfAnEqualSplit() {
    assertThat(UserHash.bucketStart(0, 3)).isZero();
    assertThat(Long.toUnsignedString(UserHash.bucketStart(1, 3))).isEqualTo("6148914691236517206");
    assertThat(Long.toUnsignedString(UserHash.bucketStart(2, 3))).isEqualTo("12297829382473034411");
    assertThat(UserHash.bucketStart(3, 3)).as("2^64 wraps to 0").isZero();
    assertThat(UserHash.bucketRange(0, 1)).isEqualTo(HashRange.ALL);
  }

  @Property(tries = 300)
  void bucketRanges_startExactlyWhereBucketOfChanges(
      @ForAll @IntRange(min = 1, max = 1 << 20) int buckets, @ForAll @IntRange(min = 0, max = (1 << 20) - 1) int b) {
    int bucket = b % buckets;
    HashRange range = UserHash.bucketRange(bucket, buckets);
    assertThat(UserHash.bucketOf(range.from(), buckets)).isEqualTo(bucket);
    assertThat(UserHash.bucketOf(range.toExclusive() - 1, buckets)).isEqualTo(bucket);
    if (bucket > 0) {
      assertThat(UserHash.bucketOf(range.from() - 1, buckets)).isEqualTo(bucket - 1);
      assertThat(UserHash.bucketRange(bucket - 1, buckets).toExclusive()).isEqualTo(range.from());
    }
  }

  @Property(tries = 500)
  void everyHash_liesInTheRangeOfItsBucket(@ForAll long hash, @ForAll @IntRange(min = 1, max = 1 << 20) int buckets) {
    int bucket = UserHash.bucketOf(hash, buckets);
    assertThat(bucket).isBetween(0, buckets - 1);
    assertThat(UserHash.bucketRange(bucket, buckets).contains(hash)).isTrue();
  }

  @Test
  void hashRange_readsBoundsAsUnsigned() {
    var upperHalf = new HashRange(Long.MIN_VALUE, 0);
    assertThat(upperHalf.contains(-1L)).isTrue();
    assertThat(upperHalf.contains(Long.MAX_VALUE)).isFalse();
    assertThat(new HashRange(5, 5).contains(5)).isFalse();
    assertThatThrownBy(() -> new HashRange(-1L, 5)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UserHash.bucketRange(3, 3)).isInstanceOf(IllegalArgumentException.class);
  }
}
