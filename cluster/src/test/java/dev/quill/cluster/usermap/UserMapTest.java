package dev.quill.cluster.usermap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
    assertThat(UserMap.bucketOf("alice@example.com", 1024)).isEqualTo(952);
    assertThat(UserMap.bucketOf("ALICE@Example.com", 1024)).isEqualTo(952);
    assertThat(UserMap.bucketOf("bob@example.com", 1024)).isEqualTo(145);
    assertThat(UserMap.of(List.of("n1", "n2", "n3"), 1024).bucketCounts()).containsExactlyEntriesOf(
        new java.util.TreeMap<>(java.util.Map.of("n1", 329, "n2", 331, "n3", 364)));
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
