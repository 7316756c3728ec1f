package dev.quill.security.keys;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;

/**
 * The cluster's traffic keys: one current key for sending, former keys still accepted for a grace
 * period during a rotation, retired keys refused. Immutable; a rotation makes a new ring.
 *
 * <p>Text form, one key a line: {@code key ID STATUS ACCEPT_UNTIL_MS BASE64}.
 */
public record KeyRing(List<TrafficKey> keys) {
  private static final SecureRandom RANDOM = new SecureRandom();

  public KeyRing {
    keys = List.copyOf(keys);
    if (keys.stream().filter(k -> k.status() == TrafficKey.Status.CURRENT).count() != 1) {
      throw new IllegalArgumentException("a key ring needs exactly one current key, found " + keys);
    }
    if (keys.stream().map(TrafficKey::id).distinct().count() != keys.size()) {
      throw new IllegalArgumentException("two keys of the ring share an id: " + keys);
    }
  }

  /** A ring of one fresh random key, id 1. */
  public static KeyRing generate() {
    return new KeyRing(List.of(TrafficKey.of(1, TrafficKey.Status.CURRENT, 0, randomKey())));
  }

  /** 32 random bytes from the JDK's strong source. */
  public static byte[] randomKey() {
    byte[] raw = new byte[TrafficKey.LENGTH];
    RANDOM.nextBytes(raw);
    return raw;
  }

  /** The key senders use. */
  public TrafficKey current() {
    return keys.stream().filter(k -> k.status() == TrafficKey.Status.CURRENT).findFirst().orElseThrow();
  }

  /** The key with {@code id}, whatever its status, or null. */
  public TrafficKey find(int id) {
    for (TrafficKey k : keys) {
      if (k.id() == id) {
        return k;
      }
    }
    return null;
  }

  /**
   * A ring whose current key is {@code raw} (the next id), the former current key accepted for
   * {@code graceMillis} more: peers that have not switched yet are still understood meanwhile.
   */
  public KeyRing rotate(byte[] raw, long graceMillis, long nowMillis) {
    int next = maxId() + 1;
    return rotateTo(TrafficKey.of(next, TrafficKey.Status.CURRENT, 0, raw), graceMillis, nowMillis);
  }

  /** As {@link #rotate}, to a key chosen elsewhere (delivered by another member). */
  public KeyRing rotateTo(TrafficKey key, long graceMillis, long nowMillis) {
    if (find(key.id()) != null) {
      throw new IllegalArgumentException("key " + key.id() + " is already in the ring");
    }
    List<TrafficKey> next = new ArrayList<>();
    for (TrafficKey k : keys) {
      next.add(k.status() == TrafficKey.Status.CURRENT ? k.with(TrafficKey.Status.GRACE, nowMillis + graceMillis) : k);
    }
    next.add(key.with(TrafficKey.Status.CURRENT, 0));
    return new KeyRing(next);
  }

  /**
   * The ring with {@code key} accepted from peers until {@code untilMillis} but not sent with: the
   * first round of a rotation, so that no member hears the new key before it can open it.
   */
  public KeyRing accept(TrafficKey key, long untilMillis) {
    if (find(key.id()) != null) {
      throw new IllegalArgumentException("key " + key.id() + " is already in the ring");
    }
    List<TrafficKey> next = new ArrayList<>(keys);
    next.add(key.with(TrafficKey.Status.GRACE, untilMillis));
    return new KeyRing(next);
  }

  /**
   * The ring sending with key {@code id} (accepted before), the former current key accepted for
   * {@code graceMillis} more (messages sealed with it are still on their way), and keys no longer
   * accepted dropped, so that the ring does not grow with every rotation.
   *
   * @throws IllegalArgumentException if the ring does not hold key {@code id}
   */
  public KeyRing switchTo(int id, long graceMillis, long nowMillis) {
    if (find(id) == null) {
      throw new IllegalArgumentException("key " + id + " is not in the ring; it must be accepted first");
    }
    if (current().id() == id) {
      return this;
    }
    List<TrafficKey> next = new ArrayList<>();
    for (TrafficKey k : keys) {
      if (k.id() == id) {
        next.add(k.with(TrafficKey.Status.CURRENT, 0));
      } else if (k.status() == TrafficKey.Status.CURRENT) {
        next.add(k.with(TrafficKey.Status.GRACE, nowMillis + graceMillis));
      } else if (k.acceptedAt(nowMillis)) {
        next.add(k);
      }
    }
    return new KeyRing(next);
  }

  /** The ring without key {@code id}, which must not be the current one. */
  public KeyRing without(int id) {
    if (current().id() == id) {
      throw new IllegalArgumentException("key " + id + " is the current key");
    }
    return new KeyRing(keys.stream().filter(k -> k.id() != id).toList());
  }

  /** The highest key id in the ring: a new key takes the next one. */
  public int maxId() {
    return keys.stream().mapToInt(TrafficKey::id).max().orElse(0);
  }

  /** A ring in which every key but the current one is retired (a revocation: no grace at all). */
  public KeyRing retireAllButCurrent() {
    return new KeyRing(keys.stream()
        .map(k -> k.status() == TrafficKey.Status.CURRENT ? k : k.with(TrafficKey.Status.RETIRED, 0)).toList());
  }

  /** The text form. */
  public String encode() {
    StringBuilder out = new StringBuilder();
    for (TrafficKey k : keys.stream().sorted(Comparator.comparingInt(TrafficKey::id)).toList()) {
      out.append("key ").append(k.id()).append(' ').append(k.status().name().toLowerCase(java.util.Locale.ROOT))
          .append(' ').append(k.acceptUntilMillis()).append(' ')
          .append(Base64.getEncoder().encodeToString(k.secret().getEncoded())).append('\n');
    }
    return out.toString();
  }

  /** Parses the lines starting with {@code key } of {@code text}; others are ignored. */
  public static KeyRing decode(String text) {
    List<TrafficKey> keys = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (!line.startsWith("key ")) {
        continue;
      }
      String[] f = line.strip().split(" ");
      if (f.length != 5) {
        throw new IllegalArgumentException("bad key line (key ID STATUS UNTIL BASE64): " + f.length + " fields");
      }
      keys.add(TrafficKey.of(Integer.parseInt(f[1]), TrafficKey.Status.valueOf(f[2].toUpperCase(java.util.Locale.ROOT)),
          Long.parseLong(f[3]), Base64.getDecoder().decode(f[4])));
    }
    return new KeyRing(keys);
  }
}
