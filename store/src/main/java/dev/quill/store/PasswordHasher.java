package dev.quill.store;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashing with PBKDF2-HMAC-SHA256 from the JDK, in a self-describing format:
 *
 * <pre>$pbkdf2-sha256$i=ITERATIONS$BASE64(SALT)$BASE64(HASH)</pre>
 *
 * <p>Each hash has its own 16-byte random salt and a 32-byte output. The iteration count of new
 * hashes is either given or calibrated at startup so one hash takes at least a target time;
 * verification uses the count written in the hash, so hashes made under another calibration
 * still verify. Comparison is constant-time.
 */
public final class PasswordHasher {
  private static final String PREFIX = "$pbkdf2-sha256$i=";
  private static final String ALGORITHM = "PBKDF2WithHmacSHA256";
  private static final int SALT_BYTES = 16;
  private static final int HASH_BITS = 256;
  /** Refuse to verify hashes that ask for absurd work: a corrupt record must not hang a login. */
  private static final int MAX_ITERATIONS = 50_000_000;
  private static final int CALIBRATION_PROBE = 20_000;

  private final int iterations;
  private final SecureRandom random = new SecureRandom();
  /** Hash of a random password, verified against for unknown users so they cost the same. */
  private final String dummy;

  private PasswordHasher(int iterations) {
    if (iterations < 1 || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException("iterations must be in [1, " + MAX_ITERATIONS + "], was " + iterations);
    }
    this.iterations = iterations;
    char[] randomPassword = Base64.getEncoder().encodeToString(random.generateSeed(12)).toCharArray();
    this.dummy = hash(randomPassword);
  }

  /** The fewest iterations a calibrated hasher uses, whatever the measurement says (OWASP's PBKDF2 advice is far above). */
  static final long MIN_CALIBRATED_ITERATIONS = 100_000;

  /** A hasher with a fixed iteration count (tests use a small one). */
  public static PasswordHasher withIterations(int iterations) {
    return new PasswordHasher(iterations);
  }

  /**
   * A hasher whose iteration count makes one hash on this machine take at least {@code minTime}.
   * Measures after a warm-up, so that the JIT-compiled speed, not the interpreted one, is used.
   */
  public static PasswordHasher calibrated(Duration minTime) {
    byte[] salt = new byte[SALT_BYTES];
    char[] probe = "calibration".toCharArray();
    for (int i = 0; i < 3; i++) {
      derive(probe, salt, CALIBRATION_PROBE);
    }
    long best = Long.MAX_VALUE;
    // Thread CPU time, and the best of several runs: on a busy machine wall time measures the
    // neighbours too, which would calibrate too few iterations and weaken every hash made then.
    java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
    boolean cpuTime = cpu.isCurrentThreadCpuTimeSupported();
    for (int i = 0; i < 5; i++) {
      long start = cpuTime ? cpu.getCurrentThreadCpuTime() : System.nanoTime();
      derive(probe, salt, CALIBRATION_PROBE);
      best = Math.min(best, (cpuTime ? cpu.getCurrentThreadCpuTime() : System.nanoTime()) - start);
    }
    double perIteration = (double) Math.max(best, 1) / CALIBRATION_PROBE;
    long needed = (long) Math.ceil(minTime.toNanos() * 1.1 / perIteration); // 10% margin above the floor
    // Round up to a multiple of 1,000 so the stored counts read cleanly; never below the floor.
    long rounded = Math.max(MIN_CALIBRATED_ITERATIONS, (needed + 999) / 1_000 * 1_000);
    return new PasswordHasher((int) Math.min(rounded, MAX_ITERATIONS));
  }

  /** The iteration count of new hashes. */
  public int iterations() {
    return iterations;
  }

  /** A new salted hash of {@code password} in the encoded format. */
  public String hash(char[] password) {
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    byte[] hash = derive(password, salt, iterations);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return PREFIX + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
  }

  /** Whether {@code password} matches {@code encoded}; false for a malformed hash. */
  public boolean verify(char[] password, String encoded) {
    Parsed parsed = parse(encoded);
    if (parsed == null) {
      return false;
    }
    byte[] actual = derive(password, parsed.salt, parsed.iterations);
    return MessageDigest.isEqual(actual, parsed.hash);
  }

  /** Spends the cost of one verification and returns false: used when the user does not exist. */
  public boolean verifyAgainstDummy(char[] password) {
    verify(password, dummy);
    return false;
  }

  private record Parsed(int iterations, byte[] salt, byte[] hash) {}

  private static Parsed parse(String encoded) {
    if (encoded == null || !encoded.startsWith(PREFIX)) {
      return null;
    }
    String[] parts = encoded.substring(PREFIX.length()).split("\\$", -1);
    if (parts.length != 3) {
      return null;
    }
    try {
      int iterations = Integer.parseInt(parts[0]);
      byte[] salt = Base64.getDecoder().decode(parts[1]);
      byte[] hash = Base64.getDecoder().decode(parts[2]);
      if (iterations < 1 || iterations > MAX_ITERATIONS || salt.length == 0 || hash.length != HASH_BITS / 8) {
        return null;
      }
      return new Parsed(iterations, salt, hash);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] derive(char[] password, byte[] salt, int iterations) {
    var spec = new PBEKeySpec(password, salt, iterations, HASH_BITS);
    try {
      return SecretKeyFactory.getInstance(ALGORITHM).generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " is part of every JDK", e);
    } finally {
      spec.clearPassword();
    }
  }
}
