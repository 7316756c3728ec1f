package dev.quill.cluster.usermap;

import java.nio.charset.StandardCharsets;

/**
 * A 64-bit hash that is the same in every JVM, on every node and in every release: FNV-1a over
 * the UTF-8 bytes, then the SplitMix64 finaliser so that the low bits (used by modulo) are as
 * well mixed as the high ones. {@code String.hashCode} is stable too, but 32 bits and weak in its
 * low bits on similar addresses. Not for adversaries: the user map only needs an even spread.
 */
final class StableHash {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;

  private StableHash() {}

  static long of(String text) {
    long h = FNV_OFFSET;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= FNV_PRIME;
    }
    return mix(h);
  }

  /** SplitMix64's finaliser: a bijection on 64-bit values in which every input bit affects every output bit. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
