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
 * @param minFreeBytes the free-space reserve of the store's disk: below it new mail is refused as
 *     temporary (SMTP 452 4.3.1) before anything is written, keeping the rest for flag changes,
 *     deletions and RocksDB's own flushes; 0 turns the check off (default 256 MiB, see
 *     {@link #DEFAULT_MIN_FREE_BYTES})
 */
public record StoreOptions(
    Duration minHashTime,
    int hashIterations,
    Duration authCacheTtl,
    int authCacheSize,
    long minBlobBytes,
    long blockCacheBytes,
    long minFreeBytes) {

  /**
   * The default free-space reserve, like Postfix's queue_minfree: above the 64 MiB RocksDB needs free
   * before it writes again after filling a disk (one memtable), with room for a flush, a compaction and
   * a largest message (50 MiB by default) on top.
   */
  public static final long DEFAULT_MIN_FREE_BYTES = 256L << 20;

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
    if (minBlobBytes < 0 || blockCacheBytes < 0 || minFreeBytes < 0) {
      throw new IllegalArgumentException("minBlobBytes, blockCacheBytes and minFreeBytes must be >= 0");
    }
  }

  /** Production defaults: 50 ms hashes, a 5-minute auth cache, 64 KiB blob threshold, a 256 MiB free-space reserve. */
  public static StoreOptions defaults() {
    return new StoreOptions(Duration.ofMillis(50), 0, Duration.ofMinutes(5), 10_000, 64 * 1024, 256L << 20,
        DEFAULT_MIN_FREE_BYTES);
  }

  /** These options with a fixed PBKDF2 iteration count instead of calibration. */
  public StoreOptions withHashIterations(int iterations) {
    return new StoreOptions(minHashTime, iterations, authCacheTtl, authCacheSize, minBlobBytes, blockCacheBytes,
        minFreeBytes);
  }

  /** These options with another credentials-cache lifetime ({@link Duration#ZERO} disables it). */
  public StoreOptions withAuthCacheTtl(Duration ttl) {
    return new StoreOptions(minHashTime, hashIterations, ttl, authCacheSize, minBlobBytes, blockCacheBytes,
        minFreeBytes);
  }

  /** These options with another free-space reserve (0 turns the check off). */
  public StoreOptions withMinFreeBytes(long bytes) {
    return new StoreOptions(minHashTime, hashIterations, authCacheTtl, authCacheSize, minBlobBytes, blockCacheBytes,
        bytes);
  }
}
