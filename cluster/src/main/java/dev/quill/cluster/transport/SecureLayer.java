package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents;
import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.Sid;
import dev.quill.security.keys.TrafficKey;
import dev.quill.security.keys.TrafficKeys;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.EnumMap;
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
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.Message;
import org.jgroups.MessageFactory;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.stack.Protocol;
import org.jgroups.util.ByteArrayDataInputStream;
import org.jgroups.util.ByteArrayDataOutputStream;
import org.jgroups.util.MessageBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's security layer, directly above the transport, so that it sees every message:
 * requests and replies, broadcasts, discovery, heartbeats, views, retransmissions.
 *
 * <p>Going down, a message is serialised whole (every header of the layers above and the payload)
 * and sealed with AES-256-GCM under the current traffic key; the clear {@link SecureHeader} — origin
 * node, principal SID, policy version, sequence number, incarnation, key id — is the AAD, so neither
 * it nor anything inside can change unnoticed, and nothing above the transport travels in clear.
 *
 * <p>Coming up, a message is kept only if its key is known and not retired, its tag verifies, the
 * origin is the member that sealed it, its principal belongs to that node, it was meant for this
 * node, and its sequence number is new; the inner message then goes up with the verified principal
 * in a {@link PrincipalHeader}. Anything else is dropped, counted by reason, reported to
 * {@link SecurityEvents}, and logged at most once a minute per reason and sender.
 */
public final class SecureLayer extends Protocol {
  static final short ID = 1100;
  private static final Logger log = LoggerFactory.getLogger(SecureLayer.class);
  private static final int TAG_BITS = 128;
  private static final long WARN_INTERVAL_NANOS = 60_000_000_000L;

  private static boolean registered;

  /** Registers the layer and its headers with JGroups (once per class loader): needed even with the layer off. */
  static synchronized void registerTypes() {
    if (!registered) {
      ClassConfigurator.addProtocol(ID, SecureLayer.class);
      ClassConfigurator.add(SecureHeader.MAGIC, SecureHeader.class);
      ClassConfigurator.add(PrincipalHeader.MAGIC, PrincipalHeader.class);
      registered = true;
    }
  }

  private final String self;
  private final byte[] selfBytes;
  private final PrincipalHeader selfPrincipal;
  private final TrafficKeys keys;
  private final SecurityEvents events;
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  /** Random per run: a restarted node's sequence numbers start again at 1 without looking like replays. */
  private final long incarnation;
  private final AtomicLong sequence = new AtomicLong();
  private volatile LongSupplier policyVersion = () -> 0;
  private volatile NewerPolicy newerPolicy = (origin, version) -> {};
  private final Map<String, ReplayWindow> windows = new ConcurrentHashMap<>();
  /** Parsed principals by text: a cluster has few distinct principals per moment, and parsing checks a pattern. */
  private final Map<String, Sid> principals = new ConcurrentHashMap<>();
  /** GCM ciphers for reuse: receiving threads may be virtual, so a thread-local would make one per message. */
  private final ConcurrentLinkedQueue<Cipher> ciphers = new ConcurrentLinkedQueue<>();
  private final LongAdder sealed = new LongAdder();
  private final LongAdder opened = new LongAdder();
  private final EnumMap<Reason, LongAdder> dropped = new EnumMap<>(Reason.class);
  private final Map<String, Long> lastWarn = new ConcurrentHashMap<>();

  /**
   * @param self this node's name (the origin of what it sends)
   * @param keys the node's live traffic keys
   * @param events told of every refused message
   */
  public SecureLayer(String self, TrafficKeys keys, SecurityEvents events) {
    registerTypes();
    this.self = self;
    this.selfBytes = self.getBytes(StandardCharsets.UTF_8);
    this.selfPrincipal = new PrincipalHeader(Sid.node(self));
    this.keys = keys;
    this.events = events;
    this.incarnation = new SecureRandom().nextLong();
    for (Reason r : Reason.values()) {
      dropped.put(r, new LongAdder());
    }
  }

  /** Where the policy version stamped on every message comes from (the policy manager's current version). */
  public void policyVersion(LongSupplier version) {
    this.policyVersion = version;
  }

  /** Told, on the receiving thread, of each verified message stamped with a policy version above this node's. */
  public void onNewerPolicy(NewerPolicy listener) {
    this.newerPolicy = listener;
  }

  /** Refuses every later message from {@code node}, whatever its key. */
  public void revoke(String node) {
    revoked.add(node);
  }

  public Set<String> revoked() {
    return Set.copyOf(revoked);
  }

  public SecurityCounters counters() {
    Map<Reason, Long> counts = new EnumMap<>(Reason.class);
    dropped.forEach((r, n) -> counts.put(r, n.sum()));
    return new SecurityCounters(true, keys.current().id(), sealed.sum(), opened.sum(), counts);
  }

