package dev.quill.cluster.transport;

import dev.quill.security.SecurityEvents.Reason;
import java.io.DataInput;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.jgroups.Address;
import org.jgroups.PhysicalAddress;
import org.jgroups.conf.ClassConfigurator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TCP transport with every frame sealed: each send of the transport (a bundle of messages, or a
 * single one) is sealed once by {@link FrameSeal} on its way to the socket, a broadcast once for all
 * members; each frame read from a connection is opened before JGroups parses a byte of it.
 * Discovery, heartbeats, views, retransmissions and requests all leave through {@link #sendUnicast}
 * or {@link #sendUnicasts}, so nothing leaves in clear; what a node sends to itself is looped back
 * inside the JVM and never gets here.
 */
public final class SealingTcp extends QuietTcp {
  static final short ID = 1103;
  private static final Logger log = LoggerFactory.getLogger(SealingTcp.class);

  static {
    // Before any instance: JGroups' Protocol constructor looks the id up by class.
    ClassConfigurator.addProtocol(ID, SealingTcp.class);
  }

  /** The origin named by the frame being delivered on this thread, for the audit of what JGroups refuses in it. */
  private static final ScopedValue<String> ORIGIN = ScopedValue.newInstance();

  /** How long a starting node waits for a seed to say whether its traffic key is current. */
  static final long START_ASK_MILLIS = 2_000;

  private final FrameSeal seal;
  private final SecurityDrops drops;
  /** Null without the node's credential (tests, benchmarks): a node then cannot catch up on a missed rotation. */
  private final KeyCatchUp catchUp;
  private volatile List<PhysicalAddress> seeds = List.of();

  SealingTcp(FrameSeal seal, SecurityDrops drops, KeyCatchUp catchUp) {
    this.seal = seal;
    this.drops = drops;
    this.catchUp = catchUp;
  }

  /** The seed list's other nodes, asked at start whether this node's traffic key is still the cluster's. */
  void seeds(List<PhysicalAddress> others) {
    this.seeds = List.copyOf(others);
  }

  /**
   * Starts the connections (JGroups does so when the channel connects, before the node looks for its
   * cluster), then asks the seeds whether this node missed a key rotation (it gets the current key if so),
   * waiting at most {@link #START_ASK_MILLIS} for a grant or for every seed asked to answer: a node that
   * missed one would otherwise not be heard, and would form a cluster of its own.
   */
  @Override
  protected void handleConnect() throws Exception {
    super.handleConnect();
    if (catchUp == null || seeds.isEmpty()) {
      return;
    }
    long seen = catchUp.answers();
    long grantsSeen = catchUp.grants();
    AtomicInteger sent = new AtomicInteger();
    AtomicInteger pending = new AtomicInteger(seeds.size());
    for (PhysicalAddress seed : seeds) {
      // in parallel, and not joined: connecting to a seed that is down may take the connect timeout
      Thread.ofVirtual().start(() -> {
        if (ask(seed)) {
          sent.incrementAndGet();
        }
        pending.decrementAndGet();
        catchUp.wake();
      });
    }
    catchUp.awaitAnswers(seen, grantsSeen, START_ASK_MILLIS, () -> pending.get() > 0, sent::get);
  }

  /** Sends {@code peer} a key request (at most one a second per peer); false when it could not be sent. */
  private boolean ask(PhysicalAddress peer) {
    var request = catchUp.request(peer.toString());
    if (request.isEmpty()) {
      return false;
    }
    try {
      super.sendUnicast(peer, request.get(), 0, request.get().length);
      return true;
    } catch (Throwable e) {
      log.debug("{}: cannot ask {} for the current key: {}", seal, peer, e.toString());
      return false;
    }
  }

  @Override
  public void sendUnicast(PhysicalAddress dest, byte[] data, int offset, int length) throws Exception {
    byte[] frame = sealed(data, offset, length);
    if (frame != null) {
      super.sendUnicast(dest, frame, 0, frame.length);
    }
  }

  /** A broadcast (TP's sendToAll ends here): sealed once, the same frame sent to every member. */
  @Override
  protected void sendUnicasts(List<PhysicalAddress> dests, byte[] data, int offset, int length) {
    byte[] frame = sealed(data, offset, length);
    if (frame == null) {
      return;
    }
    for (PhysicalAddress dest : dests) {
      try {
        super.sendUnicast(dest, frame, 0, frame.length);
      } catch (Throwable e) {
        // As TP does: one unreachable member must not keep the broadcast from the others.
        log.debug("{}: cannot send a frame to {}: {}", seal, dest, e.toString());
      }
    }
  }

  private byte[] sealed(byte[] data, int offset, int length) {
    try {
      return seal.seal(data, offset, length);
    } catch (Exception e) {
      // Cannot happen with a valid key; a bug, so loud, and nothing leaves in clear.
      log.error("{}: cannot seal a frame: {}", seal, e.toString(), e);
      return null;
    }
  }

  @Override
  public void receive(Address sender, DataInput in, int len) throws Exception {
    // The frame must be read whole to be authenticated; it is opened in place, so this is its only copy.
    byte[] frame = new byte[len];
    in.readFully(frame);
    deliver(sender, frame);
  }

  /** TCP's connections hand frames over as streams (above); any path that hands over an array is checked alike. */
  @Override
  public void receive(Address sender, byte[] buf, int offset, int length) {
    deliver(sender, Arrays.copyOfRange(buf, offset, offset + length));
  }

  private void deliver(Address sender, byte[] frame) {
    if (catchUp != null) {
      if (KeyCatchUpFrame.isCatchUp(frame, frame.length)) {
        catchUp.receive(frame, frame.length, String.valueOf(sender)).ifPresent(answer -> reply(sender, answer));
        return;
      }
      catchUpOnOtherKey(sender, frame);
    }
    int offset = seal.open(frame, frame.length);
    if (offset >= 0) {
      ScopedValue.where(ORIGIN, FrameContext.origin(frame))
          .run(() -> SealingTcp.super.receive(sender, frame, offset, frame.length - offset - FrameSeal.TAG_BYTES));
    }
  }

  /**
   * For a sealed frame under another key than this node's current one: this node asks the sender when
   * the key is newer than any it has, or tells the sender its current key when the sender's is one this
   * node no longer accepts. The frame itself is still opened or refused as usual.
   */
  private void catchUpOnOtherKey(Address sender, byte[] frame) {
    if (frame.length < 5 || frame[0] != FrameContext.VERSION || !(sender instanceof PhysicalAddress peer)) {
      return;
    }
    int keyId = FrameContext.keyId(frame);
    if (keyId == seal.keys().current().id()) {
      return; // the common case, one comparison per frame
    }
    if (catchUp.behind(keyId)) {
      Thread.ofVirtual().start(() -> ask(peer));
    } else {
      catchUp.hint(peer.toString(), keyId).ifPresent(hint -> reply(sender, hint));
    }
  }

  private void reply(Address sender, byte[] answer) {
    if (sender instanceof PhysicalAddress peer) {
      // not on the connection's reader thread: sending may have to connect back
      Thread.ofVirtual().start(() -> {
        try {
          super.sendUnicast(peer, answer, 0, answer.length);
        } catch (Throwable e) {
          log.debug("{}: cannot answer {}'s key request: {}", seal, peer, e.toString());
        }
      });
    }
  }

  /**
   * JGroups refuses a unicast for another member here, before any layer above sees it (a frame
   * replayed to the wrong member that it could open); it is audited like every other refusal.
   */
  @Override
  public boolean unicastDestMismatch(Address dest) {
    boolean mismatch = super.unicastDestMismatch(dest);
    if (mismatch) {
      drops.drop(Reason.MISDIRECTED, ORIGIN.orElse("?"), "?", "sent to " + dest);
    }
    return mismatch;
  }

}
