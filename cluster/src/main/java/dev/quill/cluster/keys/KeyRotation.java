package dev.quill.cluster.keys;

import dev.quill.cluster.clock.Periodic;
import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.transport.ClusterView;
import dev.quill.security.keys.KeyRing;
import dev.quill.security.keys.KeySealing;
import dev.quill.security.keys.NodeCredential;
import dev.quill.security.keys.PublicCredential;
import dev.quill.security.keys.TrafficKey;
import dev.quill.security.keys.TrafficKeys;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the cluster to a new traffic key without locking anyone out: on a schedule
 * ({@code [cluster] key_rotation}) and on demand ({@code cluster rotate-key}), always from the
 * security server (the view's coordinator), so that two rotations never pick the same key id.
 *
 * <p>The security server reads every member's credential ({@link #KEY_CREDENTIAL}) and checks that
 * this cluster's CA issued it to that member; it draws a key and seals it for each member's X25519
 * key, as {@code cluster revoke} does with the CA. Round one ({@link #KEY_ACCEPT}): each member
 * accepts the new key but still sends with the old one. Round two, once all have it
 * ({@link #KEY_SWITCH}): each sends with the new key and accepts the old one for
 * {@link KeyDistribution#GRACE_MILLIS} more, so messages on their way are not dropped.
 */
public final class KeyRotation implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KeyRotation.class);
  /** How long a key from round one stays accepted should round two never come. */
  static final long ACCEPT_MILLIS = 10 * 60_000;

  private static final Codec<PublicCredential> CREDENTIAL = Codec.of(
      (out, c) -> out.writeString(c.node()).writeVarLong(c.serial()).writeString(c.issued().toString())
          .writeBytes(c.x25519Public()).writeBytes(c.caPublic()).writeBytes(c.signature()),
      in -> {
        String node = in.readString(1024);
        long serial = in.readVarLong();
        String issued = in.readString(64);
        try {
          return new PublicCredential(node, serial, Instant.parse(issued), in.readBytes(256), in.readBytes(256),
              in.readBytes(256));
        } catch (DateTimeParseException e) {
          throw new WireException("credential issue time '" + issued + "' does not parse");
        }
      });
  private static final Codec<List<String>> LINES = Codecs.strings(10_000, 4096);

  /** The public half of the member's credential: what a new key is sealed for. */
  public static final MessageType<Void, PublicCredential> KEY_CREDENTIAL =
      new MessageType<>(TypeIds.KEY_CREDENTIAL, 1, "KEY_CREDENTIAL", Codecs.EMPTY, CREDENTIAL);
  /** Round one: a new key sealed for the member, accepted but not sent with yet. */
  public static final MessageType<KeyDistribution.Install, Void> KEY_ACCEPT =
      new MessageType<>(TypeIds.KEY_ACCEPT, 1, "KEY_ACCEPT", KeyDistribution.Install.CODEC, Codecs.EMPTY);
  /** Round two: the key to send with from now on; the former one stays accepted for a grace period. */
  public static final MessageType<Long, Void> KEY_SWITCH =
      new MessageType<>(TypeIds.KEY_SWITCH, 1, "KEY_SWITCH", Codecs.VAR_LONG, Codecs.EMPTY);
  /** Asks the security server to rotate now ({@code cluster rotate-key} through another member); one line per member and round. */
  public static final MessageType<Void, List<String>> KEY_ROTATE =
      new MessageType<>(TypeIds.KEY_ROTATE, 1, "KEY_ROTATE", Codecs.EMPTY, LINES);

  private final String self;
  private final RpcEndpoint rpc;
  private final Supplier<ClusterView> view;
  private final TrafficKeys keys;
  private final NodeCredential credential;
  private final Duration timeout;
  private final RefusedOrders refusals;
  private volatile Thread schedule;

  /**
   * Serves the rotation's requests on {@code rpc}.
   *
   * @param credential this node's credential: its key opens what is sealed for it; its CA vouches for the members
   * @param timeout how long a round waits for each member
   */
  public KeyRotation(String self, RpcEndpoint rpc, Supplier<ClusterView> view, TrafficKeys keys,
      NodeCredential credential, Duration timeout, RefusedOrders refusals) {
    this.refusals = refusals;
    this.self = self;
    this.rpc = rpc;
    this.view = view;
    this.keys = keys;
    this.credential = credential;
    this.timeout = timeout;
    rpc.register(KEY_CREDENTIAL, (from, none) -> credential.publicPart());
    rpc.register(KEY_ACCEPT, (from, install) -> {
      fromSecurityServer(from, "accept key " + install.keyId());
      accept(from, install);
      return null;
    });
    rpc.register(KEY_SWITCH, (from, keyId) -> {
      fromSecurityServer(from, "switch to key " + keyId);
      keys.update(ring -> ring.switchTo(keyId.intValue(), KeyDistribution.GRACE_MILLIS, System.currentTimeMillis()));
      log.info("event=key-switched node={} key={} from={}", self, keyId, from);
      return null;
    });
    rpc.register(KEY_ROTATE, (from, none) -> rotate());
  }

  /**
   * Refuses a rotation round from a member that is not the security server of this node's view: only
   * the server rotates, and a member holding the cluster key must not move some members to a key of
   * its own (which would cut them off from the rest).
   */
  private void fromSecurityServer(String from, String what) {
    String server = view.get().coordinator();
    if (!server.equals(from)) {
      refusals.refused(from, "rotation round (" + what + ") from a member that is not the security server, " + server);
      throw new SecurityException(from + " is not the security server (" + server + " is): refused to " + what);
    }
  }

  /** Rotates every {@code interval} while this node is the security server; zero: never. */
  public void start(Duration interval) {
    if (interval.isZero() || interval.isNegative()) {
      return;
    }
    schedule = Periodic.start("quill-key-rotation", interval, () -> false, () -> {
      if (!view.get().coordinator().equals(self)) {
        return; // only the security server rotates
      }
      try {
        List<String> lines = rotate();
        log.info("event=key-rotation-scheduled node={} key={} result=\"{}\"", self, keys.current().id(),
            String.join("; ", lines));
      } catch (RuntimeException e) {
        log.warn("event=key-rotation-failed node={} error=\"{}\": the current key stays; the next rotation is"
            + " in {}", self, e.getMessage(), interval);
      }
    });
  }

  /** Rotates now, through the security server; one line per member and round. */
  public List<String> rotateNow() {
    String server = view.get().coordinator();
    if (server.equals(self)) {
      return rotate();
    }
    // the server waits up to a timeout per round and a timeout for the credentials
    return rpc.call(server, KEY_ROTATE, null, timeout.multipliedBy(3).plusSeconds(1)).join();
  }

  /**
   * The current traffic key sealed for {@code recipient} (a credential being issued, {@code cluster
   * add-node --data}): a node issued while the CA's ring is behind the cluster's still joins.
   *
   * @return the key's id and the sealed key
   */
  public Map.Entry<Integer, byte[]> sealCurrent(java.security.PublicKey recipient) throws GeneralSecurityException {
    TrafficKey current = keys.current();
    return Map.entry(current.id(), KeySealing.seal(current.id(), current.secret().getEncoded(), recipient));
  }

  private void accept(String from, KeyDistribution.Install install) throws GeneralSecurityException {
    byte[] raw = KeySealing.open(install.keyId(), install.sealedKey(), credential.privateKey(),
        credential.publicKey());
    TrafficKey had = keys.ring().find(install.keyId());
    if (had != null && java.util.Arrays.equals(had.secret().getEncoded(), raw)) {
      return; // asked again
    }
    if (had != null && had.status() == TrafficKey.Status.CURRENT) {
      throw new IllegalStateException("key id " + install.keyId() + " is already this node's current key, with another"
          + " secret; the security server's ring is behind this node's: rotate again");
    }
    // a key with this id from a rotation that never switched (its server left) gives way to the new one
    keys.update(ring -> (had == null ? ring : ring.without(had.id()))
        .accept(TrafficKey.of(install.keyId(), TrafficKey.Status.GRACE, 0, raw), System.currentTimeMillis() + ACCEPT_MILLIS));
    log.info("event=key-accepted node={} key={} from={}", self, install.keyId(), from);
  }

  /** The security server's side: both rounds over the current members. */
  private synchronized List<String> rotate() {
    ClusterView now = view.get();
    if (!now.coordinator().equals(self)) {
      throw new IllegalStateException(self + " is not the security server; " + now.coordinator() + " is");
    }
    List<String> members = now.members();
    Map<String, CompletableFuture<PublicCredential>> asked = new LinkedHashMap<>();
    members.forEach(m -> asked.put(m, rpc.call(m, KEY_CREDENTIAL, null, timeout)));
    byte[] raw = KeyRing.randomKey();
    int keyId = keys.ring().maxId() + 1;
    List<String> lines = new ArrayList<>();
    Map<String, CompletableFuture<Void>> accepts = new LinkedHashMap<>();
    for (var e : asked.entrySet()) {
      String member = e.getKey();
      try {
        PublicCredential theirs = e.getValue().join();
        if (!theirs.issuedBy(credential.caPublic(), member)) {
          throw new IllegalStateException("its credential was not issued to " + member + " by this cluster's CA");
        }
        accepts.put(member, rpc.call(member, KEY_ACCEPT,
            new KeyDistribution.Install(keyId, KeySealing.seal(keyId, raw, theirs.publicKey()), ""), timeout));
      } catch (RuntimeException | GeneralSecurityException failed) {
        accepts.put(member, CompletableFuture.failedFuture(failed));
      }
    }
    if (!KeyDistribution.collect(accepts, "key " + keyId + " accepted", lines)) {
      lines.add("not every member has key " + keyId + ": every member goes on sending with key " + keys.current().id()
          + "; run the command again");
      return lines;
    }
    Map<String, CompletableFuture<Void>> switches = new LinkedHashMap<>();
    members.forEach(m -> switches.put(m, rpc.call(m, KEY_SWITCH, (long) keyId, timeout)));
    if (!KeyDistribution.collect(switches, "sending with key " + keyId, lines)) {
      lines.add("a member that did not switch is understood for " + KeyDistribution.GRACE_MILLIS / 1000
          + " s more; run the command again");
    }
    return lines;
  }

  @Override
  public void close() {
    Thread t = schedule;
    if (t != null) {
      t.interrupt();
    }
  }
}
