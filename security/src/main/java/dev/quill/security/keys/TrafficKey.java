package dev.quill.security.keys;

import java.util.Arrays;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * One AES-256 key of the cluster's traffic, by id, with its place in the rotation.
 *
 * @param acceptUntilMillis for a {@link Status#GRACE} key, when receivers stop accepting it (epoch ms)
 */
public record TrafficKey(int id, Status status, long acceptUntilMillis, SecretKey secret) {
  /** Key length in bytes (AES-256). */
  public static final int LENGTH = 32;

  /** A key's place in the rotation. */
  public enum Status {
    /** The key senders use now; exactly one per ring. */
    CURRENT,
    /** A former key still accepted from peers that have not switched yet, until its deadline. */
    GRACE,
    /** Refused: rotation is over, or the key was known to a revoked node. */
    RETIRED
  }

  public TrafficKey {
    if (id <= 0) {
      throw new IllegalArgumentException("key id must be positive, found " + id);
    }
    if (secret.getEncoded().length != LENGTH) {
      throw new IllegalArgumentException("traffic key " + id + " is not " + LENGTH + " bytes");
    }
  }

  /** A key from its raw bytes. */
  public static TrafficKey of(int id, Status status, long acceptUntilMillis, byte[] raw) {
    return new TrafficKey(id, status, acceptUntilMillis, new SecretKeySpec(raw, "AES"));
  }

  /** Whether a receiver accepts traffic under this key at {@code nowMillis}. */
  public boolean acceptedAt(long nowMillis) {
    return switch (status) {
      case CURRENT -> true;
      case GRACE -> nowMillis <= acceptUntilMillis;
      case RETIRED -> false;
    };
  }

  TrafficKey with(Status s, long until) {
    return new TrafficKey(id, s, until, secret);
  }

  @Override
  public String toString() {
    return "TrafficKey[" + id + " " + status + "]"; // never the secret
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrafficKey k && k.id == id && k.status == status && k.acceptUntilMillis == acceptUntilMillis
        && Arrays.equals(k.secret.getEncoded(), secret.getEncoded());
  }

  @Override
  public int hashCode() {
    return id;
  }
}
