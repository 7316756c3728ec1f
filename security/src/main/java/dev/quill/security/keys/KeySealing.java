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
  /** A different label for the authenticated form, so that neither form's sealed key opens as the other. */
  private static final byte[] GRANT_INFO = "quill traffic key grant v1".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  private KeySealing() {}

  /** {@code raw} (key {@code id}) sealed for the holder of {@code recipient}'s private key. */
  public static byte[] seal(int id, byte[] raw, PublicKey recipient) throws GeneralSecurityException {
    KeyPair ephemeral = KeyPairGenerator.getInstance("X25519").generateKeyPair();
    byte[] ephemeralPublic = ephemeral.getPublic().getEncoded();
    return wrap(id, raw, ephemeralPublic, derive(ephemeral.getPrivate(), recipient, ephemeralPublic, recipient.getEncoded()));
  }

  /**
   * The key sealed in {@code sealed} for {@code self}.
   *
   * @throws GeneralSecurityException if it was not sealed for this key pair, or was changed
   */
  public static byte[] open(int id, byte[] sealed, PrivateKey self, PublicKey selfPublic) throws GeneralSecurityException {
    return unwrap(id, sealed, (ephemeral, ephemeralPublic) -> derive(self, ephemeral, ephemeralPublic, selfPublic.getEncoded()));
  }

  /**
   * {@code raw} (key {@code id}) sealed for {@code recipient} and authenticated as coming from the holder of
   * {@code sender}'s private key: the wrapping key mixes the ephemeral exchange with one between the two
   * nodes' own X25519 keys, so only the recipient opens it and only that sender could have made it.
   */
  public static byte[] sealFrom(int id, byte[] raw, PublicKey recipient, PrivateKey sender, PublicKey senderPublic)
      throws GeneralSecurityException {
    KeyPair ephemeral = KeyPairGenerator.getInstance("X25519").generateKeyPair();
    byte[] ephemeralPublic = ephemeral.getPublic().getEncoded();
    return wrap(id, raw, ephemeralPublic, deriveFrom(agree(ephemeral.getPrivate(), recipient), agree(sender, recipient),
        ephemeralPublic, recipient.getEncoded(), senderPublic.getEncoded()));
  }

  /**
   * The key sealed in {@code sealed} by {@link #sealFrom} for {@code self} by the holder of {@code sender}'s key.
   *
   * @throws GeneralSecurityException if it was not sealed for this key pair by that sender, or was changed
   */
  public static byte[] openFrom(int id, byte[] sealed, PrivateKey self, PublicKey selfPublic, PublicKey sender)
      throws GeneralSecurityException {
    return unwrap(id, sealed, (ephemeral, ephemeralPublic) -> deriveFrom(agree(self, ephemeral), agree(self, sender),
        ephemeralPublic, selfPublic.getEncoded(), sender.getEncoded()));
  }

  /** How a receiver derives the wrapping key from the sender's ephemeral key. */
  private interface Unwrapping {
    SecretKey key(PublicKey ephemeral, byte[] ephemeralPublic) throws GeneralSecurityException;
  }

  /** Sealed form: ephemeral public key length (2) and bytes, nonce (12), ciphertext and tag; the key id is the AAD. */
  private static byte[] wrap(int id, byte[] raw, byte[] ephemeralPublic, SecretKey wrap) throws GeneralSecurityException {
    byte[] nonce = new byte[12];
    RANDOM.nextBytes(nonce);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.ENCRYPT_MODE, wrap, new GCMParameterSpec(128, nonce));
    cipher.updateAAD(ByteBuffer.allocate(4).putInt(id).array());
    byte[] sealed = cipher.doFinal(raw);
    return ByteBuffer.allocate(2 + ephemeralPublic.length + 12 + sealed.length)
        .putShort((short) ephemeralPublic.length).put(ephemeralPublic).put(nonce).put(sealed).array();
  }

  private static byte[] unwrap(int id, byte[] sealed, Unwrapping unwrapping) throws GeneralSecurityException {
    try {
      ByteBuffer in = ByteBuffer.wrap(sealed);
      byte[] ephemeralPublic = new byte[Short.toUnsignedInt(in.getShort())];
      in.get(ephemeralPublic);
      byte[] nonce = new byte[12];
      in.get(nonce);
      byte[] body = new byte[in.remaining()];
      in.get(body);
      PublicKey ephemeral = KeyFactory.getInstance("X25519").generatePublic(new X509EncodedKeySpec(ephemeralPublic));
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, unwrapping.key(ephemeral, ephemeralPublic), new GCMParameterSpec(128, nonce));
      cipher.updateAAD(ByteBuffer.allocate(4).putInt(id).array());
      return cipher.doFinal(body);
    } catch (RuntimeException e) {
      throw new GeneralSecurityException("sealed key does not parse: " + e, e);
    }
  }

  private static byte[] agree(PrivateKey mine, PublicKey theirs) throws GeneralSecurityException {
    KeyAgreement agreement = KeyAgreement.getInstance("X25519");
    agreement.init(mine);
    agreement.doPhase(theirs, true);
    return agreement.generateSecret();
  }

  private static SecretKey deriveFrom(byte[] ephemeralShared, byte[] staticShared, byte[] ephemeralPublic,
      byte[] recipientPublic, byte[] senderPublic) throws GeneralSecurityException {
    byte[] salt = ByteBuffer.allocate(ephemeralPublic.length + recipientPublic.length + senderPublic.length)
        .put(ephemeralPublic).put(recipientPublic).put(senderPublic).array();
    return KDF.getInstance("HKDF-SHA256").deriveKey("AES", HKDFParameterSpec.ofExtract().addIKM(ephemeralShared)
        .addIKM(staticShared).addSalt(salt).thenExpand(GRANT_INFO, 32));
  }

  private static SecretKey derive(PrivateKey mine, PublicKey theirs, byte[] ephemeralPublic, byte[] recipientPublic)
      throws GeneralSecurityException {
    byte[] shared = agree(mine, theirs);
    byte[] salt = ByteBuffer.allocate(ephemeralPublic.length + recipientPublic.length)
        .put(ephemeralPublic).put(recipientPublic).array();
    return KDF.getInstance("HKDF-SHA256").deriveKey("AES",
        HKDFParameterSpec.ofExtract().addIKM(shared).addSalt(salt).thenExpand(INFO, 32));
  }
}