  // ---------------------------------------------------------------- sending


  @Override
  public Object down(Message msg) {
    if (msg.getSrc() == null) {
      msg.setSrc(local_addr); // inside the seal, the sender is authenticated along with the rest
    }
    Message outer;
    try {
      outer = seal(msg);
    } catch (Exception e) {
      // Cannot happen with a valid key and a serialisable message; a bug, so loud, and nothing leaves in clear.
      log.error("{}: cannot seal a message to {}: {}", self, msg.getDest(), e.toString(), e);
      return null;
    }
    sealed.increment();
    return down_prot.down(outer);
  }

  private Message seal(Message msg) throws Exception {
    TrafficKey key = keys.current();
    PrincipalHeader principal = msg.getHeader(PrincipalHeader.MAGIC);
    if (principal == null) {
      principal = selfPrincipal; // JGroups' own traffic speaks for the node
    }
    long seq = sequence.incrementAndGet();
    byte[] context = SecureHeader.encode(key.id(), incarnation, seq, policyVersion.getAsLong(), selfBytes, principal.text());
    // The addresses stay out of the sealed bytes (each carries the node name, so they are long to write
    // and read); they travel in the clear message and are authenticated as AAD instead.
    Message bare = msg.copy(true, true).setDest(null).setSrc(null);
    ByteArrayDataOutputStream plain = new ByteArrayDataOutputStream(bare.size() + 16);
    plain.writeShort(bare.getType());
    bare.writeTo(plain);
    Cipher cipher = cipher();
    byte[] sealedBytes;
    try {
      cipher.init(Cipher.ENCRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, nonce(incarnation, seq)));
      cipher.updateAAD(context);
      cipher.updateAAD(addresses(msg.getDest(), msg.getSrc()));
      sealedBytes = cipher.doFinal(plain.buffer(), 0, plain.position());
    } finally {
      ciphers.offer(cipher);
    }
    Message outer = new BytesMessage(msg.getDest(), sealedBytes).setSrc(msg.getSrc());
    outer.setFlag(msg.getFlags(false), false);
    outer.setFlag(msg.getFlags(true), true);
    return outer.putHeader(ID, new SecureHeader(context));
  }

  /** The destination and sender as AAD: a member's UUID, another address's text (discovery), or nothing. */
  private static byte[] addresses(Address dest, Address src) {
    ByteBuffer b = ByteBuffer.allocate(2 * 17 + 2 * 64);
    for (Address a : new Address[] {dest, src}) {
      if (a == null) {
        b.put((byte) 0);
      } else if (a instanceof org.jgroups.util.UUID uuid) {
        b.put((byte) 1).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits());
      } else {
        byte[] text = a.toString().getBytes(StandardCharsets.UTF_8);
        b.put((byte) 2).put((byte) Math.min(text.length, 63)).put(text, 0, Math.min(text.length, 63));
      }
    }
    return java.util.Arrays.copyOf(b.array(), b.position());
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

  // ---------------------------------------------------------------- receiving

  @Override
  public Object up(Message msg) {
    Message inner = open(msg, null, null);
    return inner == null ? null : up_prot.up(inner);
  }

  @Override
  public void up(MessageBatch batch) {
    Message[] kept = new Message[batch.size()];
    int n = 0;
    for (Message msg : batch) {
      if (msg == null) {
        continue;
      }
      Message inner = open(msg, batch.sender(), batch.dest());
      if (inner != null) {
        kept[n++] = inner;
      }
    }
    batch.clear();
    if (n > 0) {
      batch.add(kept, n);
      up_prot.up(batch);
    }
  }

  /** The verified inner message, or null when {@code msg} was dropped (counted, reported, maybe logged). */
  Message open(Message msg, Address batchSender, Address batchDest) {
    String claimedOrigin = "?";
    String claimedPrincipal = "?";
    try {
      if (msg.getSrc() != null) {
        claimedOrigin = ClusterTransport.nameOf(msg.getSrc());
      }
      SecureHeader header = msg.getHeader(ID);
      if (header == null || header.bytes() == null) {
        return drop(Reason.MISSING, claimedOrigin, claimedPrincipal, "no security context");
      }
      SecureHeader.Fields f;
      try {
        f = header.parse();
      } catch (java.io.IOException e) {
        return drop(Reason.MALFORMED, claimedOrigin, claimedPrincipal, e.getMessage());
      }
      claimedOrigin = f.origin();
      claimedPrincipal = f.principal();
      TrafficKey key = keys.ring().find(f.keyId());
      if (key == null) {
        return drop(Reason.UNKNOWN_KEY, claimedOrigin, claimedPrincipal, "key " + f.keyId() + " is not in this node's ring");
      }
      if (!key.acceptedAt(System.currentTimeMillis())) {
        return drop(Reason.RETIRED_KEY, claimedOrigin, claimedPrincipal, "key " + f.keyId() + " is retired");
      }
      if (!msg.hasArray()) {
        return drop(Reason.MALFORMED, claimedOrigin, claimedPrincipal, "no sealed payload");
      }
      Address src = msg.getSrc() != null ? msg.getSrc() : batchSender;
      Address dest = msg.getDest() != null ? msg.getDest() : batchDest;
      byte[] plain;
      Cipher cipher = cipher();
      try {
        cipher.init(Cipher.DECRYPT_MODE, key.secret(), new GCMParameterSpec(TAG_BITS, nonce(f.incarnation(), f.sequence())));
        cipher.updateAAD(header.bytes());
        cipher.updateAAD(addresses(dest, src));
        plain = cipher.doFinal(msg.getArray(), msg.getOffset(), msg.getLength());
      } catch (AEADBadTagException e) {
        return drop(Reason.BAD_TAG, claimedOrigin, claimedPrincipal, "tag does not verify (changed in transit, or another key)");
      } finally {
        ciphers.offer(cipher);
      }
      Message inner;
      try {
        ByteArrayDataInputStream in = new ByteArrayDataInputStream(plain);
        inner = MessageFactory.create(in.readShort());
        inner.readFrom(in);
        inner.setDest(dest).setSrc(src);
      } catch (Exception e) {
        return drop(Reason.MALFORMED, claimedOrigin, claimedPrincipal, "inner message does not parse: " + e);
      }
      if (src == null || !f.origin().equals(ClusterTransport.nameOf(src))) {
        return drop(Reason.FORGED_ORIGIN, claimedOrigin, claimedPrincipal, "sealed by " + src + ", not by " + f.origin());
      }
      Sid principal = principal(f.principal());
      if (principal == null) {
        return drop(Reason.MALFORMED, claimedOrigin, claimedPrincipal, "principal is not a security identifier");
      }
      // SIDs are lower-cased; node names keep their case.
      if (!principal.node().equals(f.origin().toLowerCase(java.util.Locale.ROOT))) {
        return drop(Reason.FORGED_SID, claimedOrigin, claimedPrincipal, "a node speaks only for its own principals");
      }
      if (revoked.contains(f.origin())) {
        return drop(Reason.REVOKED, claimedOrigin, claimedPrincipal, "node was revoked");
      }
      // Discovery is sent to physical (IP) addresses before members know each other; only member
      // addresses name one receiver for sure.
      if (dest instanceof org.jgroups.util.UUID member && !member.equals(local_addr)) {
        return drop(Reason.MISDIRECTED, claimedOrigin, claimedPrincipal, "sent to " + dest);
      }
      ReplayWindow window = windows.computeIfAbsent(f.origin(), o -> new ReplayWindow());
      if (!window.accept(f.incarnation(), f.sequence())) {
        return drop(Reason.REPLAY, claimedOrigin, claimedPrincipal, "sequence " + f.sequence() + " already seen or too old");
      }
      inner.putHeader(PrincipalHeader.MAGIC, new PrincipalHeader(principal));
      opened.increment();
      if (f.policyVersion() > policyVersion.getAsLong()) {
        newerPolicy.seen(f.origin(), f.policyVersion()); // authenticated: only a member can stamp it
      }
      return inner;
    } catch (Exception e) {
      // Whatever a peer sends must not reach JGroups' receiver threads as an exception.
      return drop(Reason.MALFORMED, claimedOrigin, claimedPrincipal, e.toString());
    }
  }

  private Sid principal(String text) {
    Sid sid = principals.get(text);
    if (sid != null) {
      return sid;
    }
    try {
      sid = Sid.parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
    if (principals.size() > 10_000) {
      principals.clear(); // bounded: a flood of distinct principals must not grow the heap
    }
    principals.put(text, sid);
    return sid;
  }

  private Message drop(Reason reason, String origin, String principal, String detail) {
    dropped.get(reason).increment();
    try {
      events.dropped(reason, origin, principal);
    } catch (RuntimeException e) {
      log.error("{}: security event hook failed", self, e);
    }
    String key = reason + "|" + origin;
    long now = System.nanoTime();
    Long last = lastWarn.get(key);
    if (last == null || now - last > WARN_INTERVAL_NANOS) {
      if (lastWarn.size() > 10_000) {
        lastWarn.clear();
      }
      lastWarn.put(key, now);
      log.warn("{}: dropped a cluster message ({}) claiming origin {} and principal {}: {}; further drops of this"
          + " kind from this sender are counted, not logged, for a minute", self, reason, origin, principal, detail);
    }
    return null;
  }

  @Override
  public String toString() {
    return "SecureLayer[" + self + "]";
  }
}
