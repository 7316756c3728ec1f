package dev.quill.store;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Remembers recently verified passwords so that repeated logins skip PBKDF2, like Dovecot's auth
 * cache.
 *
 * <p>Only a successful verification is remembered, as HMAC-SHA256 of address and password under a
 * key that exists only in this process's memory: the cache never holds a password, and its
 * entries are useless outside this process. An entry also records the stored hash it was
 * verified against, so it stops matching as soon as the password changes by any route; explicit
 * {@link #invalidate} is still called on password change and user deletion. Failures are never
 * cached, so a wrong password always pays the full hashing cost.
 */
final class CredentialCache {
  private record Entry(String passwordHash, byte[] mac, long expiresAtNanos) {}

  private final long ttlNanos;
  private final int maxEntries;
  private final SecretKeySpec key;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();

  CredentialCache(Duration ttl, int maxEntries) {
    this.ttlNanos = ttl.toNanos();
    this.maxEntries = maxEntries;
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    this.key = new SecretKeySpec(secret, "HmacSHA256");
  }

  private boolean enabled() {
    return ttlNanos > 0 && maxEntries > 0;
  }

  /** Whether this password was verified for this user, against this stored hash, recently. */
  boolean matches(String address, String passwordHash, char[] password) {
    if (!enabled()) {
      return false;
    }
    Entry entry = entries.get(address);
    if (entry == null) {
      return false;
    }
    if (System.nanoTime() - entry.expiresAtNanos > 0) {
      entries.remove(address, entry);
      return false;
    }
    return entry.passwordHash.equals(passwordHash) && MessageDigest.isEqual(entry.mac, mac(address, password));
  }

  /** Remembers a successful verification. */
  void remember(String address, String passwordHash, char[] password) {
    if (!enabled()) {
      return;
    }
    if (entries.size() >= maxEntries && !entries.containsKey(address)) {
      makeRoom();
    }
    entries.put(address, new Entry(passwordHash, mac(address, password), System.nanoTime() + ttlNanos));
  }

  /** Forgets a user's entry (password changed, user deleted). */
  void invalidate(String address) {
    entries.remove(address);
  }

  int size() {
    return entries.size();
  }

  /** Drops expired entries, then arbitrary ones until there is room: a bound, not an LRU. */
  private void makeRoom() {
    long now = System.nanoTime();
    entries.values().removeIf(e -> now - e.expiresAtNanos > 0);
    Iterator<String> it = entries.keySet().iterator();
    while (entries.size() >= maxEntries && it.hasNext()) {
      it.next();
      it.remove();
    }
  }

  private byte[] mac(String address, char[] password) {
    ByteBuffer secret = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
    try {
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(key);
      hmac.update(address.getBytes(StandardCharsets.UTF_8));
      hmac.update((byte) 0);
      hmac.update(secret.duplicate());
      return hmac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    } finally {
      if (secret.hasArray()) {
        Arrays.fill(secret.array(), (byte) 0);
      }
    }
  }
}
