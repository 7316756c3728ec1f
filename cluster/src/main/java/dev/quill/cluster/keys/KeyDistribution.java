package dev.quill.cluster.keys;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.security.keys.KeySealing;
import dev.quill.security.keys.TrafficKey;
import dev.quill.security.keys.TrafficKeys;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves the cluster to a new traffic key and locks a revoked node out ({@code cluster revoke}).
 *
 * <p>Two rounds from the node the operator asked: first every member but the revoked one gets the
 * new key sealed for its own X25519 key (only it can open it), makes it current and keeps the old
 * key for a short grace while the others switch, and refuses the revoked node's name at once; then,
 * when every member confirmed, every member retires the old keys. From then on the revoked node's
 * messages fail (retired key) and it cannot read anything (it never had the new key).
 */
public final class KeyDistribution {
  private static final Logger log = LoggerFactory.getLogger(KeyDistribution.class);
  /** How long the old key stays accepted between the two rounds, should the second not come. */
  static final long GRACE_MILLIS = 60_000;

  /** A new key for one member, sealed for it, and the node being revoked ("" for a plain rotation). */
  public record Install(int keyId, byte[] sealedKey, String revoked) {
    static final Codec<Install> CODEC = Codec.of(
        (out, v) -> out.writeVarInt(v.keyId()).writeBytes(v.sealedKey()).writeString(v.revoked()),
        in -> new Install(in.readVarInt(), in.readBytes(4096), in.readString(1024)));
  }

  public static final MessageType<Install, Void> KEY_INSTALL =
      new MessageType<>(TypeIds.KEY_INSTALL, 1, "KEY_INSTALL", Install.CODEC, Codecs.EMPTY);
  /** The key that must be current; every other is retired. */
  public static final MessageType<Long, Void> KEY_RETIRE =
      new MessageType<>(TypeIds.KEY_RETIRE, 1, "KEY_RETIRE", Codecs.VAR_LONG, Codecs.EMPTY);

  private final RpcEndpoint rpc;
  private final ClusterTransport transport;
  private final TrafficKeys keys;
  private final PrivateKey privateKey;
  private final PublicKey publicKey;
  private final RevokedNodes revoked;

  /**
   * Serves both rounds on {@code rpc}.
   *
   * @param privateKey this node's X25519 key from its credential, which opens the keys sealed for it
   * @param revoked where a revocation is applied and kept
   */
  public KeyDistribution(RpcEndpoint rpc, ClusterTransport transport, TrafficKeys keys, PrivateKey privateKey,
      PublicKey publicKey, RevokedNodes revoked) {
    this.rpc = rpc;
    this.revoked = revoked;
    this.transport = transport;
    this.keys = keys;
    this.privateKey = privateKey;
    this.publicKey = publicKey;
    rpc.register(KEY_INSTALL, (from, install) -> {
      install(from, install);
      return null;
    });
    rpc.register(KEY_RETIRE, (from, keyId) -> {
      retire(from, keyId.intValue());
      return null;
    });
  }

  private void install(String from, Install install) throws GeneralSecurityException {
    if (!install.revoked().isEmpty()) {
      revoked.revoke(List.of(install.revoked()));
    }
    byte[] raw = KeySealing.open(install.keyId(), install.sealedKey(), privateKey, publicKey);
    TrafficKey existing = keys.ring().find(install.keyId());
    if (existing != null && java.util.Arrays.equals(existing.secret().getEncoded(), raw)) {
      return; // asked again (the operator repeated the command): already done
    }
    if (existing != null && existing.status() == TrafficKey.Status.CURRENT) {
      throw new IllegalStateException("key id " + install.keyId() + " is already this node's current key, with"
          + " another secret (the cluster rotated its key since the CA's ring was saved); run the command again");
    }
    long now = System.currentTimeMillis();
    keys.update(ring -> (existing == null ? ring : ring.without(existing.id()))
        .rotateTo(TrafficKey.of(install.keyId(), TrafficKey.Status.CURRENT, 0, raw), GRACE_MILLIS, now));
    log.info("{}: traffic key {} installed (from {}){}", transport.nodeName(), install.keyId(), from,
        install.revoked().isEmpty() ? "" : "; " + install.revoked() + " is revoked");
  }

  private void retire(String from, int keyId) {
    if (keys.ring().current().id() != keyId) {
      throw new IllegalStateException("current traffic key is " + keys.ring().current().id() + ", not " + keyId
          + "; install it first");
    }
    keys.update(ring -> ring.retireAllButCurrent());
    log.info("{}: every traffic key but {} retired (asked by {})", transport.nodeName(), keyId, from);
  }

  /**
   * Installs key {@code keyId} on every member but {@code revoked}, then retires the old keys
   * everywhere; {@code sealed} holds the key sealed for each member.
   *
   * @return one line per member and round
   * @throws IllegalArgumentException if a member (other than the revoked one) has no sealed key
   */
  public List<String> rotate(int keyId, Map<String, byte[]> sealed, String revoked, Duration timeout) {
    List<String> members = new ArrayList<>(transport.view().members());
    members.remove(revoked);
    for (String m : members) {
      if (!sealed.containsKey(m)) {
        throw new IllegalArgumentException("no key sealed for member " + m + " (was its credential issued by this CA?)");
      }
    }
    List<String> lines = new ArrayList<>();
    Map<String, CompletableFuture<Void>> installs = new LinkedHashMap<>();
    for (String m : members) {
      installs.put(m, rpc.call(m, KEY_INSTALL, new Install(keyId, sealed.get(m), revoked), timeout));
    }
    boolean all = collect(installs, "key " + keyId + " installed", lines);
    if (!all) {
      lines.add("not every member has the new key: old keys stay accepted for " + GRACE_MILLIS / 1000
          + " s; run the command again");
      return lines;
    }
    Map<String, CompletableFuture<Void>> retires = new LinkedHashMap<>();
    for (String m : members) {
      retires.put(m, rpc.call(m, KEY_RETIRE, (long) keyId, timeout));
    }
    collect(retires, "old keys retired", lines);
    return lines;
  }

  /** Waits for each call, adding a line per member: {@code "m: " + done} or why it failed; whether all succeeded. */
  static boolean collect(Map<String, CompletableFuture<Void>> calls, String done, List<String> lines) {
    boolean all = true;
    for (var e : calls.entrySet()) {
      try {
        e.getValue().join();
        lines.add(e.getKey() + ": " + done);
      } catch (RuntimeException failed) {
        all = false;
        Throwable why = failed instanceof java.util.concurrent.CompletionException && failed.getCause() != null
            ? failed.getCause() : failed;
        lines.add(e.getKey() + ": failed (" + why.getMessage() + ")");
      }
    }
    return all;
  }
}
