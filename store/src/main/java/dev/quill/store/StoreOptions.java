package dev.quill.store;

import java.time.Duration;

/**
 * Tunables of a {@link RocksMailStore}, each with its default in {@link #defaults()}.
 *
 * @param minHashTime the least time one password hash must take; the PBKDF2 iteration count is
 *     calibrated at open so that hashing takes at least this long (default 50 ms)
 * @param hashIterations an explicit PBKDF2 iteration count that skips calibration; 0 means
 *     calibrate from {@code minHashTime} (tests pass a small count to stay fast)
 * @param authCacheTtl how long a verified password is remembered, so that repeated logins skip
 *     PBKDF2; {@link Duration#ZERO} turns the cache off (default 5 minutes)
 * @param authCacheSize the most users remembered by the credentials cache (default 10,000)
 * @param minBlobBytes message bodies of at least this many bytes go to RocksDB blob files
 *     instead of the LSM tree, so compaction does not rewrite them (default 64 KiB)
 * @param blockCacheBytes the shared RocksDB block cache, in bytes (default 256 MiB: a node's recent mail; the OS page cache holds the rest, compressed)
 */
public record StoreOptions(
    Duration minHashTime,
    int hashIterations,
    Duration authCacheTtl,
    int authCacheSize,
    long minBlobBytes,
    long blockCacheBytes) {

  public StoreOptions {
    if (minHashTime == null || minHashTime.isNegative()) {
      throw new IllegalArgumentException("minHashTime must be zero or positive, was " + minHashTime);
    }
    if (hashIterations < 0) {
      throw new IllegalArgumentException("hashIterations must be >= 0 (0 = calibrate), was " + hashIterations);
    }
    if (authCacheTtl == null || authCacheTtl.isNegative()) {
      throw new IllegalArgumentException("authCacheTtl must be zero or positive, was " + authCacheTtl);
    }
    if (authCacheSize < 0) {
      throw new IllegalArgumentException("authCacheSize must be >= 0, was " + authCacheSize);
    }
    if (minBlobBytes < 0 || blockCacheBytes < 0) {
      throw new IllegalArgumentException("minBlobBytes and blockCacheBytes must be >= 0");
    }
  }

  /** Production defaults: 50 ms hashes, a 5-minute auth cache, 64 KiB blob threshold. */
  public static StoreOptions defaults() {
    return new StoreOptions(Duration.ofMillis(50), 0, Duration.ofMinutes(5), 10_000, 64 * 1024, 256L << 20);
  }

  /** These options with a fixed PBKDF2 iteration count instead of calibration. */
  public StoreOptions withHashIterations(int iterations) {
    return new StoreOptions(minHashTime, iterations, authCacheTtl, authCacheSize, minBlobBytes, blockCacheBytes);
  }

  /** These options with another credentials-cache lifetime ({@link Duration#ZERO} disables it). */
  public StoreOptions withAuthCacheTtl(Duration ttl) {
    return new StoreOptions(minHashTime, hashIterations, ttl, authCacheSize, minBlobBytes, blockCacheBytes);
  }
}
