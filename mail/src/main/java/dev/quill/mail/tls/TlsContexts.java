package dev.quill.mail.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the {@link SSLContext}s Quill's listeners use (and test clients that must trust them),
 * from PEM files or a generated self-signed certificate, with nothing but the JDK.
 *
 * <p>Every context returned enables only TLS 1.3 and TLS 1.2 on the sockets and engines it
 * creates, even if the JVM-wide {@code jdk.tls.disabledAlgorithms} has been loosened. Problems
 * with the files are reported as {@link TlsConfigException}s naming the file.
 */
public final class TlsContexts {
  /** The certificate file that {@link #selfSigned(String, Path)} reads or writes. */
  public static final String SELF_SIGNED_CERT_FILE = "tls-cert.pem";

  /** The private key file (PKCS#8, mode 0600) that {@link #selfSigned(String, Path)} uses. */
  public static final String SELF_SIGNED_KEY_FILE = "tls-key.pem";

  private static final Logger log = LoggerFactory.getLogger(TlsContexts.class);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private TlsContexts() {}

  /**
   * A server context for the certificate chain and private key in two PEM files.
   *
   * @param certificateChainPem one or more {@code CERTIFICATE} blocks, the server's own first and
   *     then its intermediates (the root is not needed)
   * @param privateKeyPem the server certificate's private key: PKCS#8 {@code PRIVATE KEY} (RSA or
   *     EC), or the OpenSSL legacy {@code RSA PRIVATE KEY} / {@code EC PRIVATE KEY}, unencrypted
   * @throws TlsConfigException if a file is missing, unreadable, malformed, or the key does not
   *     belong to the first certificate
   */
  public static SSLContext fromPem(Path certificateChainPem, Path privateKeyPem) {
    List<X509Certificate> chain = readCertificates(certificateChainPem);
    PrivateKey key = readPrivateKey(privateKeyPem);
    checkKeyMatches(chain, certificateChainPem, key, privateKeyPem);
    warnAboutValidity(chain.getFirst(), certificateChainPem);
    warnIfKeyIsExposed(privateKeyPem);
    return serverContext(key, chain);
  }

  /**
   * A server context for a self-signed certificate kept in {@code dir}: {@value
   * #SELF_SIGNED_CERT_FILE} and {@value #SELF_SIGNED_KEY_FILE} are loaded if present, otherwise
   * an EC P-256 key and a certificate for {@code hostname} (valid 825 days, subject alternative
   * names {@code hostname}, localhost, 127.0.0.1 and ::1) are generated and written there first.
   *
   * <p>Meant for first start-up and development; clients will not trust it unless told to (see
   * {@link #clientTrusting(Path)}).
   *
   * @throws TlsConfigException if the files cannot be read or written, or only the certificate
   *     exists (the key cannot be recreated for it)
   */
  public static SSLContext selfSigned(String hostname, Path dir) {
    if (hostname == null || hostname.isBlank()) {
      throw new TlsConfigException("a hostname is needed for the self-signed certificate");
    }
    Path certFile = dir.resolve(SELF_SIGNED_CERT_FILE);
    Path keyFile = dir.resolve(SELF_SIGNED_KEY_FILE);
    // The key is written first and the certificate last, so the certificate's presence marks a
    // completed generation; a lone key is the remnant of an interrupted one.
    if (Files.exists(certFile)) {
      if (!Files.exists(keyFile)) {
        throw new TlsConfigException(keyFile + " is missing but " + certFile + " exists; restore"
            + " the key, or delete the certificate to have a new pair generated");
      }
      SSLContext context = fromPem(certFile, keyFile);
      warnIfNotFor(hostname, readCertificates(certFile).getFirst(), certFile);
      return context;
    }
    if (Files.exists(keyFile)) {
      log.warn("{} exists without {}; generating a new key and certificate", keyFile, certFile);
    }
    SelfSignedCertificate.Generated generated =
        SelfSignedCertificate.generate(hostname, Instant.now(), RANDOM);
    try {
      Files.createDirectories(dir);
      writeAtomically(keyFile, Pem.encode("PRIVATE KEY",
          generated.keyPair().getPrivate().getEncoded()), true);
      writeAtomically(certFile, Pem.encode("CERTIFICATE",
          generated.certificate().getEncoded()), false);
    } catch (IOException | GeneralSecurityException e) {
      throw new TlsConfigException("could not write the self-signed certificate to " + dir
          + ": " + e.getMessage(), e);
    }
    log.info("Generated a self-signed TLS certificate for {} in {}; clients will not trust it"
        + " unless configured to", hostname, certFile);
    return serverContext(generated.keyPair().getPrivate(), List.of(generated.certificate()));
  }

