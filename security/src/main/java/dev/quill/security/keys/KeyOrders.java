package dev.quill.security.keys;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;

/**
 * The orders of a {@code cluster revoke} that only the CA can give, as the text it signs: take key
 * {@code keyId} (sealed for one member) and refuse a node, then retire every key but {@code keyId};
 * and the revocation itself, which members pass on to those that missed it.
 * A member obeys them only with the CA's signature, so a member that holds the cluster key cannot
 * revoke another, or move some members to a key of its own.
 */
public final class KeyOrders {
  private KeyOrders() {}

  /** The text of the order that gives {@code member} key {@code keyId} and revokes {@code revoked} ("" for none). */
  public static byte[] installText(String member, int keyId, byte[] sealedKey, String revoked) {
    return ("quill key install v1\nmember = " + member + "\nkey = " + keyId + "\nsealed = "
        + NodeCredential.b64(sealedKey) + "\nrevoked = " + revoked + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** The text of a revocation: {@code node} is refused from now on, by every member that sees it. */
  public static byte[] revokeText(String node) {
    return ("quill revoke v1\nnode = " + node + "\n").getBytes(StandardCharsets.UTF_8);
  }

  /** The text of the order to retire every key but {@code keyId}. */
  public static byte[] retireText(int keyId) {
    return ("quill key retire v1\nkeep = " + keyId + "\n").getBytes(StandardCharsets.UTF_8);
  }

  static byte[] sign(PrivateKey caKey, byte[] text) {
    try {
      Signature signer = Signature.getInstance("Ed25519");
      signer.initSign(caKey);
      signer.update(text);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot sign with the CA key: " + e.getMessage(), e);
    }
  }

  /** Whether the CA with public key {@code caPublic} (X.509 encoded) signed {@code text}. */
  public static boolean signedBy(byte[] caPublic, byte[] text, byte[] signature) {
    try {
      Signature verifier = Signature.getInstance("Ed25519");
      verifier.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(caPublic)));
      verifier.update(text);
      return verifier.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }
}
