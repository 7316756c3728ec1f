package dev.quill.security.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.security.PublicKey;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cluster's certificate authority, in a directory of its own (keep it off the nodes): an Ed25519
 * key pair that signs node credentials, the cluster's key ring, the last serial issued, and the
 * revocation list.
 *
 * <p>Files, all 0600: {@code ca.key} (the private key, PKCS#8 in base64, then the public key),
 * {@code keys} (the ring, {@link KeyRing} text), {@code serial}, {@code revoked} (one node name a line),
 * {@code issued} (one line per credential issued: name, serial, X25519 public key in base64; new keys
 * are sealed for these).
 */
public final class ClusterCa {
  private final Path dir;
  private final PrivateKey key;
  private final byte[] publicKey;

  private ClusterCa(Path dir, PrivateKey key, byte[] publicKey) {
    this.dir = dir;
    this.key = key;
    this.publicKey = publicKey;
  }

  /**
   * Creates a CA and the first traffic key in {@code dir}.
   *
   * @throws IllegalStateException if {@code dir} already holds a CA (a second init would lock every issued node out)
   */
  public static ClusterCa init(Path dir) throws IOException {
    if (Files.exists(dir.resolve("ca.key"))) {
      throw new IllegalStateException(dir + " already holds a cluster CA; use it, or choose another directory");
    }
    KeyPair pair;
    try {
      pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK has no Ed25519: " + e.getMessage(), e);
    }
    Files.createDirectories(dir);
    SecretFiles.write(dir.resolve("keys"), KeyRing.generate().encode());
    SecretFiles.write(dir.resolve("serial"), "0\n");
    SecretFiles.write(dir.resolve("revoked"), "");
    SecretFiles.write(dir.resolve("ca.key"), NodeCredential.b64(pair.getPrivate().getEncoded()) + "\n"
        + NodeCredential.b64(pair.getPublic().getEncoded()) + "\n");
    return new ClusterCa(dir, pair.getPrivate(), pair.getPublic().getEncoded());
  }

  /** Opens the CA in {@code dir}. */
  public static ClusterCa open(Path dir) throws IOException {
    Path file = dir.resolve("ca.key");
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("no cluster CA in " + dir + "; create one with ./quill cluster init --dir " + dir);
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    try {
      PrivateKey key = KeyFactory.getInstance("Ed25519")
          .generatePrivate(new PKCS8EncodedKeySpec(NodeCredential.unb64(lines.get(0).strip())));
      return new ClusterCa(dir, key, NodeCredential.unb64(lines.get(1).strip()));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException(file + " is damaged: " + e.getMessage(), e);
    }
  }

  /** The cluster's key ring as the CA keeps it. */
  public KeyRing ring() throws IOException {
    return KeyRing.decode(Files.readString(dir.resolve("keys"), StandardCharsets.UTF_8));
  }

  /** Saves the ring (after a rotation), so that nodes issued later get the current key. */
  public void saveRing(KeyRing ring) throws IOException {
    SecretFiles.write(dir.resolve("keys"), ring.encode());
  }

  /** Node names whose credentials are refused. */
  public Set<String> revoked() throws IOException {
    Path file = dir.resolve("revoked");
    if (!Files.exists(file)) {
      return Set.of();
    }
    Set<String> names = new LinkedHashSet<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        names.add(line.strip());
      }
    }
    return names;
  }

  /** Adds {@code node} to the revocation list. */
  public void revoke(String node) throws IOException {
    Set<String> names = new LinkedHashSet<>(revoked());
    names.add(node);
    SecretFiles.write(dir.resolve("revoked"), String.join("\n", names) + "\n");
  }

  /**
   * Issues a credential for {@code node}: a fresh X25519 key pair, the next serial, signed; with the
   * current key ring.
   *
   * @throws IllegalArgumentException if {@code node} was revoked
   */
  public synchronized NodeCredential issue(String node, Clock clock) throws IOException {
    if (revoked().contains(node)) {
      throw new IllegalArgumentException(node + " is revoked; a revoked name cannot be issued again, choose another");
    }
    long serial = Long.parseLong(Files.readString(dir.resolve("serial"), StandardCharsets.UTF_8).strip()) + 1;
    SecretFiles.write(dir.resolve("serial"), serial + "\n");
    try {
      KeyPair pair = KeyPairGenerator.getInstance("X25519").generateKeyPair();
      NodeCredential unsigned = new NodeCredential(node, serial, clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
          pair.getPublic().getEncoded(), publicKey, new byte[0], pair.getPrivate().getEncoded(), ring());
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(key);
      signer.update(unsigned.signedText());
      Path issued = dir.resolve("issued");
      String before = Files.exists(issued) ? Files.readString(issued, StandardCharsets.UTF_8) : "";
      SecretFiles.write(issued, before + node + " " + serial + " " + NodeCredential.b64(pair.getPublic().getEncoded()) + "\n");
      return new NodeCredential(unsigned.node(), serial, unsigned.issued(), unsigned.x25519Public(), publicKey,
          signer.sign(), unsigned.x25519Private(), unsigned.ring());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot issue a credential: " + e.getMessage(), e);
    }
  }

  /** Each node's X25519 public key from its latest credential, by node name. */
  public Map<String, PublicKey> publicKeys() throws IOException {
    Path issued = dir.resolve("issued");
    Map<String, PublicKey> keys = new LinkedHashMap<>();
    if (!Files.exists(issued)) {
      return keys;
    }
    for (String line : Files.readAllLines(issued, StandardCharsets.UTF_8)) {
      String[] f = line.strip().split(" ");
      if (f.length == 3) {
        try {
          keys.put(f[0], KeyFactory.getInstance("X25519")
              .generatePublic(new java.security.spec.X509EncodedKeySpec(NodeCredential.unb64(f[2]))));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
          throw new IllegalArgumentException(issued + ": the key of " + f[0] + " is damaged: " + e.getMessage(), e);
        }
      }
    }
    return keys;
  }

  /** This CA's signature of an order to give {@code member} a new key and revoke a node ({@link KeyOrders}). */
  public byte[] signInstall(String member, int keyId, byte[] sealedKey, String revoked) {
    return KeyOrders.sign(key, KeyOrders.installText(member, keyId, sealedKey, revoked));
  }

  /** This CA's signature of the revocation of {@code node} ({@link KeyOrders#revokeText}). */
  public byte[] signRevoke(String node) {
    return KeyOrders.sign(key, KeyOrders.revokeText(node));
  }

  /** This CA's signature of an order to retire every traffic key but {@code keyId} ({@link KeyOrders}). */
  public byte[] signRetire(int keyId) {
    return KeyOrders.sign(key, KeyOrders.retireText(keyId));
  }

  /** Whether {@code credential} was issued by this CA. */
  public boolean issued(NodeCredential credential) {
    return Arrays.equals(credential.caPublic(), publicKey) && credential.signatureValid();
  }
}
