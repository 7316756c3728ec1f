package dev.quill.cluster.keys;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.transport.ClusterTransport;
import dev.quill.security.keys.KeyOrders;
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
 *
 * <p>Both orders carry the CA's signature ({@link KeyOrders}), made by the operator's command where the
 * CA is: a member obeys them only if the CA it was issued by signed them, so a member holding the
 * cluster key cannot revoke another or move some members to a key of its own. An install of a key id
 * below the newest this node has is refused too: an old signed order, sent again, cannot move it back.
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

  /**
   * An install order with the CA's signature of {@link KeyOrders#installText} for its recipient, and
   * of the revocation it carries ({@link KeyOrders#revokeText}; empty when it revokes nobody), which
   * the recipient keeps to pass on.
   */
  public record SignedInstall(Install install, byte[] caSignature, byte[] revocationSignature) {
    static final Codec<SignedInstall> CODEC = Codec.of(
        (out, v) -> {
          Install.CODEC.write(out, v.install());
          out.writeBytes(v.caSignature()).writeBytes(v.revocationSignature());
        },
        in -> new SignedInstall(Install.CODEC.read(in), in.readBytes(256), in.readBytes(256)));
  }

  /** The key to keep, with the CA's signature of {@link KeyOrders#retireText}. */
  public record SignedRetire(int keyId, byte[] caSignature) {
    static final Codec<SignedRetire> CODEC = Codec.of(
        (out, v) -> out.writeVarInt(v.keyId()).writeBytes(v.caSignature()),
        in -> new SignedRetire(in.readVarInt(), in.readBytes(256)));
  }

  /** Version 2: signed by the CA. */
  public static final MessageType<SignedInstall, Void> KEY_INSTALL =
      new MessageType<>(TypeIds.KEY_INSTALL, 2, "KEY_INSTALL", SignedInstall.CODEC, Codecs.EMPTY);
  /** The key that must be current; every other is retired. Version 2: signed by the CA. */
  public static final MessageType<SignedRetire, Void> KEY_RETIRE =
      new MessageType<>(TypeIds.KEY_RETIRE, 2, "KEY_RETIRE", SignedRetire.CODEC, Codecs.EMPTY);

  private final RpcEndpoint rpc;
  private final ClusterTransport transport;
  private final TrafficKeys keys;
  private final PrivateKey privateKey;
  private final PublicKey publicKey;
  private final byte[] caPublic;
  private final RevokedNodes revoked;

  /**
   * Serves both rounds on {@code rpc}.
   *
   * @param privateKey this node's X25519 key from its credential, which opens the keys sealed for it
   * @param caPublic the public key of the CA that issued this node's credential: orders must carry its signature
   * @param revoked where a revocation is applied and kept
   */
  public KeyDistribution(RpcEndpoint rpc, ClusterTransport transport, TrafficKeys keys, PrivateKey privateKey,
      PublicKey publicKey, byte[] caPublic, RevokedNodes revoked) {
    this.caPublic = caPublic.clone();
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
    rpc.register(KEY_RETIRE, (from, order) -> {
      retire(from, order);
      return null;
    });
  }

  private void install(String from, SignedInstall order) throws GeneralSecurityException {
    Install install = order.install();
    if (!KeyOrders.signedBy(caPublic, KeyOrders.installText(transport.nodeName(), install.keyId(), install.sealedKey(),
        install.revoked()), order.caSignature())) {
      refused(from, "key install (key " + install.keyId() + ", revoking \"" + install.revoked()
          + "\") not signed by this cluster's CA");
      throw new SecurityException("key install from " + from + " is not signed by this cluster's CA; nothing changed");
    }
    if (!install.revoked().isEmpty()) {
      Revocation revocation = new Revocation(install.revoked(), order.revocationSignature());
      if (!revocation.signedBy(caPublic)) {
        refused(from, "key install revoking " + install.revoked() + " without the CA's signature of the revocation");
        throw new SecurityException("key install from " + from + " revokes " + install.revoked()
            + " without the CA's signature of the revocation; nothing changed");
      }
      revoked.revokeSigned(List.of(revocation));
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
    if (install.keyId() < keys.ring().maxId()) {
      throw new IllegalStateException("key id " + install.keyId() + " is older than this node's newest, "
          + keys.ring().maxId() + ": an old order is not taken again");
    }
    long now = System.currentTimeMillis();
    keys.update(ring -> (existing == null ? ring : ring.without(existing.id()))
        .rotateTo(TrafficKey.of(install.keyId(), TrafficKey.Status.CURRENT, 0, raw), GRACE_MILLIS, now));
    log.info("{}: traffic key {} installed (from {}){}", transport.nodeName(), install.keyId(), from,
        install.revoked().isEmpty() ? "" : "; " + install.revoked() + " is revoked");
  }

  private void refused(String from, String what) {
    transport.securityLayer().ifPresent(layer -> layer.refusedOrder(from, what));
  }

  private void retire(String from, SignedRetire order) {
    int keyId = order.keyId();
    if (!KeyOrders.signedBy(caPublic, KeyOrders.retireText(keyId), order.caSignature())) {
      refused(from, "key retirement (keep " + keyId + ") not signed by this cluster's CA");
      throw new SecurityException("key retirement from " + from + " is not signed by this cluster's CA; nothing changed");
    }
    if (keys.ring().current().id() != keyId) {
      throw new IllegalStateException("current traffic key is " + keys.ring().current().id() + ", not " + keyId
          + "; install it first");
    }
    keys.update(ring -> ring.retireAllButCurrent());
    log.info("{}: every traffic key but {} retired (asked by {})", transport.nodeName(), keyId, from);
  }

  /**
   * Installs key {@code keyId} on every member but {@code revoked}, then retires the old keys
   * everywhere; {@code sealed} holds the key sealed for each member, {@code signatures} the CA's
   * signature of each member's order, {@code retireSignature} the CA's of the retirement and
   * {@code revocationSignature} the CA's of the revocation (empty when nobody is revoked).
   *
   * @return one line per member and round
   * @throws IllegalArgumentException if a member (other than the revoked one) has no sealed key or signature
   */
  public List<String> rotate(int keyId, Map<String, byte[]> sealed, Map<String, byte[]> signatures,
      byte[] retireSignature, String revoked, byte[] revocationSignature, Duration timeout) {
    List<String> members = new ArrayList<>(transport.view().members());
    members.remove(revoked);
    for (String m : members) {
      if (!sealed.containsKey(m) || !signatures.containsKey(m)) {
        throw new IllegalArgumentException("no key sealed and signed for member " + m
            + " (was its credential issued by this CA?)");
      }
    }
    List<String> lines = new ArrayList<>();
    Map<String, CompletableFuture<Void>> installs = new LinkedHashMap<>();
    for (String m : members) {
      installs.put(m, rpc.call(m, KEY_INSTALL, new SignedInstall(new Install(keyId, sealed.get(m), revoked),
          signatures.get(m), revocationSignature), timeout));
    }
    boolean all = collect(installs, "key " + keyId + " installed", lines);
    if (!all) {
      lines.add("not every member has the new key: old keys stay accepted for " + GRACE_MILLIS / 1000
          + " s; run the command again");
      return lines;
    }
    Map<String, CompletableFuture<Void>> retires = new LinkedHashMap<>();
    for (String m : members) {
      retires.put(m, rpc.call(m, KEY_RETIRE, new SignedRetire(keyId, retireSignature), timeout));
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
