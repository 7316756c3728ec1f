package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.keys.TrafficKey;
import dev.quill.security.keys.TrafficKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Seals and opens whole transport frames (a JGroups bundle of messages, or one message) with
 * AES-256-GCM under the node's traffic keys: once per frame sent, not once per message.
 *
 * <p>A sealed frame is one array: the clear {@link FrameContext} (the AAD), then the ciphertext,
 * then the 16-byte tag. The nonce is 4 bytes of the sender run's random incarnation and the 8-byte
 * per-run sequence number, so it never repeats under one key while the sender counts.
 *
 * <p>A frame is opened only if its context parses, its key is in the ring and still accepted, its
 * tag verifies, its origin is not revoked and its sequence number is new for that origin; anything
 * else is dropped through {@link SecurityDrops}.
 */
final class FrameSeal {
  static final int TAG_BYTES = 16;

  private final String self;
  private final byte[] selfBytes;
  private final TrafficKeys keys;
  private final SecurityDrops drops;
  private final Set<String> revoked;
  /** Random per run: a restarted node's sequence numbers start again at 1 without looking like replays. */
  private final long incarnation = new SecureRandom().nextLong();
  private final AtomicLong sequence = new AtomicLong();
  private volatile LongSupplier policyVersion = () -> 0;
  private volatile NewerPolicy newerPolicy = (origin, version) -> {};
  private final Map<String, ReplayWindow> windows = new ConcurrentHashMap<>();
  /** GCM ciphers for reuse: sending and receiving threads come and go, so a thread-local would waste them. */
  private final ConcurrentLinkedQueue<Cipher> ciphers = new ConcurrentLinkedQueue<>();
  private final LongAdder sealed = new LongAdder();
  private final LongAdder opened = new LongAdder();

  /**
   * @param self this node's name, the origin of its frames
   * @param revoked node names whose frames are refused (live: revocations add to it)
   */
  FrameSeal(String self, TrafficKeys keys, SecurityDrops drops, Set<String> revoked) {
    this.self = self;
    this.selfBytes = self.getBytes(StandardCharsets.UTF_8);
    this.keys = keys;
    this.drops = drops;
    this.revoked = revoked;
  }

  void policyVersion(LongSupplier version) {
    this.policyVersion = version;
  }

  void onNewerPolicy(NewerPolicy listener) {
    this.newerPolicy = listener;
  }

  TrafficKeys keys() {
    return keys;
  }

  long sealed() {
    return sealed.sum();
  }

  long opened() {
    return opened.sum();
  }

  /** {@code data[offset, offset + length)} sealed under the current key, in one exact-size array. */
  byte[] seal(byte[] data, int offset, int length) throws GeneralSecurityException {
    TrafficKey key = keys.current();
    long seq = sequence.incrementAndGet();
    byte[] frame = new byte[FrameContext.FIXED + selfBytes.length + length + TAG_BYTES];
    int contextLength = FrameContext.write(frame, key.id(), incarnation, seq, policyVersion.getAsLong(), selfBytes);
    Cipher cipher = cipher();
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BYTES * 8, nonce(incarnation, seq)));
      cipher.updateAAD(frame, 0, contextLength);
      cipher.doFinal(data, offset, length, frame, contextLength);
    } finally {
      ciphers.offer(cipher);
    }
    sealed.increment();
    return frame;
  }

  /**
   * Opens {@code frame[0, length)} in place.
   *
   * @return the offset of the plaintext in {@code frame} (it ends {@link #TAG_BYTES} before {@code length}),
   *     or -1 when the frame was dropped (counted, reported, maybe logged)
   */
  int open(byte[] frame, int length) {
    String origin = "?";
    try {
      if (length == 0 || frame[0] != FrameContext.VERSION) {
        return drop(Reason.MISSING, origin, "not a sealed frame (a peer with security off, or another protocol version)");
      }
      FrameContext f;
      try {
        f = FrameContext.read(frame, length);
      } catch (IOException e) {
        return drop(Reason.MALFORMED, origin, e.getMessage());
      }
      origin = f.origin();
      TrafficKey key = keys.ring().find(f.keyId());
      if (key == null) {
        return drop(Reason.UNKNOWN_KEY, origin, "key " + f.keyId() + " is not in this node's ring");
      }
      if (!key.acceptedAt(System.currentTimeMillis())) {
        return drop(Reason.RETIRED_KEY, origin, "key " + f.keyId() + " is retired");
      }
      int sealedLength = length - f.length();
      if (sealedLength < TAG_BYTES) {
        return drop(Reason.MALFORMED, origin, "no room for a tag after the context");
      }
      Cipher cipher = cipher();
      try {
        cipher.init(Cipher.DECRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BYTES * 8, nonce(f.incarnation(), f.sequence())));
        cipher.updateAAD(frame, 0, f.length());
        cipher.doFinal(frame, f.length(), sealedLength, frame, f.length());
      } catch (AEADBadTagException e) {
        return drop(Reason.BAD_TAG, origin, "tag does not verify (changed in transit, or another key)");
      } finally {
        ciphers.offer(cipher);
      }
      if (revoked.contains(origin)) {
        return drop(Reason.REVOKED, origin, "node was revoked");
      }
      // Last, so that a frame refused for another reason does not use up its sequence number.
      if (!windows.computeIfAbsent(origin, o -> new ReplayWindow()).accept(f.incarnation(), f.sequence())) {
        return drop(Reason.REPLAY, origin, "sequence " + f.sequence() + " already seen or too old");
      }
      opened.increment();
      if (f.policyVersion() > policyVersion.getAsLong()) {
        newerPolicy.seen(origin, f.policyVersion()); // authenticated: only a key holder can stamp it
      }
      return f.length();
    } catch (Exception e) {
      // Whatever a peer sends must not reach the connection's receiver thread as an exception.
      return drop(Reason.MALFORMED, origin, e.toString());
    }
  }

  private int drop(Reason reason, String origin, String detail) {
    // A frame carries many messages, each with its own principal: the frame itself speaks for no one.
    drops.drop(reason, origin, "?", detail);
    return -1;
  }

  /** 4 bytes of the run's incarnation, then the 8-byte sequence: unique per sender run under one key. */
  private static byte[] nonce(long incarnation, long seq) {
    byte[] n = new byte[12];
    int high = (int) (incarnation >>> 32);
    n[0] = (byte) (high >>> 24);
    n[1] = (byte) (high >>> 16);
    n[2] = (byte) (high >>> 8);
    n[3] = (byte) high;
    for (int i = 0; i < 8; i++) {
      n[4 + i] = (byte) (seq >>> (56 - 8 * i));
    }
    return n;
  }

  private Cipher cipher() throws GeneralSecurityException {
    Cipher c = ciphers.poll();
    return c != null ? c : Cipher.getInstance("AES/GCM/NoPadding");
  }

  @Override
  public String toString() {
    return "FrameSeal[" + self + "]";
  }
}
