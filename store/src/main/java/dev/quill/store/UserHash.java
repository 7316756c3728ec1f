package dev.quill.store;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * The one 64-bit hash of a user: FNV-1a over the UTF-8 bytes of the normalised address
 * ({@link Addresses#normalize}), then the SplitMix64 finaliser.
 *
 * <p><b>Changing this function is a data-format change.</b> The store's hash index is keyed by it
 * and the cluster's buckets are ranges of it, so a different function would leave every indexed
 * user under a wrong key and move every user to another manager on a rolling upgrade. Its values
 * are pinned by tests in both modules.
 *
 * <p>Why this function: it was already the cluster's user-map hash, so keeping it changes nothing
 * there. FNV-1a alone mixes its high bits poorly for addresses that differ only at the end; the
 * finaliser makes every input bit affect every output bit, which matters now that a bucket is a
 * range of the <em>high</em> bits ({@link #bucketOf}). {@code String.hashCode} is 32 bits and weak.
 * Not for adversaries: a crafted set of addresses can land in one bucket; the user map only needs
 * an even spread of real addresses.
 */
public final class UserHash {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;
  private static final BigInteger TWO_TO_64 = BigInteger.ONE.shiftLeft(64);

  private UserHash() {}

  /** The hash of a user address, normalised first, so that any spelling of one address hashes alike. */
  public static long of(String address) {
    return ofText(Addresses.normalize(address));
  }

  /**
   * The same function over text taken as is; the user map also weighs node names with it. Not for
   * addresses: use {@link #of}, which normalises.
   */
  public static long ofText(String text) {
    long h = FNV_OFFSET;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= FNV_PRIME;
    }
    return mix(h);
  }

  /** SplitMix64's finaliser: a bijection on 64-bit values in which every input bit affects every output bit. */
  public static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /**
   * The bucket of a hash among {@code buckets}: {@code floor(hash * buckets / 2^64)}, the hash read
   * as unsigned. Each bucket is thus one contiguous range of hashes, {@link #bucketRange}.
   */
  public static int bucketOf(long hash, int buckets) {
    checkBuckets(buckets);
    return (int) Math.unsignedMultiplyHigh(hash, buckets);
  }

  /** The hashes of bucket {@code bucket} of {@code buckets}: {@code [start(b), start(b+1))}. */
  public static HashRange bucketRange(int bucket, int buckets) {
    checkBuckets(buckets);
    if (bucket < 0 || bucket >= buckets) {
      throw new IllegalArgumentException("bucket " + bucket + " is outside 0.." + (buckets - 1));
    }
    return new HashRange(bucketStart(bucket, buckets), bucketStart(bucket + 1, buckets));
  }

  /**
   * The smallest hash of bucket {@code bucket}: {@code ceil(bucket * 2^64 / buckets)}, which wraps
   * to 0 for {@code bucket == buckets} (the end of the hash space, see {@link HashRange}).
   */
  public static long bucketStart(int bucket, int buckets) {
    BigInteger[] qr = BigInteger.valueOf(bucket).shiftLeft(64).divideAndRemainder(BigInteger.valueOf(buckets));
    BigInteger start = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    return start.mod(TWO_TO_64).longValue(); // 2^64 wraps to 0
  }

  private static void checkBuckets(int buckets) {
    if (buckets < 1) {
      throw new IllegalArgumentException("bucket count must be positive, was " + buckets);
    }
  }
}
