package dev.quill.security.keys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A node's credential, issued by the cluster CA: the node's name, its X25519 public key (new traffic
 * keys are sealed for it), a serial and the issue time, signed with the CA's Ed25519 key; with the
 * node's X25519 private key and the cluster's key ring, which the node keeps secret.
 *
 * <p>Text form (one file, mode 0600): {@code quill-node-credential 1} then {@code field = value}
 * lines — node, serial, issued, x25519-public, ca-public, signature, x25519-private — then the ring's
 * {@code key} lines. The signature covers the {@link #signedText() first four fields}.
 */
public record NodeCredential(
    String node, long serial, Instant issued, byte[] x25519Public, byte[] caPublic, byte[] signature,
    byte[] x25519Private, KeyRing ring) {
  static final String MAGIC = "quill-node-credential 1";

  /** What the credential states about the node and its CA signature, without the secrets: shown to other members. */
  public PublicCredential publicPart() {
    return new PublicCredential(node, serial, issued, x25519Public, caPublic, signature);
  }

  /** The bytes the CA signs: what the credential states about the node. */
  public byte[] signedText() {
    return publicPart().signedText();
  }

  /** Whether the CA whose public key the credential names signed it. */
  public boolean signatureValid() {
    return publicPart().signatureValid();
  }

  /** The node's X25519 public key. */
  public PublicKey publicKey() throws GeneralSecurityException {
    return publicPart().publicKey();
  }

  /** The node's X25519 private key (to open traffic keys sealed for it). */
  public PrivateKey privateKey() throws GeneralSecurityException {
    return KeyFactory.getInstance("X25519").generatePrivate(new PKCS8EncodedKeySpec(x25519Private));
  }

  /** The same credential with another key ring (after a rotation). */
  public NodeCredential withRing(KeyRing other) {
    return new NodeCredential(node, serial, issued, x25519Public, caPublic, signature, x25519Private, other);
  }

  /** The file's text. */
  public String encode() {
    return new String(signedText(), StandardCharsets.UTF_8) + "ca-public = " + b64(caPublic) + "\nsignature = "
        + b64(signature) + "\nx25519-private = " + b64(x25519Private) + "\n" + ring.encode();
  }

  /** Writes the credential to {@code file}, mode 0600. */
  public void write(Path file) throws IOException {
    SecretFiles.write(file, encode());
  }

  /**
   * Reads and checks a credential file.
   *
   * @throws IllegalArgumentException if it is not a credential, lacks a field, or its signature fails
   */
  public static NodeCredential read(Path file) throws IOException {
    String text = Files.readString(file, StandardCharsets.UTF_8);
    if (!text.startsWith(MAGIC + "\n")) {
      throw new IllegalArgumentException(file + " is not a Quill node credential (issue one with ./quill cluster add-node)");
    }
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      int eq = line.indexOf(" = ");
      if (eq > 0) {
        fields.put(line.substring(0, eq).strip(), line.substring(eq + 3).strip());
      }
    }
    NodeCredential c;
    try {
      c = new NodeCredential(field(fields, "node", file), Long.parseLong(field(fields, "serial", file)),
          Instant.parse(field(fields, "issued", file)), unb64(field(fields, "x25519-public", file)),
          unb64(field(fields, "ca-public", file)), unb64(field(fields, "signature", file)),
          unb64(field(fields, "x25519-private", file)), KeyRing.decode(text));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(file + " is damaged: " + e.getMessage() + "; issue a new one with"
          + " ./quill cluster add-node", e);
    }
    if (!c.signatureValid()) {
      throw new IllegalArgumentException(file + ": the CA signature does not verify; issue a new credential with"
          + " ./quill cluster add-node");
    }
    return c;
  }

  private static String field(Map<String, String> fields, String name, Path file) {
    String v = fields.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no '" + name + "' line in " + file);
    }
    return v;
  }

  static String b64(byte[] bytes) {
    return Base64.getEncoder().encodeToString(bytes);
  }

  static byte[] unb64(String text) {
    return Base64.getDecoder().decode(text);
  }
}
