package dev.quill.mail.tls;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.net.IDN;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Builds a self-signed X.509 v3 server certificate for an EC P-256 key by writing the DER by
 * hand, so a fresh install can offer TLS without any external tool or crypto library.
 */
final class SelfSignedCertificate {
  static final String OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
  static final String OID_COMMON_NAME = "2.5.4.3";
  static final String OID_SUBJECT_ALT_NAME = "2.5.29.17";
  static final String OID_KEY_USAGE = "2.5.29.15";
  static final String OID_BASIC_CONSTRAINTS = "2.5.29.19";
  static final String OID_EXTENDED_KEY_USAGE = "2.5.29.37";
  static final String OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

  /**
   * 825 days: the longest lifetime major TLS clients have accepted for server certificates, so a
   * client that is told to trust this one does not reject it for its lifetime alone.
   */
  static final Duration LIFETIME = Duration.ofDays(825);
  /** Backdated a day so clients with a slightly wrong clock still accept a fresh certificate. */
  static final Duration BACKDATE = Duration.ofDays(1);

  /** A generated key pair and its certificate. */
  record Generated(KeyPair keyPair, X509Certificate certificate) {}

  private SelfSignedCertificate() {}

  static Generated generate(String hostname, Instant now, SecureRandom random) {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      KeyPair keyPair = generator.generateKeyPair();
      byte[] der = certificateDer(hostname, keyPair, now, random);
      X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
          .generateCertificate(new ByteArrayInputStream(der));
      // Parsing proves the DER is well formed; verifying proves the signature covers it.
      certificate.verify(keyPair.getPublic());
      return new Generated(keyPair, certificate);
    } catch (GeneralSecurityException e) {
      throw new TlsConfigException("could not create a self-signed certificate for "
          + hostname + ": " + e.getMessage(), e);
    }
  }

  static byte[] certificateDer(String hostname, KeyPair keyPair, Instant now, SecureRandom random)
      throws GeneralSecurityException {
    byte[] serial = new byte[16];
    random.nextBytes(serial);
    // Positive and exactly 16 bytes: clear the sign bit, set the next so no byte is dropped.
    serial[0] = (byte) ((serial[0] & 0x7F) | 0x40);
    byte[] signatureAlgorithm = Der.sequence(Der.oid(OID_ECDSA_WITH_SHA256));
    byte[] name = Der.sequence(Der.set(Der.sequence(
        Der.oid(OID_COMMON_NAME), Der.utf8String(hostname))));
    byte[] tbs = Der.sequence(
        Der.explicit(0, Der.integer(2)), // v3
        Der.integer(new BigInteger(1, serial)),
        signatureAlgorithm,
        name,
        Der.sequence(Der.time(now.minus(BACKDATE)), Der.time(now.plus(LIFETIME))),
        name,
        keyPair.getPublic().getEncoded(), // already a SubjectPublicKeyInfo
        Der.explicit(3, Der.sequence(
            extension(OID_SUBJECT_ALT_NAME, false, subjectAltNames(hostname)),
            // CA:false is the DEFAULT, and DER omits defaults: an empty SEQUENCE.
            extension(OID_BASIC_CONSTRAINTS, true, Der.sequence()),
            // Named bit list {digitalSignature(0)}: one bit used, seven padding bits.
            extension(OID_KEY_USAGE, true, Der.bitString(new byte[] {(byte) 0x80}, 7)),
            extension(OID_EXTENDED_KEY_USAGE, false, Der.sequence(Der.oid(OID_SERVER_AUTH))))));
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(keyPair.getPrivate(), random);
    signer.update(tbs);
    byte[] signature = signer.sign(); // the JDK already emits the DER Ecdsa-Sig-Value
    return Der.sequence(tbs, signatureAlgorithm, Der.bitString(signature));
  }

  private static byte[] extension(String oid, boolean critical, byte[] value) {
    return critical
        ? Der.sequence(Der.oid(oid), Der.bool(true), Der.octetString(value))
        : Der.sequence(Der.oid(oid), Der.octetString(value));
  }

  /**
   * The hostname (as dNSName, or as iPAddress if it is an address literal), plus localhost,
   * 127.0.0.1 and ::1 so that local clients and tests can verify the certificate too.
   */
  static byte[] subjectAltNames(String hostname) {
    List<byte[]> names = new ArrayList<>();
    List<String> dnsNames = new ArrayList<>();
    List<byte[]> addresses = new ArrayList<>();
    byte[] literal = addressLiteral(hostname);
    if (literal != null) {
      addresses.add(literal);
    } else {
      try {
        // dNSName is an IA5String, so internationalised names go in their A-label form.
        dnsNames.add(IDN.toASCII(hostname, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new TlsConfigException("invalid TLS hostname '" + hostname + "': " + e.getMessage(),
            e);
      }
    }
    if (!dnsNames.contains("localhost")) {
      dnsNames.add("localhost");
    }
    for (byte[] loopback : List.of(new byte[] {127, 0, 0, 1}, ipv6Loopback())) {
      if (addresses.stream().noneMatch(a -> Arrays.equals(a, loopback))) {
        addresses.add(loopback);
      }
    }
    for (String dns : dnsNames) {
      names.add(Der.implicitPrimitive(2, dns.getBytes(StandardCharsets.US_ASCII)));
    }
    for (byte[] address : addresses) {
      names.add(Der.implicitPrimitive(7, address));
    }
    return Der.sequence(names.toArray(byte[][]::new));
  }

  private static byte[] ipv6Loopback() {
    byte[] a = new byte[16];
    a[15] = 1;
    return a;
  }

  /** The address bytes if {@code host} is an IPv4/IPv6 literal; null for a name (no look-up). */
  static byte[] addressLiteral(String host) {
    String h = host.startsWith("[") && host.endsWith("]")
        ? host.substring(1, host.length() - 1) : host;
    boolean looksLikeAddress = h.contains(":") || h.matches("[0-9.]+");
    if (!looksLikeAddress) {
      return null;
    }
    try {
      // Only literals reach here, and InetAddress does not resolve literals.
      return InetAddress.getByName(h).getAddress();
    } catch (UnknownHostException e) {
      throw new TlsConfigException("invalid address literal as TLS hostname: " + host, e);
    }
  }
}
