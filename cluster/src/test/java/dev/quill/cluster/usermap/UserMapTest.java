package dev.quill.cluster.usermap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.store.UserHash;
import java.util.List;
import org.junit.jupiter.api.Test;

class UserMapTest {
  @Test
  void threeNodes_eachWithinFifteenPercentOfFairShare() {
    for (List<String> names : List.of(List.of("n1", "n2", "n3"), List.of("node-a", "node-b", "node-c"),
        List.of("quill1.example.net", "quill2.example.net", "quill3.example.net"))) {
      UserMap map = UserMap.of(names, UserMap.DEFAULT_BUCKETS);
      assertThat(map.bucketCounts().values()).as("%s", map).allSatisfy(count ->
          assertThat(count).isBetween((int) (1024 / 3.0 * 0.85), (int) Math.ceil(1024 / 3.0 * 1.15)));
    }
  }

  @Test
  void bucketOf_isStableAcrossReleases() {
    // Fixed values: if these change, every user moves to another bucket on a rolling upgrade.
    assertThat(UserMap.bucketOf("alice@example.com", 1024)).isEqualTo(380);
    assertThat(UserMap.bucketOf("ALICE@Example.com", 1024)).isEqualTo(380);
    assertThat(UserMap.bucketOf("bob@example.com", 1024)).isEqualTo(154);
    assertThat(UserMap.of(List.of("n1", "n2", "n3"), 1024).bucketCounts()).containsExactlyEntriesOf(
        new java.util.TreeMap<>(java.util.Map.of("n1", 329, "n2", 331, "n3", 364)));
  }

  @Test
  void bucket_isOneContiguousRangeOfUserHashes() {
    UserMap map = UserMap.of(List.of("n1", "n2"), 1024);
    long alice = UserHash.of("alice@example.com");
    assertThat(map.hashRange(map.bucketOf("alice@example.com")).contains(alice)).isTrue();
    assertThat(map.hashRange(0).from()).isZero();
    assertThat(map.hashRange(1023).toExclusive()).as("the last bucket ends at 2^64").isZero();
    for (int b = 1; b < 1024; b++) {
      assertThat(map.hashRange(b).from()).isEqualTo(map.hashRange(b - 1).toExclusive());
    }
  }

  /**
   * Users over buckets are binomial like buckets over nodes: 102,400 addresses in 1,024 buckets
   * give 100 ± 10 each; 5 standard deviations is [50, 150].
   */
  @Test
  void users_spreadEvenlyOverBuckets() {
    int[] counts = new int[1024];
    for (int i = 0; i < 102_400; i++) {
      counts[UserMap.bucketOf("user" + i + "@example.org", 1024)]++;
    }
    assertThat(java.util.Arrays.stream(counts).min().orElseThrow()).isGreaterThanOrEqualTo(50);
    assertThat(java.util.Arrays.stream(counts).max().orElseThrow()).isLessThanOrEqualTo(150);
  }

  @Test
  void restartedNode_getsItsBucketsBack() {
    UserMap before = UserMap.of(List.of("n1", "n2", "n3"), 1024);
    UserMap without = UserMap.of(List.of("n1", "n3"), 1024);
    UserMap back = UserMap.of(List.of("n3", "n2", "n1"), 1024);
    assertThat(UserMap.movedBuckets(before, without)).isNotEmpty();
    assertThat(back).isEqualTo(before);
    assertThat(UserMap.movedBuckets(before, back)).isEmpty();
  }

  @Test
  void managerOf_agreesWithBucketsOf() {
    UserMap map = UserMap.of(List.of("a", "b", "c", "d"), 64);
    String manager = map.managerOf("carol@example.org");
    assertThat(map.bucketsOf(manager)).contains(map.bucketOf("carol@example.org"));
    assertThat(map.bucketsOf("nobody")).isEmpty();
  }

  @Test
  void invalidArguments_areRefused() {
    assertThatThrownBy(() -> UserMap.of(List.of(), 1024)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UserMap.of(List.of("a"), 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UserMap.movedBuckets(UserMap.of(List.of("a"), 8), UserMap.of(List.of("a"), 16)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
