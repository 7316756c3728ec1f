package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents;
import dev.quill.security.SecurityEvents.Reason;
import dev.quill.security.Sid;
import dev.quill.security.keys.NodeCredential;
import dev.quill.security.keys.TrafficKeys;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.jgroups.Address;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;

/**
 * The cluster's per-message security layer, directly above the {@link SealingTcp sealing transport}:
 * it sees every message, JGroups' own included, and deals with who each one speaks for; the
 * transport below deals with confidentiality, integrity and replays, once per frame.
 *
 * <p>Going down, a message gets the principal it is sent for in a {@link PrincipalHeader}: the
 * caller's, put on by {@link ClusterTransport}, or the node's own. JGroups writes that header inside
 * the frame the transport seals, together with the message's addresses, so none can change unnoticed.
 *
 * <p>Coming up (from a frame that was opened, or looped back inside this JVM), a message is kept only
 * if its principal belongs to the member that sent it, that member is not revoked, and it was meant
 * for this node; it then goes up with the verified principal in its header. Anything else is dropped, counted by
 * reason, reported to {@link SecurityEvents}, and logged at most once a minute per reason and sender.
 */
public final class SecureLayer extends Protocol {
  static final short ID = 1100;

  private static boolean registered;

  /** Registers the layer and its header with JGroups (once per class loader): needed even with the layer off. */
  static synchronized void registerTypes() {
    if (!registered) {
      ClassConfigurator.addProtocol(ID, SecureLayer.class);
      ClassConfigurator.add(PrincipalHeader.MAGIC, PrincipalHeader.class);
      registered = true;
    }
  }

  private final String self;
  private final PrincipalHeader selfPrincipal;
  private final FrameSeal seal;
  private final SecurityDrops drops;
  private final Set<String> revoked;
  private final KeyCatchUp catchUp;
  /** Parsed principals by text: a cluster has few distinct principals per moment, and parsing checks a pattern. */
  private final Map<String, Sid> principals = new ConcurrentHashMap<>();

  /**
   * The layer and the transport's seal, which share one revocation list and one count of drops.
   *
   * @param self this node's name
   * @param keys the node's live traffic keys
   * @param events told of every refused frame and message
   */
  public SecureLayer(String self, TrafficKeys keys, SecurityEvents events) {
    this(self, keys, events, null);
  }

  /** As above, with the node's credential for catching up on a missed key rotation ({@link KeyCatchUp}); may be null. */
  SecureLayer(String self, TrafficKeys keys, SecurityEvents events, NodeCredential credential) {
    registerTypes();
    this.self = self;
    this.selfPrincipal = new PrincipalHeader(Sid.node(self));
    this.drops = new SecurityDrops(self, events);
    this.revoked = ConcurrentHashMap.newKeySet();
    this.seal = new FrameSeal(self, keys, drops, revoked);
    this.catchUp = credential == null ? null : new KeyCatchUp(self, credential, keys, revoked, drops);
  }

  /** The sealing transport that goes under this layer. */
  SealingTcp newTransport() {
    return new SealingTcp(seal, drops, catchUp);
  }

  /** The seal this layer's transport uses, for tests that seal or open frames directly. */
  FrameSeal seal() {
    return seal;
  }

  /** Where the policy version stamped on every frame comes from (the policy manager's current version). */
  public void policyVersion(LongSupplier version) {
    seal.policyVersion(version);
  }

  /** Told, on the receiving thread, of each verified frame stamped with a policy version above this node's. */
  public void onNewerPolicy(NewerPolicy listener) {
    seal.onNewerPolicy(listener);
  }

  /** Refuses every later frame and message from {@code node}, whatever its key. */
  public void revoke(String node) {
    revoked.add(node);
  }

  public Set<String> revoked() {
    return Set.copyOf(revoked);
  }

  /**
   * Counts, audits and (rate-limited) logs an order from member {@code from} that this node refused
   * ({@link dev.quill.security.SecurityEvents.Reason#UNAUTHORIZED_ORDER}): {@code what} says which and why.
   */
  public void refusedOrder(String from, String what) {
    drops.drop(dev.quill.security.SecurityEvents.Reason.UNAUTHORIZED_ORDER, from, "?", what);
  }

  public SecurityCounters counters() {
    return new SecurityCounters(true, seal.keys().current().id(), seal.sealed(), seal.opened(), drops.counts());
  }

  // ---------------------------------------------------------------- sending

  @Override
  public Object down(Message msg) {
    if (msg.getHeader(PrincipalHeader.MAGIC) == null) {
      msg.putHeader(PrincipalHeader.MAGIC, selfPrincipal); // JGroups' own traffic speaks for the node
    }
    return down_prot.down(msg);
  }

  // ---------------------------------------------------------------- receiving

  @Override
  public Object up(Message msg) {
    return check(msg, null, null) ? up_prot.up(msg) : null;
  }

  @Override
  public void up(MessageBatch batch) {
    Message[] kept = new Message[batch.size()];
    int n = 0;
    for (Message msg : batch) {
      if (msg != null && check(msg, batch.sender(), batch.dest())) {
        kept[n++] = msg;
      }
    }
    batch.clear();
    if (n > 0) {
      batch.add(kept, n);
      up_prot.up(batch);
    }
  }

  /** True when {@code msg} may go up (its principal replaced by the verified one); false when dropped. */
  boolean check(Message msg, Address batchSender, Address batchDest) {
    Address src = msg.getSrc() != null ? msg.getSrc() : batchSender;
    Address dest = msg.getDest() != null ? msg.getDest() : batchDest;
    String origin = src == null ? "?" : ClusterTransport.nameOf(src);
    try {
      PrincipalHeader header = msg.getHeader(PrincipalHeader.MAGIC);
      if (header == null) {
        return drop(Reason.MISSING, origin, "?", "no principal");
      }
      String text = header.textString();
      Sid principal = principal(text);
      if (principal == null) {
        return drop(Reason.MALFORMED, origin, text, "principal is not a security identifier");
      }
      if (src == null) {
        return drop(Reason.FORGED_ORIGIN, origin, text, "no sender");
      }
      // SIDs are lower-cased; node names keep their case.
      if (!principal.node().equals(origin.toLowerCase(Locale.ROOT))) {
        return drop(Reason.FORGED_SID, origin, text, "a node speaks only for its own principals");
      }
      if (revoked.contains(origin)) {
        return drop(Reason.REVOKED, origin, text, "node was revoked");
      }
      // The transport refuses (and audits) these before they come up; checked again because this
      // layer's promise should not rest on JGroups' internals. Discovery is sent to physical (IP)
      // addresses before members know each other; only member addresses name one receiver for sure.
      if (dest instanceof org.jgroups.util.UUID member && !member.equals(local_addr)) {
        return drop(Reason.MISDIRECTED, origin, text, "sent to " + dest);
      }
      header.parsed(principal);
      return true;
    } catch (Exception e) {
      // Whatever a peer sends must not reach JGroups' receiver threads as an exception.
      return drop(Reason.MALFORMED, origin, "?", e.toString());
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

  private boolean drop(Reason reason, String origin, String principal, String detail) {
    drops.drop(reason, origin, principal, detail);
    return false;
  }

  @Override
  public String toString() {
    return "SecureLayer[" + self + "]";
  }
}