  /**
   * A client context that trusts exactly the certificates in {@code certificatePem} (typically
   * one self-signed server certificate) and nothing else, not even the JDK's CA bundle. For tests
   * and tools that talk to a Quill server; combine with endpoint identification
   * ({@code SSLParameters.setEndpointIdentificationAlgorithm("HTTPS")}) to check the hostname.
   *
   * @throws TlsConfigException if the file is missing or holds no valid certificate
   */
  public static SSLContext clientTrusting(Path certificatePem) {
    List<X509Certificate> certificates = readCertificates(certificatePem);
    try {
      KeyStore trusted = KeyStore.getInstance("PKCS12");
      trusted.load(null, null);
      for (int i = 0; i < certificates.size(); i++) {
        trusted.setCertificateEntry("trusted-" + i, certificates.get(i));
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(trusted);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), RANDOM);
      return new ModernProtocolsContext(context);
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsConfigException("could not build a client TLS context trusting "
          + certificatePem + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- internals

  private static SSLContext serverContext(PrivateKey key, List<X509Certificate> chain) {
    try {
      // The KeyStore only lives in memory, so its password protects nothing; a random one just
      // avoids a constant that looks like a secret.
      char[] password = randomPassword();
      KeyStore keyStore = KeyStore.getInstance("PKCS12");
      keyStore.load(null, null);
      keyStore.setKeyEntry("server", key, password, chain.toArray(X509Certificate[]::new));
      // PKIX (not the legacy SunX509) checks key usage and picks by the peer's signature schemes.
      KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
      kmf.init(keyStore, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), null, RANDOM);
      return new ModernProtocolsContext(context);
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsConfigException("could not build the server TLS context: " + e.getMessage(), e);
    }
  }

  private static char[] randomPassword() {
    char[] password = new char[32];
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (int i = 0; i < password.length; i++) {
      password[i] = alphabet.charAt(RANDOM.nextInt(alphabet.length()));
    }
    return password;
  }

  private static String readText(Path file, String what) {
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      throw new TlsConfigException(what + " file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new TlsConfigException("cannot read " + what + " file " + file + ": " + e, e);
    }
  }

  private static List<Pem.Block> readBlocks(Path file, String what) {
    String text = readText(file, what);
    try {
      return Pem.parse(text);
    } catch (IllegalArgumentException e) {
      throw new TlsConfigException(what + " file " + file + ": " + e.getMessage(), e);
    }
  }

  /** The CERTIFICATE blocks of {@code file}, in order. */
  static List<X509Certificate> readCertificates(Path file) {
    List<Pem.Block> blocks = readBlocks(file, "certificate");
    List<X509Certificate> certificates = new ArrayList<>();
    CertificateFactory factory;
    try {
      factory = CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("the JDK has no X.509 support", e);
    }
    for (Pem.Block block : blocks) {
      if (!block.label().equals("CERTIFICATE")) {
        continue; // e.g. a combined cert+key file; the key is read from its own path
      }
      try {
        certificates.add((X509Certificate) factory.generateCertificate(
            new ByteArrayInputStream(block.der())));
      } catch (CertificateException e) {
        throw new TlsConfigException("certificate file " + file + ": certificate #"
            + (certificates.size() + 1) + " is not a valid X.509 certificate: " + e.getMessage(),
            e);
      }
    }
    if (certificates.isEmpty()) {
      throw new TlsConfigException("certificate file " + file + " contains no PEM"
          + " '-----BEGIN CERTIFICATE-----' block" + foundLabels(blocks));
    }
    return certificates;
  }

  static PrivateKey readPrivateKey(Path file) {
    List<Pem.Block> blocks = readBlocks(file, "private key");
    List<Pem.Block> keys = blocks.stream()
        .filter(b -> PrivateKeys.KEY_LABELS.contains(b.label()))
        .toList();
    if (keys.isEmpty()) {
      throw new TlsConfigException("private key file " + file + " contains no PEM private key"
          + " ('-----BEGIN PRIVATE KEY-----')" + foundLabels(blocks));
    }
    if (keys.size() > 1) {
      throw new TlsConfigException("private key file " + file + " contains " + keys.size()
          + " private keys; keep only the server certificate's key");
    }
    try {
      return PrivateKeys.fromBlock(keys.getFirst());
    } catch (IllegalArgumentException e) {
      throw new TlsConfigException("private key file " + file + ": " + e.getMessage(), e);
    }
  }

  private static String foundLabels(List<Pem.Block> blocks) {
    if (blocks.isEmpty()) {
      return " (the file is not PEM at all; DER/PKCS#12 files must be converted to PEM)";
    }
    return " (found: " + String.join(", ", blocks.stream().map(Pem.Block::label).toList()) + ")";
  }

  /**
   * Proves the key belongs to the first certificate by signing a random challenge and verifying
   * it with the certificate's public key: unlike comparing key fields, this works the same for
   * every key type and also catches a corrupt key.
   */
  private static void checkKeyMatches(List<X509Certificate> chain, Path certFile, PrivateKey key,
      Path keyFile) {
    if (matches(key, chain.getFirst().getPublicKey())) {
      return;
    }
    for (int i = 1; i < chain.size(); i++) {
      if (matches(key, chain.get(i).getPublicKey())) {
        throw new TlsConfigException("private key " + keyFile + " belongs to certificate #"
            + (i + 1) + " in " + certFile + ", but the server's own certificate must come first"
            + " in the chain file");
      }
    }
    throw new TlsConfigException("private key " + keyFile + " (" + describe(key) + ") does not"
        + " match the certificate in " + certFile + " ("
        + chain.getFirst().getSubjectX500Principal() + ", "
        + describe(chain.getFirst().getPublicKey()) + ")");
  }

  private static boolean matches(PrivateKey key, PublicKey publicKey) {
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      return false;
    }
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> null;
    };
    if (algorithm == null) {
      return false;
    }
    try {
      byte[] challenge = new byte[32];
      RANDOM.nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false; // e.g. keys on different EC curves
    }
  }

  private static String describe(Key key) {
    if (key instanceof RSAKey rsa) {
      return "RSA " + rsa.getModulus().bitLength() + "-bit";
    }
    if (key instanceof ECKey ec) {
      return "EC " + ec.getParams().getCurve().getField().getFieldSize() + "-bit";
    }
    return key.getAlgorithm();
  }

  /** An expired certificate still loads (the operator may be mid-renewal) but gets a warning. */
  private static void warnAboutValidity(X509Certificate certificate, Path file) {
    try {
      certificate.checkValidity();
    } catch (CertificateExpiredException e) {
      log.warn("TLS certificate {} expired on {}; clients will refuse it", file,
          certificate.getNotAfter().toInstant());
    } catch (CertificateNotYetValidException e) {
      log.warn("TLS certificate {} is not valid before {}; clients will refuse it", file,
          certificate.getNotBefore().toInstant());
    }
  }

  private static void warnIfNotFor(String hostname, X509Certificate certificate, Path file) {
    String wanted = hostname.toLowerCase(Locale.ROOT);
    try {
      Collection<List<?>> names = certificate.getSubjectAlternativeNames();
      if (names != null && names.stream().anyMatch(n -> wanted.equals(
          String.valueOf(n.get(1)).toLowerCase(Locale.ROOT)))) {
        return;
      }
    } catch (CertificateParsingException e) {
      // fall through to the warning
    }
    log.warn("Self-signed TLS certificate {} was not made for {}; delete it and {} to have a new"
        + " one generated", file, hostname, SELF_SIGNED_KEY_FILE);
  }

  private static void warnIfKeyIsExposed(Path keyFile) {
    try {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(keyFile);
      if (!OWNER_ONLY.containsAll(permissions)) {
        log.warn("TLS private key {} is readable by other users ({}); chmod 600 it", keyFile,
            PosixFilePermissions.toString(permissions));
      }
    } catch (UnsupportedOperationException | IOException e) {
      // Not a POSIX file system: nothing meaningful to check.
    }
  }

  /**
   * Writes via a temporary file in the same directory and a rename, so a crash never leaves a
   * half-written PEM. A secret file is created 0600 from the start rather than chmod-ed later,
   * so it is never readable by others even for a moment.
   */
  private static void writeAtomically(Path target, String content, boolean secret)
      throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView("posix");
    FileAttribute<?>[] attributes = secret && posix
        ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
        : new FileAttribute<?>[0];
    Path temp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp", attributes);
    try {
      // Forced to disk before the rename, or a power cut could leave an empty file in place.
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer bytes = ByteBuffer.wrap(content.getBytes(StandardCharsets.US_ASCII));
        while (bytes.hasRemaining()) {
          channel.write(bytes);
        }
        channel.force(true);
      }
      if (!secret && posix) {
        // createTempFile makes files 0600; the certificate is public and may be shared.
        Files.setPosixFilePermissions(temp, PosixFilePermissions.fromString("rw-r--r--"));
      }
      try {
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
