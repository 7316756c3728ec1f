package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.keys.KeySealing;
import dev.quill.security.keys.NodeCredential;
import dev.quill.security.keys.PublicCredential;
import dev.quill.security.keys.TrafficKey;
import dev.quill.security.keys.TrafficKeys;
import java.security.GeneralSecurityException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets a node that missed a key rotation (down, or cut off, while the others moved on) take the
 * cluster's current traffic key from any member, so that no rotation or revocation locks out a
 * member that was away — the reason a new credential was needed before.
 *
 * <p>The requester sends its public credential ({@link KeyCatchUpFrame.Request}); a member checks
 * that this cluster's CA issued it and that the name is not revoked, and answers with its current key
 * sealed for that credential's X25519 key and authenticated with the member's own
 * ({@link KeySealing#sealFrom}). A credential is public, so asking proves nothing; the grant is
 * useless to anyone but the holder of the requester's private key. The requester takes a grant only
 * while it is asking, only from a member whose credential the same CA issued and that it does not
 * know as revoked, and only for a key id above every key it has; the key becomes its current one
 * and is saved with its credential like any rotation.
 *
 * <p>A node never gives away a key it took this way: it may have missed a revocation with it, and
 * would not know the revoked name yet (it learns it from the others, {@code REVOKED_NODES}, once it
 * hears them). Only keys that reached it from the security server, which never sends one to a revoked
 * node, are given.
 *
 * <p>What this does not protect against: for the same reason, a node that missed a revocation could be
 * given a key of its own by the revoked node, whose credential is genuine. That node could read its
 * traffic under the old key anyway.
 */
final class KeyCatchUp {
  private static final Logger log = LoggerFactory.getLogger(KeyCatchUp.class);
  /** A node asks again at most this often per peer; a member grants at most this often per requester. */
  static final long INTERVAL_NANOS = 1_000_000_000L;
  /** How long after its last request a node takes a grant. */
  private static final long ASKING_NANOS = 30_000_000_000L;
  /** The key this node had stays accepted this long, as after any rotation (members still using it are understood). */
  private static final long OLD_KEY_GRACE_MILLIS = 60_000;
  /** Grants (X25519 work) a member makes per second at most, whoever asks. */
  private static final int GRANTS_PER_SECOND = 20;

  private final String self;
  private final NodeCredential credential;
  private final TrafficKeys keys;
  private final Set<String> revoked;
  private final SecurityDrops drops;
  private final Map<String, Long> lastAsked = new ConcurrentHashMap<>();
  private final Map<String, Long> lastGranted = new ConcurrentHashMap<>();
  private final Map<String, Long> lastHinted = new ConcurrentHashMap<>();
  private final AtomicLong askedAt = new AtomicLong(System.nanoTime() - 2 * ASKING_NANOS);
  private final AtomicLong grantWindow = new AtomicLong();
  private final AtomicLong grantsInWindow = new AtomicLong();
  /** The key this node took from a member (never given on), or -1. */
  private volatile int taken = -1;
  /** Guards {@link #answerCount}; {@link #awaitAnswer} waits on it. */
  private final Object answerLock = new Object();
  /** Answers this node received while asking: a grant, or "current". */
  private long answerCount;
  /** Of those, the grants of a key newer than this node's. */
  private long grantCount;

  KeyCatchUp(String self, NodeCredential credential, TrafficKeys keys, Set<String> revoked, SecurityDrops drops) {
    this.self = self;
    this.credential = credential;
    this.keys = keys;
    this.revoked = revoked;
    this.drops = drops;
  }

  /** The request to send {@code peer} (a name or address, for the rate limit), or empty when it was asked just now. */
  Optional<byte[]> request(String peer) {
    long now = System.nanoTime();
    if (!due(lastAsked, peer, now)) {
      return Optional.empty();
    }
    askedAt.set(now);
    return Optional.of(KeyCatchUpFrame.encode(new KeyCatchUpFrame.Request(keys.ring().maxId(), credential.publicPart())));
  }

  /** Whether a sealed frame under {@code keyId} means this node is behind: a key newer than any it has. */
  boolean behind(int keyId) {
    return keyId > keys.ring().maxId();
  }

  long answers() {
    synchronized (answerLock) {
      return answerCount;
    }
  }

  private void answered(boolean grant) {
    synchronized (answerLock) {
      answerCount++;
      grantCount += grant ? 1 : 0;
      answerLock.notifyAll();
    }
  }

  /** Grants received so far (see {@link #awaitAnswers}). */
  long grants() {
    synchronized (answerLock) {
      return grantCount;
    }
  }

  /** Wakes {@link #awaitAnswer} to look at its condition again (an asker finished). */
  void wake() {
    synchronized (answerLock) {
      answerLock.notifyAll();
    }
  }

  /**
   * Waits, at most {@code timeoutMillis}, until a grant came after the count {@code grantsSeen}, or
   * every request that went out was answered after the count {@code answersSeen}: {@code sending}
   * says whether requests are still going out, {@code sent} how many went. Not at the first answer:
   * a seed that missed the rotation too (or was revoked) answers "current" for the old key, and a
   * node that went on with it would form a cluster with that seed, away from the others (seen in
   * {@code KeyCatchUpTest}). True when some answer came.
   */
  /** Whether the start-up wait is over: a grant came, or no request is going out and each one sent was answered. */
  static boolean waitOver(long answers, long grants, boolean sending, int sent) {
    return grants > 0 || (!sending && answers >= sent);
  }

  boolean awaitAnswers(long answersSeen, long grantsSeen, long timeoutMillis,
      java.util.function.BooleanSupplier sending, java.util.function.IntSupplier sent) throws InterruptedException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    synchronized (answerLock) {
      while (!waitOver(answerCount - answersSeen, grantCount - grantsSeen, sending.getAsBoolean(), sent.getAsInt())) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          break;
        }
        answerLock.wait(left);
      }
      return answerCount != answersSeen;
    }
  }

  /**
   * What to send back to {@code peer} (its address) for a frame read from it, if anything: a grant or
   * "current" for a request, a request for a "current" naming a key this node lacks (a member telling a
   * node it heard under an old key), nothing else. Refusals are counted and reported.
   */
  Optional<byte[]> receive(byte[] frame, int length, String peer) {
    KeyCatchUpFrame f;
    try {
      f = KeyCatchUpFrame.decode(frame, length);
    } catch (java.io.IOException e) {
      drops.drop(Reason.MALFORMED, "?", "?", "key catch-up frame: " + e.getMessage());
      return Optional.empty();
    }
    return switch (f) {
      case KeyCatchUpFrame.Request r -> answer(r);
      case KeyCatchUpFrame.Grant g -> {
        take(g);
        yield Optional.empty();
      }
      case KeyCatchUpFrame.Current c -> {
        if (behind(c.keyId())) {
          yield request(peer); // told by a member that it heard this node under an old key
        }
        if (asking()) {
          answered(false);
        }
        yield Optional.empty();
      }
    };
  }

  /**
   * The hint for {@code peer}, whose frame came under {@code keyId}, a key this node no longer or never
   * accepted while its own is newer: "current is N", at most once a second per peer; else empty.
   */
  Optional<byte[]> hint(String peer, int keyId) {
    TrafficKey current = keys.current();
    TrafficKey theirs = keys.ring().find(keyId);
    if (keyId >= current.id() || theirs != null && theirs.acceptedAt(System.currentTimeMillis())) {
      return Optional.empty();
    }
    if (!due(lastHinted, peer, System.nanoTime())) {
      return Optional.empty();
    }
    return Optional.of(KeyCatchUpFrame.encode(new KeyCatchUpFrame.Current(current.id())));
  }

  private boolean asking() {
    return System.nanoTime() - askedAt.get() < ASKING_NANOS;
  }

  private Optional<byte[]> answer(KeyCatchUpFrame.Request r) {
    PublicCredential them = r.credential();
    if (!them.issuedBy(credential.caPublic(), them.node())) {
      drops.drop(Reason.BAD_CREDENTIAL, them.node(), "?", "key request with a credential this cluster's CA did not issue");
      return Optional.empty();
    }
    if (revoked.contains(them.node())) {
      drops.drop(Reason.REVOKED, them.node(), "?", "key request from a revoked node");
      return Optional.empty();
    }
    TrafficKey current = keys.current();
    if (r.keyId() >= current.id()) {
      return Optional.of(KeyCatchUpFrame.encode(new KeyCatchUpFrame.Current(current.id())));
    }
    if (current.id() == taken) {
      return Optional.empty(); // taken from a member, maybe with a revocation missed: another member gives it
    }
    long now = System.nanoTime();
    if (!withinGlobalRate(now) || !due(lastGranted, them.node(), now)) {
      return Optional.empty(); // it asks again
    }
    try {
      byte[] sealed = KeySealing.sealFrom(current.id(), current.secret().getEncoded(), them.publicKey(),
          credential.privateKey(), credential.publicKey());
      log.info("{}: gave {} the current traffic key {} (it had {})", self, them.node(), current.id(), r.keyId());
      return Optional.of(KeyCatchUpFrame.encode(new KeyCatchUpFrame.Grant(current.id(), credential.publicPart(), sealed)));
    } catch (GeneralSecurityException e) {
      drops.drop(Reason.BAD_CREDENTIAL, them.node(), "?", "key request: cannot seal for its key: " + e.getMessage());
      return Optional.empty();
    }
  }

  /** Whether {@link #INTERVAL_NANOS} passed since {@code key}'s last turn in {@code last}; if so, this is its turn. */
  private static boolean due(Map<String, Long> last, String key, long now) {
    Long before = last.get(key);
    if (before != null && now - before < INTERVAL_NANOS) {
      return false;
    }
    if (last.size() > 10_000) {
      last.clear(); // bounded: a flood of distinct peers must not grow the heap
    }
    last.put(key, now);
    return true;
  }

  private boolean withinGlobalRate(long now) {
    long window = now / 1_000_000_000L;
    if (grantWindow.getAndSet(window) != window) {
      grantsInWindow.set(0);
    }
    return grantsInWindow.incrementAndGet() <= GRANTS_PER_SECOND;
  }

  private void take(KeyCatchUpFrame.Grant g) {
    PublicCredential granter = g.granter();
    if (!asking()) {
      drops.drop(Reason.MALFORMED, granter.node(), "?", "a key grant this node did not ask for");
      return;
    }
    if (!granter.issuedBy(credential.caPublic(), granter.node())) {
      drops.drop(Reason.BAD_CREDENTIAL, granter.node(), "?", "key grant with a credential this cluster's CA did not issue");
      return;
    }
    if (revoked.contains(granter.node())) {
      drops.drop(Reason.REVOKED, granter.node(), "?", "key grant from a revoked node");
      return;
    }
    byte[] raw;
    try {
      raw = KeySealing.openFrom(g.keyId(), g.sealedKey(), credential.privateKey(), credential.publicKey(),
          granter.publicKey());
    } catch (GeneralSecurityException e) {
      drops.drop(Reason.BAD_TAG, granter.node(), "?", "key grant does not open with this node's key and the granter's");
      return;
    }
    answered(true);
    int id = g.keyId();
    synchronized (this) {
      if (!behind(id)) {
        return; // another grant was here first, or a rotation reached this node meanwhile
      }
      taken = id; // first: from the moment it is current, a request for it must find it marked as taken
      keys.update(ring -> ring.rotateTo(TrafficKey.of(id, TrafficKey.Status.CURRENT, 0, raw), OLD_KEY_GRACE_MILLIS,
          System.currentTimeMillis()));
    }
    log.warn("{}: took the cluster's current traffic key {} from {}: this node missed a key rotation while away",
        self, id, granter.node());
  }
}
