package dev.quill.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** PBKDF2 hashing, its format and calibration; and the verified-credentials cache. */
class PasswordHasherTest {

  @Test
  void hash_selfDescribingAndSalted() {
    var hasher = PasswordHasher.withIterations(1_000);
    String a = hasher.hash("pw".toCharArray());
    String b = hasher.hash("pw".toCharArray());
    assertThat(a).matches("\\$pbkdf2-sha256\\$i=1000\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
    assertThat(a).isNotEqualTo(b);
    assertThat(hasher.verify("pw".toCharArray(), a)).isTrue();
    assertThat(hasher.verify("pW".toCharArray(), a)).isFalse();
  }

  @Test
  void verify_hashFromOtherIterationCount_verifies() {
    String old = PasswordHasher.withIterations(2_000).hash("pw".toCharArray());
    assertThat(PasswordHasher.withIterations(1_000).verify("pw".toCharArray(), old)).isTrue();
  }

  @Test
  void verify_malformed_false() {
    var hasher = PasswordHasher.withIterations(1_000);
    assertThat(hasher.verify("pw".toCharArray(), "plain")).isFalse();
    assertThat(hasher.verify("pw".toCharArray(), "$pbkdf2-sha256$i=x$AA$BB")).isFalse();
    assertThat(hasher.verify("pw".toCharArray(), "$pbkdf2-sha256$i=999999999$AAAA$AAAA")).isFalse();
  }

  @Test
  void calibrated_takesAtLeastTarget() {
    var hasher = PasswordHasher.calibrated(Duration.ofMillis(20));
    String hash = hasher.hash("pw".toCharArray());
    long start = System.nanoTime();
    hasher.verify("pw".toCharArray(), hash);
    long took = System.nanoTime() - start;
    // Loose on purpose: calibration and this measurement share the machine with other builds.
    assertThat(Duration.ofNanos(took)).isGreaterThan(Duration.ofMillis(8));
    assertThat((long) hasher.iterations()).isGreaterThanOrEqualTo(PasswordHasher.MIN_CALIBRATED_ITERATIONS);
  }

  @Test
  void credentialCache_matchesOnlyRememberedPasswordAndHash() {
    var cache = new CredentialCache(Duration.ofMinutes(5), 2);
    cache.remember("ann@example.org", "H1", "pw".toCharArray());
    assertThat(cache.matches("ann@example.org", "H1", "pw".toCharArray())).isTrue();
    assertThat(cache.matches("ann@example.org", "H1", "other".toCharArray())).isFalse();
    assertThat(cache.matches("ann@example.org", "H2", "pw".toCharArray())).isFalse();
    cache.invalidate("ann@example.org");
    assertThat(cache.matches("ann@example.org", "H1", "pw".toCharArray())).isFalse();
  }

  @Test
  void credentialCache_bounded() {
    var cache = new CredentialCache(Duration.ofMinutes(5), 2);
    for (int i = 0; i < 10; i++) {
      cache.remember("u" + i + "@example.org", "H", "pw".toCharArray());
    }
    assertThat(cache.size()).isLessThanOrEqualTo(2);
  }

  @Test
  void credentialCache_expires() throws InterruptedException {
    var cache = new CredentialCache(Duration.ofMillis(1), 10);
    cache.remember("ann@example.org", "H", "pw".toCharArray());
    Thread.sleep(5);
    assertThat(cache.matches("ann@example.org", "H", "pw".toCharArray())).isFalse();
  }
}
