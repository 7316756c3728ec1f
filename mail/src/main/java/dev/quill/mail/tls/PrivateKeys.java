package dev.quill.mail.tls;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.List;

/**
 * Turns a PEM private-key block into a {@link PrivateKey}. PKCS#8 is what the JDK reads; the
 * older OpenSSL formats (PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY") are still what many
 * tools and tutorials produce, so they are accepted by wrapping them into PKCS#8 here.
 *
 * <p>Failures are IllegalArgumentExceptions with an operator-readable reason; the caller adds the
 * file name.
 */
final class PrivateKeys {
  static final String OID_RSA = "1.2.840.113549.1.1.1";
  static final String OID_EC = "1.2.840.10045.2.1";

  /** The labels that hold a private key; anything else in a key file is ignored or reported. */
  static final List<String> KEY_LABELS =
      List.of("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY");

  private PrivateKeys() {}

  static PrivateKey fromBlock(Pem.Block block) {
    switch (block.label()) {
      case "PRIVATE KEY" -> {
        return fromPkcs8(block.der());
      }
      case "RSA PRIVATE KEY" -> {
        rejectEncryptedLegacy(block);
        return fromPkcs8(rsaPkcs1ToPkcs8(block.der()));
      }
      case "EC PRIVATE KEY" -> {
        rejectEncryptedLegacy(block);
        return fromPkcs8(ecSec1ToPkcs8(block.der()));
      }
      case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException(
          "the private key is encrypted with a passphrase, which Quill cannot prompt for; decrypt"
              + " it with: openssl pkey -in KEY.pem -out KEY-plain.pem (and keep the result"
              + " readable only by the server user, mode 0600)");
      default -> throw new IllegalArgumentException(
          "PEM block " + block.label() + " is not a private key");
    }
  }

  private static void rejectEncryptedLegacy(Pem.Block block) {
    if (block.headers().stream().anyMatch(h -> h.replace(" ", "").contains("ENCRYPTED"))) {
      throw new IllegalArgumentException(
          "the " + block.label() + " is encrypted with a passphrase, which Quill cannot prompt"
              + " for; convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY.pem -out"
              + " KEY-pkcs8.pem (and keep the result mode 0600)");
    }
  }

  /** Reads a PKCS#8 PrivateKeyInfo, choosing the KeyFactory from its algorithm OID. */
  static PrivateKey fromPkcs8(byte[] der) {
    String oid;
    try {
      List<Der.Element> info = sequence(der, "PKCS#8 PrivateKeyInfo").children();
      if (info.size() < 3 || info.get(1).tag() != Der.TAG_SEQUENCE) {
        throw new IllegalArgumentException("malformed PKCS#8 PrivateKeyInfo");
      }
      oid = Der.oidToString(info.get(1).children().getFirst());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a valid PKCS#8 private key (" + e.getMessage() + ")",
          e);
    }
    String algorithm = switch (oid) {
      case OID_RSA -> "RSA";
      case OID_EC -> "EC";
      default -> throw new IllegalArgumentException(
          "unsupported private key algorithm (OID " + oid + "); Quill supports RSA and EC keys");
    };
    try {
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "not a valid " + algorithm + " private key: " + e.getMessage(), e);
    }
  }

  /**
   * PKCS#1 RSAPrivateKey → PKCS#8: the PKCS#1 structure is exactly the privateKey OCTET STRING of
   * a PKCS#8 PrivateKeyInfo whose algorithm is rsaEncryption with NULL parameters (RFC 8017 A.1).
   */
  static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
    sequence(pkcs1, "PKCS#1 RSAPrivateKey");
    return Der.sequence(
        Der.integer(0),
        Der.sequence(Der.oid(OID_RSA), Der.nullValue()),
        Der.octetString(pkcs1));
  }

  /**
   * SEC1 ECPrivateKey → PKCS#8. The curve has to move into the PKCS#8 AlgorithmIdentifier, so it
   * is read from the SEC1 [0] parameters (OpenSSL always writes them); the SEC1 bytes themselves
   * are carried unchanged, which RFC 5915 §2 allows.
   */
  static byte[] ecSec1ToPkcs8(byte[] sec1) {
    String curveOid = null;
    try {
      for (Der.Element e : sequence(sec1, "SEC1 ECPrivateKey").children()) {
        if (e.tag() == 0xA0) {
          Der.Element params = e.children().getFirst();
          if (params.tag() != Der.TAG_OID) {
            throw new IllegalArgumentException(
                "the EC key uses explicit curve parameters; only named curves are supported");
          }
          curveOid = Der.oidToString(params);
        }
      }
    } catch (IllegalArgumentException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed SEC1 EC private key", e);
    }
    if (curveOid == null) {
      throw new IllegalArgumentException("the EC PRIVATE KEY does not name its curve; convert it"
          + " with: openssl pkcs8 -topk8 -nocrypt -in KEY.pem -out KEY-pkcs8.pem");
    }
    return Der.sequence(
        Der.integer(0),
        Der.sequence(Der.oid(OID_EC), Der.oid(curveOid)),
        Der.octetString(sec1));
  }

  private static Der.Element sequence(byte[] der, String what) {
    Der.Element e;
    try {
      e = Der.readSingle(der);
    } catch (IllegalArgumentException ex) {
      throw new IllegalArgumentException("malformed " + what + ": " + ex.getMessage(), ex);
    }
    if (e.tag() != Der.TAG_SEQUENCE) {
      throw new IllegalArgumentException("malformed " + what + ": not a SEQUENCE");
    }
    return e;
  }
}
