package dev.quill.security.keys;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.spec.X509EncodedKeySpec;
import javax.crypto.Cipher;
import javax.crypto.KDF;
import javax.crypto.KeyAgreement;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.HKDFParameterSpec;

/**
 * Seals a traffic key for one node, so that a new key can travel to each member without any other
 * (a revoked node included) learning it: X25519 with a fresh ephemeral key, HKDF-SHA256 over the
 * shared secret, AES-256-GCM over the key with its id as AAD.
 *
 * <p>Sealed form: ephemeral public key length (2) and bytes (X.509), nonce (12), ciphertext and tag.
 */
public final class KeySealing {
  private static final byte[] INFO = "quill traffic key v1".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  private KeySealing() {}

  /** {@code raw} (key {@code id}) sealed for the holder of {@code recipient}'s private key. */
  public static byte[] seal(int id, byte[] raw, PublicKey recipient) throws GeneralSecurityException {
    KeyPair ephemeral = KeyPairGenerator.getInstance("X25519").generateKeyPair();
    byte[] ephemeralPublic = ephemeral.getPublic().getEncoded();
    SecretKey wrap = derive(ephemeral.getPrivate(), recipient, ephemeralPublic, recipient.getEncoded());
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.ENCRYPT_MODE, wrap, new GCMParameterSpec(128, nonce));
    cipher.updateAAD(ByteBuffer.allocate(4).putInt(id).array());
    byte[] sealed = cipher.doFinal(raw);
    return ByteBuffer.allocate(2 + ephemeralPublic.length + 12 + sealed.length)
        .putShort((short) ephemeralPublic.length).put(ephemeralPublic).put(nonce).put(sealed).array();
  }

  /**
   * The key sealed in {@code sealed} for {@code self}.
   *
   * @throws GeneralSecurityException if it was not sealed for this key pair, or was changed
   */
  public static byte[] open(int id, byte[] sealed, PrivateKey self, PublicKey selfPublic) throws GeneralSecurityException {
    try {
      ByteBuffer in = ByteBuffer.wrap(sealed);
      byte[] ephemeralPublic = new byte[Short.toUnsignedInt(in.getShort())];
      in.get(ephemeralPublic);
      byte[] nonce = new byte[12];
      in.get(nonce);
      byte[] body = new byte[in.remaining()];
      in.get(body);
      PublicKey ephemeral = KeyFactory.getInstance("X25519").generatePublic(new X509EncodedKeySpec(ephemeralPublic));
      SecretKey wrap = derive(self, ephemeral, ephemeralPublic, selfPublic.getEncoded());
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, wrap, new GCMParameterSpec(128, nonce));
      cipher.updateAAD(ByteBuffer.allocate(4).putInt(id).array());
      return cipher.doFinal(body);
    } catch (RuntimeException e) {
      throw new GeneralSecurityException("sealed key does not parse: " + e, e);
    }
  }

  private static SecretKey derive(PrivateKey mine, PublicKey theirs, byte[] ephemeralPublic, byte[] recipientPublic)
      throws GeneralSecurityException {
    KeyAgreement agreement = KeyAgreement.getInstance("X25519");
    agreement.init(mine);
    agreement.doPhase(theirs, true);
    byte[] shared = agreement.generateSecret();
    byte[] salt = ByteBuffer.allocate(ephemeralPublic.length + recipientPublic.length)
        .put(ephemeralPublic).put(recipientPublic).array();
    return KDF.getInstance("HKDF-SHA256").deriveKey("AES",
        HKDFParameterSpec.ofExtract().addIKM(shared).addSalt(salt).thenExpand(INFO, 32));
  }
}
