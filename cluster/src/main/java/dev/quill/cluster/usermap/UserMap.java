package dev.quill.cluster.usermap;

import dev.quill.store.HashRange;
import dev.quill.store.UserHash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Which node manages which users: a fixed number of hash buckets, each assigned to one member by
 * rendezvous (highest-random-weight) hashing.
 *
 * <p>A user's bucket is {@code floor(h * B / 2^64)}, where {@code h} is the store's hash of the
 * normalised address ({@link UserHash}) and {@code B} the bucket count, so that each bucket is one
 * contiguous range of hashes ({@link #hashRange}) and a node finds the users of a bucket with one
 * range scan of its store's hash index, whatever {@code B} is.
 * A bucket's manager is the member whose name gives the highest weight {@code mix(hash(name) ^
 * seed(bucket))}. So the map is a pure function of the set of member <em>names</em>: every node
 * computes the same map from the same view whatever the order, and a restarted node (same name,
 * new JGroups address) gets its old buckets back. When a node joins, only the buckets it now wins
 * move (to it); when one leaves, only its buckets move. The spread is binomial: with n nodes and
 * B buckets each node gets B/n ± sqrt(B (1/n)(1 - 1/n)) (3 nodes, 1,024 buckets: 341 ± 15).
 *
 * <p>Instances are immutable; equal maps have equal buckets, members and managers.
 */
public final class UserMap {
  /** Default bucket count: enough that 1,000 nodes still get about one bucket each. */
  public static final int DEFAULT_BUCKETS = 1024;
  /** Upper bound of the bucket count (a map holds one reference per bucket). */
  public static final int MAX_BUCKETS = 1 << 20;

  private final List<String> members;
  private final String[] managers;

  private UserMap(List<String> members, String[] managers) {
    this.members = members;
    this.managers = managers;
  }

  /** The map for a view with these members (duplicates and order do not matter). */
  public static UserMap of(Collection<String> members, int buckets) {
    if (buckets < 1 || buckets > MAX_BUCKETS) {
      throw new IllegalArgumentException("bucket count " + buckets + " is outside 1.." + MAX_BUCKETS);
    }
    List<String> sorted = List.copyOf(new TreeSet<>(members));
    if (sorted.isEmpty()) {
      throw new IllegalArgumentException("a user map needs at least one member");
    }
    long[] nodeHashes = sorted.stream().mapToLong(UserHash::ofText).toArray();
    String[] managers = new String[buckets];
    for (int b = 0; b < buckets; b++) {
      long seed = bucketSeed(b);
      int best = 0;
      long bestWeight = UserHash.mix(nodeHashes[0] ^ seed);
      for (int i = 1; i < nodeHashes.length; i++) {
        long weight = UserHash.mix(nodeHashes[i] ^ seed);
        // Ties (2^-64 per pair) go to the first name in sorted order, so they too are the same everywhere.
        if (Long.compareUnsigned(weight, bestWeight) > 0) {
          best = i;
          bestWeight = weight;
        }
      }
      managers[b] = sorted.get(best);
    }
    return new UserMap(sorted, managers);
  }

  /** The bucket of {@code user} in a map of {@code buckets} buckets; the address is normalised as the store does. */
  public static int bucketOf(String user, int buckets) {
    return UserHash.bucketOf(UserHash.of(user), buckets);
  }

  /** The user hashes of bucket {@code bucket} in a map of {@code buckets} buckets. */
  public static HashRange hashRange(int bucket, int buckets) {
    return UserHash.bucketRange(bucket, buckets);
  }

  /** The buckets whose manager differs between two maps of the same bucket count, in bucket order. */
  public static List<BucketMove> movedBuckets(UserMap before, UserMap after) {
    if (before.buckets() != after.buckets()) {
      throw new IllegalArgumentException(
          "bucket counts differ: " + before.buckets() + " and " + after.buckets());
    }
    List<BucketMove> moves = new ArrayList<>();
    for (int b = 0; b < before.managers.length; b++) {
      if (!before.managers[b].equals(after.managers[b])) {
        moves.add(new BucketMove(b, before.managers[b], after.managers[b]));
      }
    }
    return moves;
  }

  public int buckets() {
    return managers.length;
  }

  /** The members, sorted by name. */
  public List<String> members() {
    return members;
  }

  public int bucketOf(String user) {
    return bucketOf(user, managers.length);
  }

  /** The user hashes of one of this map's buckets: what a node scans in its store for that bucket. */
  public HashRange hashRange(int bucket) {
    return hashRange(bucket, managers.length);
  }

  public String managerOf(String user) {
    return managers[bucketOf(user)];
  }

  public String managerOfBucket(int bucket) {
    return managers[bucket];
  }

  /** The buckets {@code node} manages, ascending; empty for a node outside the map. */
  public int[] bucketsOf(String node) {
    int[] own = new int[managers.length];
    int n = 0;
    for (int b = 0; b < managers.length; b++) {
      if (managers[b].equals(node)) {
        own[n++] = b;
      }
    }
    return Arrays.copyOf(own, n);
  }

  /** How many buckets each member manages, by member name. */
  public Map<String, Integer> bucketCounts() {
    Map<String, Integer> counts = new TreeMap<>();
    members.forEach(m -> counts.put(m, 0));
    for (String manager : managers) {
      counts.merge(manager, 1, Integer::sum);
    }
    return counts;
  }

  /** Each bucket's own random-looking seed, so that neighbouring bucket numbers weigh nodes independently. */
  private static long bucketSeed(int bucket) {
    return UserHash.mix((bucket + 1) * 0x9e3779b97f4a7c15L);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UserMap other && members.equals(other.members) && Arrays.equals(managers, other.managers);
  }

  @Override
  public int hashCode() {
    return 31 * members.hashCode() + Arrays.hashCode(managers);
  }

  @Override
  public String toString() {
    return "UserMap" + bucketCounts();
  }
}
