package dev.quill.mail.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsContextsTest {
  private static final String HOST = "mail.quill.test";
  private static final List<String> MODERN = List.of("TLSv1.3", "TLSv1.2");

  @TempDir Path dir;

  // ---------------------------------------------------------------- self-signed generation

  @Test
  void generatesAParsableSelfSignedCertificateWithTheExpectedContents() throws Exception {
    Instant before = Instant.now();
    TlsContexts.selfSigned(HOST, dir);

    List<X509Certificate> chain = TlsContexts.readCertificates(dir.resolve("tls-cert.pem"));
    assertThat(chain).hasSize(1);
    X509Certificate cert = chain.getFirst();
    assertThat(cert.getVersion()).isEqualTo(3);
    assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=" + HOST);
    assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
    assertThat(cert.getSigAlgOID()).isEqualTo("1.2.840.10045.4.3.2");
    assertThat(cert.getPublicKey().getAlgorithm()).isEqualTo("EC");
    cert.verify(cert.getPublicKey());
    // 16 random bytes, positive, none lost to a leading zero.
    assertThat(cert.getSerialNumber().signum()).isPositive();
    assertThat(cert.getSerialNumber().bitLength()).isEqualTo(127);
    assertThat(cert.getNotBefore().toInstant())
        .isBetween(before.minus(Duration.ofDays(1)).minusSeconds(2),
            before.minus(Duration.ofDays(1)).plusSeconds(60));
    assertThat(Duration.between(cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofDays(826));
    assertThat(cert.getBasicConstraints()).isEqualTo(-1); // not a CA
    assertThat(cert.getCriticalExtensionOIDs()).containsExactlyInAnyOrder("2.5.29.19", "2.5.29.15");
    assertThat(cert.getKeyUsage()).startsWith(true, false, false, false, false, false);
    assertThat(cert.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");

    List<String> sans = new ArrayList<>();
    for (List<?> san : cert.getSubjectAlternativeNames()) {
      sans.add(san.get(0) + ":" + san.get(1));
    }
    assertThat(sans)
        .containsExactly("2:" + HOST, "2:localhost", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1");

    PrivateKey key = TlsContexts.readPrivateKey(dir.resolve("tls-key.pem"));
    assertThat(Files.readString(dir.resolve("tls-key.pem")))
        .startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(key.getAlgorithm()).isEqualTo("EC");
    // Only the two files: temporary files were renamed or removed.
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("tls-cert.pem", "tls-key.pem");
    }
  }

  @Test
  void keyFileIsOwnerOnly() throws Exception {
    assumeThat(FileSystems.getDefault().supportedFileAttributeViews()).contains("posix");
    TlsContexts.selfSigned(HOST, dir.resolve("new/sub"));
    assertThat(PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("new/sub/tls-key.pem")))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(
        Files.getPosixFilePermissions(dir.resolve("new/sub/tls-cert.pem")))).isEqualTo("rw-r--r--");
  }

  @Test
  void secondCallReusesTheFiles() throws Exception {
    TlsContexts.selfSigned(HOST, dir);
    byte[] cert = Files.readAllBytes(dir.resolve("tls-cert.pem"));
    byte[] key = Files.readAllBytes(dir.resolve("tls-key.pem"));

    SSLContext again = TlsContexts.selfSigned(HOST, dir);

    assertThat(Files.readAllBytes(dir.resolve("tls-cert.pem"))).isEqualTo(cert);
    assertThat(Files.readAllBytes(dir.resolve("tls-key.pem"))).isEqualTo(key);
    // And the reloaded context really serves that certificate.
    SSLContext client = TlsContexts.clientTrusting(dir.resolve("tls-cert.pem"));
    Handshake h = handshake(again, client, HOST, s -> {});
    assertThat(h.serverCertificate())
        .isEqualTo(TlsContexts.readCertificates(dir.resolve("tls-cert.pem")).getFirst());
  }

  @Test
  void lonelyCertificateIsAnErrorAndLonelyKeyIsReplaced() throws Exception {
    TlsContexts.selfSigned(HOST, dir);
    Files.delete(dir.resolve("tls-key.pem"));
    assertThatThrownBy(() -> TlsContexts.selfSigned(HOST, dir))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining("tls-key.pem is missing");

    Files.delete(dir.resolve("tls-cert.pem"));
    Files.writeString(dir.resolve("tls-key.pem"), "left over");
    TlsContexts.selfSigned(HOST, dir);
    assertThat(TlsContexts.readPrivateKey(dir.resolve("tls-key.pem"))).isNotNull();
  }

  @Test
  void addressLiteralHostnameBecomesAnIpAddressName() throws Exception {
    TlsContexts.selfSigned("192.0.2.7", dir);
    X509Certificate cert = TlsContexts.readCertificates(dir.resolve("tls-cert.pem")).getFirst();
    assertThat(cert.getSubjectAlternativeNames())
        .extracting(san -> san.get(0) + ":" + san.get(1))
        .containsExactly("2:localhost", "7:192.0.2.7", "7:127.0.0.1", "7:0:0:0:0:0:0:0:1");
  }

  // ---------------------------------------------------------------- handshakes

  @Test
  void handshakeSucceedsWithHostnameVerification() throws Exception {
    SSLContext server = TlsContexts.selfSigned(HOST, dir);
    SSLContext client = TlsContexts.clientTrusting(dir.resolve("tls-cert.pem"));

    assertThat(handshake(server, client, HOST, s -> {}).protocol()).isEqualTo("TLSv1.3");
    assertThat(handshake(server, client, "localhost", s -> {}).protocol()).isEqualTo("TLSv1.3");
    assertThat(handshake(server, client, "127.0.0.1", s -> {}).protocol()).isEqualTo("TLSv1.3");
  }

  @Test
  void handshakeFailsForAnotherHostname() throws Exception {
    SSLContext server = TlsContexts.selfSigned(HOST, dir);
    SSLContext client = TlsContexts.clientTrusting(dir.resolve("tls-cert.pem"));

    assertThatThrownBy(() -> handshake(server, client, "other.quill.test", s -> {}))
        .isInstanceOf(SSLHandshakeException.class)
        .hasMessageContaining("other.quill.test");
  }

  @Test
  void handshakeFailsWhenTheClientTrustsAnotherCertificate() throws Exception {
    SSLContext server = TlsContexts.selfSigned(HOST, dir.resolve("a"));
    TlsContexts.selfSigned(HOST, dir.resolve("b"));
    SSLContext client = TlsContexts.clientTrusting(dir.resolve("b/tls-cert.pem"));

    assertThatThrownBy(() -> handshake(server, client, HOST, s -> {}))
        .isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void tls12StillWorks() throws Exception {
    SSLContext server = TlsContexts.selfSigned(HOST, dir);
    SSLContext client = TlsContexts.clientTrusting(dir.resolve("tls-cert.pem"));

    Handshake h = handshake(server, client, HOST,
        s -> s.setEnabledProtocols(new String[] {"TLSv1.2"}));
    assertThat(h.protocol()).isEqualTo("TLSv1.2");
  }

  @Test
  void onlyTls12And13AreEverEnabled() throws Exception {
    SSLContext server = TlsContexts.selfSigned(HOST, dir);

    assertThat(server.getProtocol()).isEqualTo("TLS");
    assertThat(server.getDefaultSSLParameters().getProtocols()).isSubsetOf(MODERN);
    assertThat(server.getSupportedSSLParameters().getProtocols()).isSubsetOf(MODERN);
    try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThat(ss.getEnabledProtocols()).isSubsetOf(MODERN).contains("TLSv1.3");
    }
    SSLEngine engine = server.createSSLEngine();
    engine.setUseClientMode(false);
    assertThat(engine.getEnabledProtocols()).isSubsetOf(MODERN).contains("TLSv1.3");
    // The STARTTLS path: a plain socket layered, then switched to server mode.
    try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory()
            .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Socket plain = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort());
        SSLSocket layered = (SSLSocket) server.getSocketFactory()
            .createSocket(plain, "client", plain.getPort(), true)) {
      layered.setUseClientMode(false);
      assertThat(layered.getEnabledProtocols()).isSubsetOf(MODERN).contains("TLSv1.3");
    }
    // A client that offers only TLS 1.1 gets no connection.
    SSLContext client = TlsContexts.clientTrusting(dir.resolve("tls-cert.pem"));
    assertThatThrownBy(() -> handshake(server, client, HOST,
        s -> s.setEnabledProtocols(new String[] {"TLSv1.1"})))
        .isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void contextCannotBeReinitialised() throws Exception {
    SSLContext server = TlsContexts.selfSigned(HOST, dir);
    assertThatThrownBy(() -> server.init(null, null, null))
        .hasMessageContaining("already initialised");
  }

  // ---------------------------------------------------------------- fromPem errors

  @Test
  void mismatchedKeyFailsClearly() {
    TlsContexts.selfSigned(HOST, dir.resolve("a"));
    TlsContexts.selfSigned(HOST, dir.resolve("b"));
    Path cert = dir.resolve("a/tls-cert.pem");
    Path key = dir.resolve("b/tls-key.pem");

    assertThatThrownBy(() -> TlsContexts.fromPem(cert, key))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining(cert.toString())
        .hasMessageContaining(key.toString())
        .hasMessageContaining("does not match");
  }

  @Test
  void keyForASecondCertificateInTheChainIsExplained() throws Exception {
    TlsContexts.selfSigned(HOST, dir.resolve("a"));
    TlsContexts.selfSigned(HOST, dir.resolve("b"));
    Path chain = dir.resolve("chain.pem");
    Files.writeString(chain, Files.readString(dir.resolve("b/tls-cert.pem"))
        + Files.readString(dir.resolve("a/tls-cert.pem")));

    assertThatThrownBy(() -> TlsContexts.fromPem(chain, dir.resolve("a/tls-key.pem")))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining("certificate #2")
        .hasMessageContaining("must come first");
  }

  @Test
  void chainWithIntermediatesLoadsInOrder() throws Exception {
    TlsContexts.selfSigned(HOST, dir.resolve("a"));
    TlsContexts.selfSigned(HOST, dir.resolve("b"));
    Path chain = dir.resolve("chain.pem");
    // Text around blocks (as openssl and CAs emit) is ignored.
    Files.writeString(chain, "subject=CN = " + HOST + "\n"
        + Files.readString(dir.resolve("a/tls-cert.pem")) + "\r\n# intermediate\r\n"
        + Files.readString(dir.resolve("b/tls-cert.pem")).replace("\n", "\r\n"));

    assertThat(TlsContexts.readCertificates(chain)).hasSize(2);
    assertThat(TlsContexts.fromPem(chain, dir.resolve("a/tls-key.pem"))).isNotNull();
  }

  @Test
  void garbageFailsClearly() throws Exception {
    TlsContexts.selfSigned(HOST, dir);
    Path key = dir.resolve("tls-key.pem");
    Path cert = dir.resolve("tls-cert.pem");
    Path garbage = dir.resolve("garbage.pem");

    Files.writeString(garbage, "this is not a certificate\n");
    assertThatThrownBy(() -> TlsContexts.fromPem(garbage, key))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining(garbage.toString())
        .hasMessageContaining("no PEM '-----BEGIN CERTIFICATE-----' block")
        .hasMessageContaining("not PEM at all");

    Files.writeString(garbage, pem("CERTIFICATE", "MIIB!!!!"));
    assertThatThrownBy(() -> TlsContexts.fromPem(garbage, key))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining(garbage.toString())
        .hasMessageContaining("base64");

    Files.writeString(garbage, pem("CERTIFICATE", "AAECAwQFBgc="));
    assertThatThrownBy(() -> TlsContexts.fromPem(garbage, key))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining(garbage.toString())
        .hasMessageContaining("certificate #1 is not a valid X.509 certificate");

    Files.writeString(garbage, "-----BEGIN CERTIFICATE-----\nAAEC\n-----END PRIVATE KEY-----\n");
    assertThatThrownBy(() -> TlsContexts.fromPem(garbage, key))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining("ends with END PRIVATE KEY");

    Files.writeString(garbage, Files.readString(cert).substring(0, 200));
    assertThatThrownBy(() -> TlsContexts.fromPem(garbage, key))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining(garbage.toString())
        .hasMessageContaining("truncated file?");

    Files.writeString(garbage, pem("PRIVATE KEY", "AAECAwQFBgc="));
    assertThatThrownBy(() -> TlsContexts.fromPem(cert, garbage))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining(garbage.toString())
        .hasMessageContaining("not a valid PKCS#8 private key");

    // Files swapped by mistake.
    assertThatThrownBy(() -> TlsContexts.fromPem(key, cert))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining("contains no PEM '-----BEGIN CERTIFICATE-----' block")
        .hasMessageContaining("(found: PRIVATE KEY)");

    assertThatThrownBy(() -> TlsContexts.fromPem(dir.resolve("missing.pem"), key))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining("missing.pem does not exist");
  }

  @Test
  void encryptedKeysGetConversionAdvice() throws Exception {
    TlsContexts.selfSigned(HOST, dir);
    Path cert = dir.resolve("tls-cert.pem");
    Path key = dir.resolve("enc.pem");

    Files.writeString(key, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAECAwQFBgc=\n"
        + "-----END ENCRYPTED PRIVATE KEY-----\n");
    assertThatThrownBy(() -> TlsContexts.fromPem(cert, key))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining(key.toString())
        .hasMessageContaining("passphrase")
        .hasMessageContaining("openssl pkey -in");

    Files.writeString(key, "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
        + "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\nAAECAwQFBgc=\n"
        + "-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(() -> TlsContexts.fromPem(cert, key))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining("passphrase")
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
  }

  // ---------------------------------------------------------------- legacy key formats

  @Test
  void pkcs1RsaKeyIsWrappedIntoPkcs8() throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(1024); // only the format matters here, and small keys generate fast
    PrivateKey original = generator.generateKeyPair().getPrivate();
    // A PKCS#8 RSA key's OCTET STRING is exactly the PKCS#1 RSAPrivateKey.
    byte[] pkcs1 = Der.readSingle(original.getEncoded()).children().get(2).value();

    PrivateKey key = PrivateKeys.fromBlock(new Pem.Block("RSA PRIVATE KEY", List.of(), pkcs1));

    assertThat(key.getAlgorithm()).isEqualTo("RSA");
    assertThat(key.getEncoded()).isEqualTo(original.getEncoded());
  }

  @Test
  void sec1EcKeyIsWrappedIntoPkcs8AndLoads() throws Exception {
    TlsContexts.selfSigned(HOST, dir);
    ECPrivateKey original = (ECPrivateKey) TlsContexts.readPrivateKey(dir.resolve("tls-key.pem"));
    // SEC1 as OpenSSL writes it: version 1, the scalar, [0] the named curve (P-256).
    byte[] scalar = Der.readSingle(Der.readSingle(original.getEncoded()).children().get(2).value())
        .children().get(1).value();
    byte[] sec1 = Der.sequence(Der.integer(1), Der.octetString(scalar),
        Der.explicit(0, Der.oid("1.2.840.10045.3.1.7")));
    Path legacy = dir.resolve("legacy-key.pem");
    Files.writeString(legacy, Pem.encode("EC PRIVATE KEY", sec1));

    SSLContext server = TlsContexts.fromPem(dir.resolve("tls-cert.pem"), legacy);

    assertThat(((ECPrivateKey) TlsContexts.readPrivateKey(legacy)).getS())
        .isEqualTo(original.getS());
    SSLContext client = TlsContexts.clientTrusting(dir.resolve("tls-cert.pem"));
    assertThat(handshake(server, client, HOST, s -> {}).protocol()).isEqualTo("TLSv1.3");

    byte[] noCurve = Der.sequence(Der.integer(1), Der.octetString(scalar));
    Files.writeString(legacy, Pem.encode("EC PRIVATE KEY", noCurve));
    assertThatThrownBy(() -> TlsContexts.fromPem(dir.resolve("tls-cert.pem"), legacy))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining("does not name its curve")
        .hasMessageContaining("openssl pkcs8 -topk8 -nocrypt");
  }

  @Test
  void unsupportedKeyAlgorithmIsNamed() throws Exception {
    KeyPair ed = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
    assertThatThrownBy(() -> PrivateKeys.fromPkcs8(ed.getPrivate().getEncoded()))
        .hasMessageContaining("OID 1.3.101.112")
        .hasMessageContaining("RSA and EC");
  }

  @Test
  void twoKeysInOneFileAreRejected() throws Exception {
    TlsContexts.selfSigned(HOST, dir);
    Path key = dir.resolve("tls-key.pem");
    Path doubled = dir.resolve("two.pem");
    Files.writeString(doubled, Files.readString(key) + Files.readString(key));
    assertThatThrownBy(() -> TlsContexts.fromPem(dir.resolve("tls-cert.pem"), doubled))
        .isInstanceOf(TlsConfigException.class)
        .hasMessageContaining("contains 2 private keys");
  }

  // ---------------------------------------------------------------- cross-checks with openssl

  @Test
  void opensslAgreesWithOurCertificate() throws Exception {
    assumeThat(opensslAvailable()).as("openssl on PATH").isTrue();
    TlsContexts.selfSigned(HOST, dir);

    String text = run("openssl", "x509", "-in", dir.resolve("tls-cert.pem").toString(),
        "-noout", "-text");
    assertThat(text)
        .contains("Version: 3 (0x2)", "ecdsa-with-SHA256", "Subject: CN = " + HOST,
            "DNS:" + HOST, "DNS:localhost", "IP Address:127.0.0.1", "IP Address:0:0:0:0:0:0:0:1",
            "CA:FALSE", "Digital Signature", "TLS Web Server Authentication",
            "prime256v1");
    run("openssl", "pkey", "-in", dir.resolve("tls-key.pem").toString(), "-noout", "-check");
  }

  @Test
  void opensslLegacyKeysLoad() throws Exception {
    assumeThat(opensslAvailable()).as("openssl on PATH").isTrue();
    for (String kind : List.of("rsa", "ec")) {
      Path key = dir.resolve(kind + "-key.pem");
      Path cert = dir.resolve(kind + "-cert.pem");
      if (kind.equals("rsa")) {
        run("openssl", "genrsa", "-traditional", "-out", key.toString(), "2048");
        assertThat(Files.readString(key)).startsWith("-----BEGIN RSA PRIVATE KEY-----");
      } else {
        // ecparam writes an "EC PARAMETERS" block before the key, which must be skipped.
        run("openssl", "ecparam", "-name", "prime256v1", "-genkey", "-out", key.toString());
        assertThat(Files.readString(key)).contains("-----BEGIN EC PRIVATE KEY-----");
      }
      run("openssl", "req", "-x509", "-new", "-key", key.toString(), "-out", cert.toString(),
          "-days", "2", "-subj", "/CN=" + HOST, "-addext", "subjectAltName=DNS:" + HOST);

      SSLContext server = TlsContexts.fromPem(cert, key);
      SSLContext client = TlsContexts.clientTrusting(cert);
      assertThat(handshake(server, client, HOST, s -> {}).protocol()).isEqualTo("TLSv1.3");
    }
  }

  // ---------------------------------------------------------------- helpers

  record Handshake(String protocol, X509Certificate serverCertificate) {}

  /**
   * Connects over loopback, with the client checking {@code host} against the certificate as
   * HTTPS does; the host is only used for verification (and SNI), not resolved.
   */
  private static Handshake handshake(SSLContext server, SSLContext client, String host,
      Consumer<SSLSocket> clientSetup) throws Exception {
    try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory()
        .createServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture<String> served = new CompletableFuture<>();
      Thread.ofVirtual().start(() -> {
        try (SSLSocket s = (SSLSocket) listener.accept()) {
          s.setSoTimeout(10_000);
          String line = new BufferedReader(
              new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
          OutputStream out = s.getOutputStream();
          out.write(("echo " + line + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.flush();
          served.complete(line);
        } catch (IOException e) {
          served.completeExceptionally(e);
        }
      });
      try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
          SSLSocket socket = (SSLSocket) client.getSocketFactory()
              .createSocket(plain, host, listener.getLocalPort(), true)) {
        socket.setSoTimeout(10_000);
        SSLParameters parameters = socket.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        socket.setSSLParameters(parameters);
        clientSetup.accept(socket);
        socket.startHandshake();
        socket.getOutputStream().write("ping\r\n".getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        String reply = new BufferedReader(
            new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
        assertThat(reply).isEqualTo("echo ping");
        assertThat(served.get(10, TimeUnit.SECONDS)).isEqualTo("ping");
        Certificate[] peer = socket.getSession().getPeerCertificates();
        return new Handshake(socket.getSession().getProtocol(), (X509Certificate) peer[0]);
      }
    }
  }

  private static String pem(String label, String body) {
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }

  private static boolean opensslAvailable() {
    try {
      run("openssl", "version");
      return true;
    } catch (Exception e) {
      return false;
    }
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IOException(Arrays.toString(command) + " failed: " + output);
    }
    return output;
  }
}
