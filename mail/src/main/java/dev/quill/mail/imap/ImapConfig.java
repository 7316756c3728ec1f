package dev.quill.mail.imap;

import java.time.Duration;

/**
 * Tunables of the IMAP service, each with its default in {@link #defaults(String)}.
 *
 * @param hostname this node's name, shown in the greeting
 * @param idleTimeout how long a session may wait for the client's next command (IDLE included)
 *     before "* BYE Autologout" (default 30 minutes, the least RFC 9051 §5.4 allows; shorter
 *     values are for tests only). Must be positive.
 * @param commandLineLimit octets of command text per command, literals excluded (default 64 KiB;
 *     at least 1000). Non-APPEND literals count against it too.
 * @param maxLiteralSize octets of APPEND message literals per command (default 50 MiB); a larger
 *     one is refused with NO [TOOBIG] without being held in memory
 * @param maxErrors protocol errors one session may make before "* BYE Too many errors" (default 20)
 * @param allowPlaintextAuthOnLoopback whether LOGIN and AUTHENTICATE PLAIN work without TLS from
 *     a loopback address (default true); from anywhere else they need TLS
 * @param headerCacheBytes how many bytes of BODY[HEADER.FIELDS (...)] answers the node keeps for
 *     all sessions (default 64 MiB; 0 keeps none), see {@code HeaderFieldsCache}
 */
public record ImapConfig(
    String hostname,
    Duration idleTimeout,
    int commandLineLimit,
    long maxLiteralSize,
    int maxErrors,
    boolean allowPlaintextAuthOnLoopback,
    long headerCacheBytes) {

  public ImapConfig {
    if (hostname == null || hostname.isBlank() || !hostname.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException("imap.hostname must be printable ASCII without spaces");
    }
    if (idleTimeout == null || idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("imap.idleTimeout must be positive, was " + idleTimeout);
    }
    if (commandLineLimit < 1000) {
      throw new IllegalArgumentException("imap.commandLineLimit must be at least 1000, was " + commandLineLimit);
    }
    if (maxLiteralSize < 1) {
      throw new IllegalArgumentException("imap.maxLiteralSize must be positive, was " + maxLiteralSize);
    }
    if (maxErrors < 1) {
      throw new IllegalArgumentException("imap.maxErrors must be at least 1, was " + maxErrors);
    }
    if (headerCacheBytes < 0) {
      throw new IllegalArgumentException("imap.headerCacheBytes must not be negative, was " + headerCacheBytes);
    }
  }

  /** The defaults for a node called {@code hostname}. */
  public static ImapConfig defaults(String hostname) {
    return new ImapConfig(hostname, Duration.ofMinutes(30), 64 * 1024, 50L * 1024 * 1024, 20, true, 64L * 1024 * 1024);
  }

  /** This config with another hostname. */
  public ImapConfig withHostname(String name) {
    return new ImapConfig(name, idleTimeout, commandLineLimit, maxLiteralSize, maxErrors,
        allowPlaintextAuthOnLoopback, headerCacheBytes);
  }

  /** This config with another idle timeout. */
  public ImapConfig withIdleTimeout(Duration timeout) {
    return new ImapConfig(hostname, timeout, commandLineLimit, maxLiteralSize, maxErrors,
        allowPlaintextAuthOnLoopback, headerCacheBytes);
  }

  /** This config with another command line limit. */
  public ImapConfig withCommandLineLimit(int limit) {
    return new ImapConfig(hostname, idleTimeout, limit, maxLiteralSize, maxErrors,
        allowPlaintextAuthOnLoopback, headerCacheBytes);
  }

  /** This config with another APPEND literal limit. */
  public ImapConfig withMaxLiteralSize(long size) {
    return new ImapConfig(hostname, idleTimeout, commandLineLimit, size, maxErrors,
        allowPlaintextAuthOnLoopback, headerCacheBytes);
  }

  /** This config with another error limit. */
  public ImapConfig withMaxErrors(int max) {
    return new ImapConfig(hostname, idleTimeout, commandLineLimit, maxLiteralSize, max,
        allowPlaintextAuthOnLoopback, headerCacheBytes);
  }

  /** This config with plaintext logins on loopback allowed or not. */
  public ImapConfig withAllowPlaintextAuthOnLoopback(boolean allow) {
    return new ImapConfig(hostname, idleTimeout, commandLineLimit, maxLiteralSize, maxErrors, allow,
        headerCacheBytes);
  }

  /** A copy with another bound on the kept header-fields answers (bytes; 0 = none kept). */
  public ImapConfig withHeaderCacheBytes(long bytes) {
    return new ImapConfig(hostname, idleTimeout, commandLineLimit, maxLiteralSize, maxErrors, allowPlaintextAuthOnLoopback,
        bytes);
  }
}
