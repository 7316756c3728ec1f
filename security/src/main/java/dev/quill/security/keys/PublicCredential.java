package dev.quill.security.keys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.util.Arrays;

/**
 * The public half of a node's credential — name, serial, issue time, X25519 public key, the CA's
 * public key and its signature — which a member shows the security server so that new traffic keys
 * can be sealed for it without the CA.
 */
public record PublicCredential(String node, long serial, Instant issued, byte[] x25519Public, byte[] caPublic,
    byte[] signature) {

  /** The bytes the CA signs: what the credential states about the node. */
  public byte[] signedText() {
    return (NodeCredential.MAGIC + "\nnode = " + node + "\nserial = " + serial + "\nissued = " + issued
        + "\nx25519-public = " + NodeCredential.b64(x25519Public) + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** Whether the CA whose public key the credential names signed it. */
  public boolean signatureValid() {
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(caPublic)));
      verifier.update(signedText());
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  /** Whether {@code ca} (a CA public key, X.509 encoded) signed this credential for {@code expectedNode}. */
  public boolean issuedBy(byte[] ca, String expectedNode) {
    return node.equals(expectedNode) && Arrays.equals(caPublic, ca) && signatureValid();
  }

  /** The node's X25519 public key. */
  public PublicKey publicKey() throws GeneralSecurityException {
    return KeyFactory.getInstance("X25519").generatePublic(new X509EncodedKeySpec(x25519Public));
  }
}
