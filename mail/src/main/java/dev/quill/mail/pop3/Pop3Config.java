package dev.quill.mail.pop3;

import java.time.Duration;

/**
 * Tunables of the POP3 service, each with its default in {@link #defaults(String)}.
 *
 * @param hostname this node's name, shown in the greeting (no default: the node's configured name)
 * @param idleTimeout how long a session may wait for the client's next command before it is
 *     closed without entering UPDATE, so nothing is deleted (default 10 minutes, the least RFC
 *     1939 section 3 allows; shorter values are for tests only). Must be positive.
 * @param commandLineLimit the longest command line accepted, in octets without CRLF; longer
 *     lines are skipped to their end and answered "-ERR line too long" (default 512: RFC 2449
 *     section 4 allows clients 255, the rest is slack). At least 255.
 * @param maxErrors protocol errors (unknown or malformed commands, commands in the wrong state,
 *     overlong lines) one session may make; the one that reaches it is answered "-ERR too many
 *     errors" and the connection is closed (default 20). At least 1.
 * @param maxAuthFailures failed logins one session may make; the one that reaches it closes the
 *     connection (default 3, as Dovecot). At least 1. The per-address and per-user limits across
 *     sessions are {@link dev.quill.mail.auth.LoginThrottle}'s.
 * @param allowPlaintextAuthOnLoopback whether USER/PASS and AUTH PLAIN are allowed without TLS
 *     when the client connects from a loopback address (default true); from any other address
 *     they are allowed only after STLS
 * @param greeting the text after "+OK " in the greeting line (default "{hostname} Quill POP3
 *     ready"); must be printable ASCII, it names no software version
 */
public record Pop3Config(
    String hostname,
    Duration idleTimeout,
    int commandLineLimit,
    int maxErrors,
    int maxAuthFailures,
    boolean allowPlaintextAuthOnLoopback,
    String greeting) {

  /** RFC 2449 section 4: the command line length every POP3 server must accept, in octets without CRLF. */
  public static final int RFC_MIN_LINE = 255;

  public Pop3Config {
    if (hostname == null || hostname.isBlank()) {
      throw new IllegalArgumentException("pop3.hostname must not be empty");
    }
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("pop3.idleTimeout must be positive, was " + idleTimeout);
    }
    if (commandLineLimit < RFC_MIN_LINE) {
      throw new IllegalArgumentException(
          "pop3.commandLineLimit " + commandLineLimit + " is below the RFC 2449 minimum " + RFC_MIN_LINE);
    }
    if (maxErrors < 1 || maxAuthFailures < 1) {
      throw new IllegalArgumentException(
          "pop3.maxErrors and pop3.maxAuthFailures must be at least 1, were " + maxErrors + " and " + maxAuthFailures);
    }
    if (greeting == null || !greeting.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("pop3.greeting must be printable ASCII");
    }
  }

  /** The defaults for a node called {@code hostname}. */
  public static Pop3Config defaults(String hostname) {
    return new Pop3Config(hostname, Duration.ofMinutes(10), 512, 20, 3, true, hostname + " Quill POP3 ready");
  }

  /** This config with another idle timeout. */
  public Pop3Config withIdleTimeout(Duration timeout) {
    return new Pop3Config(hostname, timeout, commandLineLimit, maxErrors, maxAuthFailures, allowPlaintextAuthOnLoopback, greeting);
  }

  /** This config with plaintext logins on loopback allowed or not. */
  public Pop3Config withAllowPlaintextAuthOnLoopback(boolean allow) {
    return new Pop3Config(hostname, idleTimeout, commandLineLimit, maxErrors, maxAuthFailures, allow, greeting);
  }

  /** This config with other error limits. */
  public Pop3Config withLimits(int maxErrors, int maxAuthFailures) {
    return new Pop3Config(hostname, idleTimeout, commandLineLimit, maxErrors, maxAuthFailures, allowPlaintextAuthOnLoopback, greeting);
  }
}
