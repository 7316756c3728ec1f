package dev.quill.cluster.usermap;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class UserMapProperties {
  private static final int BUCKETS = UserMap.DEFAULT_BUCKETS;

  @Provide
  Arbitrary<Set<String>> memberSets() {
    return Arbitraries.strings().withCharRange('a', 'z').numeric().ofMinLength(1).ofMaxLength(12)
        .set().ofMinSize(1).ofMaxSize(12);
  }

  @Property(tries = 200)
  void sameMembers_anyOrder_sameMap(@ForAll("memberSets") Set<String> members, @ForAll long seed) {
    List<String> shuffled = new ArrayList<>(members);
    Collections.shuffle(shuffled, new Random(seed));
    shuffled.add(shuffled.getFirst()); // a duplicate changes nothing either
    assertThat(UserMap.of(shuffled, BUCKETS)).isEqualTo(UserMap.of(members, BUCKETS));
  }

  @Property(tries = 200)
  void join_movesOnlyBucketsToTheNewNode(@ForAll("memberSets") Set<String> members, @ForAll("memberSets") Set<String> extra) {
    String joiner = "join-" + extra.iterator().next();
    UserMap before = UserMap.of(members, BUCKETS);
    List<String> grown = new ArrayList<>(members);
    grown.add(joiner);
    UserMap after = UserMap.of(grown, BUCKETS);
    List<BucketMove> moves = UserMap.movedBuckets(before, after);
    assertThat(moves).allSatisfy(move -> assertThat(move.to()).isEqualTo(joiner));
    assertThat(moves).hasSize(after.bucketsOf(joiner).length);
  }

  @Property(tries = 200)
  void leave_movesOnlyTheLeaversBuckets(@ForAll("memberSets") Set<String> members, @ForAll @IntRange(min = 0, max = 11) int which) {
    List<String> sorted = members.stream().sorted().toList();
    if (sorted.size() < 2) {
      return;
    }
    String leaver = sorted.get(which % sorted.size());
    UserMap before = UserMap.of(sorted, BUCKETS);
    UserMap after = UserMap.of(sorted.stream().filter(m -> !m.equals(leaver)).toList(), BUCKETS);
    List<BucketMove> moves = UserMap.movedBuckets(before, after);
    assertThat(moves).allSatisfy(move -> assertThat(move.from()).isEqualTo(leaver));
    assertThat(moves).hasSize(before.bucketsOf(leaver).length);
  }

  /**
   * Each bucket goes to a member as if uniformly at random, so a member's count is binomial:
   * mean B/n, standard deviation sqrt(B (1/n)(1 - 1/n)). Over arbitrary names a bound of 5 standard
   * deviations fails once in millions of members; a fixed ±15% (about 3.4 sd for 3 nodes) would
   * fail now and then by chance alone, so it is checked on fixed names below instead.
   */
  @Property(tries = 200)
  void everyMember_getsItsFairShare_withinFiveStandardDeviations(@ForAll("memberSets") Set<String> members) {
    int n = members.size();
    double mean = (double) BUCKETS / n;
    double sd = Math.sqrt(BUCKETS * (1.0 / n) * (1 - 1.0 / n));
    UserMap map = UserMap.of(members, BUCKETS);
    assertThat(map.bucketCounts().values()).allSatisfy(count ->
        assertThat((double) count).isBetween(mean - 5 * sd, mean + 5 * sd));
    assertThat(map.bucketCounts().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(BUCKETS);
  }

  @Property(tries = 300)
  void bucketOf_ignoresCaseAndSurroundingSpace(@ForAll("addresses") String address) {
    assertThat(UserMap.bucketOf("  " + address.toUpperCase(java.util.Locale.ROOT) + " ", BUCKETS))
        .isEqualTo(UserMap.bucketOf(address, BUCKETS))
        .isBetween(0, BUCKETS - 1);
  }

  @Property(tries = 300)
  void bucketOf_agreesWithTheBucketsHashRange(@ForAll("addresses") String address, @ForAll @IntRange(min = 1, max = 4096) int buckets) {
    int bucket = UserMap.bucketOf(address, buckets);
    assertThat(UserMap.hashRange(bucket, buckets).contains(dev.quill.store.UserHash.of(address))).isTrue();
  }

  @Provide
  Arbitrary<String> addresses() {
    Arbitrary<String> word = Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(10);
    return net.jqwik.api.Combinators.combine(word, word).as((local, domain) -> local + "@" + domain + ".example");
  }
}
