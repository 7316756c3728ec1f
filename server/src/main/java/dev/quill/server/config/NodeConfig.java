package dev.quill.server.config;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A node's resolved configuration: the embedded defaults, overridden by the TOML file, overridden
 * by command-line flags. Every tunable is declared once, in {@link #defaults()}, with its unit.
 */
public record NodeConfig(
    String hostname, Path data, String bind, Smtp smtp, Submission submission, Pop3 pop3, Imap imap, Tls tls,
    Auth auth, Duration gracePeriod) {

  /** The public SMTP listener (port 25 role: mail from other servers to local users). */
  public record Smtp(
      int port, long maxMessageSize, int maxRecipients, int maxConnections, int maxConnectionsPerIp,
      Duration pregreetWait, Duration idleTimeout, Duration dataTimeout, int maxErrors) {}

  /** The submission listener (RFC 6409: authenticated users sending mail); implicitTlsPort 0 = off. */
  public record Submission(int port, int implicitTlsPort) {}

  /** The POP3 listener; implicitTlsPort 0 = off (RFC 8314 port 995 role). */
  public record Pop3(int port, int implicitTlsPort, Duration idleTimeout, int maxConnections, int maxConnectionsPerIp) {}

  /** The IMAP listener; implicitTlsPort 0 = off (RFC 8314 port 993 role). */
  public record Imap(int port, int implicitTlsPort, Duration idleTimeout, int maxConnections, int maxConnectionsPerIp,
      long maxLiteralSize) {}

  /** TLS: a PEM certificate chain and PKCS#8 key, or null for a self-signed pair kept in the data directory. */
  public record Tls(Path certificate, Path privateKey) {}

  /** Authentication policy: plaintext on loopback, failed-login penalties and the password hashing cost. */
  public record Auth(
      boolean allowPlaintextOnLoopback, Duration failureDelay, int maxFailuresPerIp, int maxFailuresPerUser,
      Duration failureWindow, Duration passwordHashTime) {}

  /** The embedded default configuration: a single node on loopback, safe limits. */
  public static NodeConfig defaults() {
    return new NodeConfig(
        "localhost",
        Path.of("quill-data"),
        "127.0.0.1",
        new Smtp(2525, 50L << 20, 100, 10_000, 100, Duration.ofMillis(50), Duration.ofMinutes(5), Duration.ofMinutes(3), 20),
        new Submission(2587, 0),
        new Pop3(2110, 0, Duration.ofMinutes(10), 10_000, 100),
        new Imap(2143, 0, Duration.ofMinutes(30), 10_000, 100, 50L << 20),
        new Tls(null, null),
        new Auth(true, Duration.ofSeconds(2), 10, 20, Duration.ofMinutes(15), Duration.ofMillis(50)),
        Duration.ofSeconds(10));
  }

  public NodeConfig withData(Path d) {
    return new NodeConfig(hostname, d, bind, smtp, submission, pop3, imap, tls, auth, gracePeriod);
  }

  public NodeConfig withBind(String b) {
    return new NodeConfig(hostname, data, b, smtp, submission, pop3, imap, tls, auth, gracePeriod);
  }

  public NodeConfig withHostname(String h) {
    return new NodeConfig(h, data, bind, smtp, submission, pop3, imap, tls, auth, gracePeriod);
  }

  public NodeConfig withSmtpPort(int p) {
    Smtp s = smtp;
    return new NodeConfig(hostname, data, bind, new Smtp(p, s.maxMessageSize(), s.maxRecipients(), s.maxConnections(),
        s.maxConnectionsPerIp(), s.pregreetWait(), s.idleTimeout(), s.dataTimeout(), s.maxErrors()),
        submission, pop3, imap, tls, auth, gracePeriod);
  }

  public NodeConfig withSubmissionPort(int p) {
    return new NodeConfig(hostname, data, bind, smtp, new Submission(p, submission.implicitTlsPort()), pop3, imap, tls, auth,
        gracePeriod);
  }

  public NodeConfig withPop3Port(int p) {
    Pop3 o = pop3;
    return new NodeConfig(hostname, data, bind, smtp, submission,
        new Pop3(p, o.implicitTlsPort(), o.idleTimeout(), o.maxConnections(), o.maxConnectionsPerIp()), imap, tls,
        auth, gracePeriod);
  }

  public NodeConfig withImapPort(int p) {
    Imap i = imap;
    return new NodeConfig(hostname, data, bind, smtp, submission, pop3,
        new Imap(p, i.implicitTlsPort(), i.idleTimeout(), i.maxConnections(), i.maxConnectionsPerIp(),
            i.maxLiteralSize()), tls, auth, gracePeriod);
  }
}
