package dev.quill.mail.smtp;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of one SMTP listener: inbound mail on port 25 ({@link Mode#RELAY_IN}) or message
 * submission on port 587 ({@link Mode#SUBMISSION}). Start from {@link #defaults(String)} or
 * {@link #submissionDefaults(String)} and change fields with the {@code with...} methods.
 *
 * <p>Timeouts follow RFC 5321 §4.5.3.2. Of the timeouts listed there, the initial-220, MAIL, RCPT
 * and DATA-initiation ones bound how long a <em>client</em> waits for this server's replies,
 * which it sends at once, so they are not server settings; what the server waits for is the next
 * command ({@code commandTimeout}), the next block of message data ({@code dataBlockTimeout}) and
 * its own store at the end of data ({@code dataTerminationTimeout}).
 *
 * @param hostname the name this server gives in the greeting, EHLO reply and Received headers
 * @param mode inbound relay (no AUTH; mail for local users only) or submission (AUTH required)
 * @param banner the text after the hostname in the 220 greeting; default "ESMTP"
 * @param maxMessageSize the largest message in octets, as sent (after un-stuffing); advertised in
 *     EHLO SIZE; default 50 MiB; larger messages get 552 5.3.4
 * @param maxRecipients accepted RCPTs per transaction; more get 452 4.5.3; default 100 (RFC 5321
 *     §4.5.3.1.8 minimum)
 * @param commandLineLimit the longest command line in octets, CRLF included; default 512 (RFC 5321
 *     §4.5.3.1.4); AUTH lines may be up to 12288 (RFC 4954)
 * @param textLineLimit the longest line of message content in octets, CRLF included; default 1000
 *     (RFC 5321 §4.5.3.1.6); 0 means no limit
 * @param commandTimeout how long the server waits for the next command line, the first one
 *     included, before 421 4.4.2 and closing; default 5 minutes (RFC 5321 §4.5.3.2.7)
 * @param dataBlockTimeout how long the server waits for each block of DATA or BDAT content;
 *     default 3 minutes (RFC 5321 §4.5.3.2.5)
 * @param dataTerminationTimeout how long the server waits for the store to make a message durable
 *     before answering 451 4.3.0; default 10 minutes (RFC 5321 §4.5.3.2.6)
 * @param pregreetWait how long the server listens before sending its greeting; a client that talks
 *     in that time is dropped with 554 5.5.1 (Postfix postscreen's pregreet test); 0 disables;
 *     default 50 ms on relay-in (short, so that benchmarks that reconnect stay fast) and 0 on
 *     submission
 * @param maxErrors error replies (4xx/5xx) per session before 421 4.7.0 and closing; default 20
 *     (Postfix smtpd_hard_error_limit)
 * @param maxJunkCommands NOOP, RSET, VRFY, HELP and unknown commands per session without a
 *     delivered message in between before 421 4.7.0; default 100 (Postfix
 *     smtpd_junk_command_limit)
 * @param allowPlaintextAuthOnLoopback whether submission offers AUTH without TLS to loopback
 *     clients (local webmail, tests); default true
 * @param requireTls whether every command except EHLO, HELO, STARTTLS, NOOP, RSET, HELP and QUIT
 *     needs STARTTLS first (530 5.7.0); default false
 */
public record SmtpConfig(
    String hostname,
    Mode mode,
    String banner,
    long maxMessageSize,
    int maxRecipients,
    int commandLineLimit,
    int textLineLimit,
    Duration commandTimeout,
    Duration dataBlockTimeout,
    Duration dataTerminationTimeout,
    Duration pregreetWait,
    int maxErrors,
    int maxJunkCommands,
    boolean allowPlaintextAuthOnLoopback,
    boolean requireTls) {

  /** Which service a listener provides. */
  public enum Mode {
    /** Port 25 (Quill: 2525): mail from other servers to local users; no AUTH, never relays. */
    RELAY_IN,
    /** Port 587 (Quill: 2587): mail from authenticated users (RFC 6409); AUTH required before MAIL. */
    SUBMISSION
  }

  public SmtpConfig {
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(banner, "banner");
    if (hostname.isBlank() || hostname.chars().anyMatch(ch -> ch <= ' ' || ch >= 0x7f)) {
      throw new IllegalArgumentException("smtp.hostname '" + hostname + "' must be a non-empty name without spaces");
    }
    if (maxMessageSize < 1024 || maxMessageSize > Integer.MAX_VALUE - 65536) {
      throw new IllegalArgumentException("smtp.maxMessageSize " + maxMessageSize + " is outside 1024.."
          + (Integer.MAX_VALUE - 65536) + " octets");
    }
    if (maxRecipients < 1) {
      throw new IllegalArgumentException("smtp.maxRecipients " + maxRecipients + " must be at least 1");
    }
    if (commandLineLimit < 512) {
      throw new IllegalArgumentException("smtp.commandLineLimit " + commandLineLimit
          + " is below the RFC 5321 minimum of 512 octets");
    }
    if (textLineLimit != 0 && textLineLimit < 1000) {
      throw new IllegalArgumentException("smtp.textLineLimit " + textLineLimit
          + " is below the RFC 5321 minimum of 1000 octets (0 means no limit)");
    }
    requirePositive("smtp.commandTimeout", commandTimeout);
    requirePositive("smtp.dataBlockTimeout", dataBlockTimeout);
    requirePositive("smtp.dataTerminationTimeout", dataTerminationTimeout);
    Objects.requireNonNull(pregreetWait, "pregreetWait");
    if (pregreetWait.isNegative()) {
      throw new IllegalArgumentException("smtp.pregreetWait " + pregreetWait + " is negative (0 disables)");
    }
    if (maxErrors < 1 || maxJunkCommands < 1) {
      throw new IllegalArgumentException("smtp.maxErrors " + maxErrors + " and smtp.maxJunkCommands "
          + maxJunkCommands + " must be at least 1");
    }
  }

  /** Relay-in defaults: port 25 behaviour, the limits and timeouts documented on the fields. */
  public static SmtpConfig defaults(String hostname) {
    return new SmtpConfig(hostname, Mode.RELAY_IN, "ESMTP", 50L * 1024 * 1024, 100, 512, 1000,
        Duration.ofMinutes(5), Duration.ofMinutes(3), Duration.ofMinutes(10), Duration.ofMillis(50),
        20, 100, true, false);
  }

  /** Submission defaults: as {@link #defaults} in submission mode, without the pregreet wait. */
  public static SmtpConfig submissionDefaults(String hostname) {
    return defaults(hostname).withMode(Mode.SUBMISSION).withPregreetWait(Duration.ZERO);
  }

  /** Whether this listener is the submission service. */
  public boolean isSubmission() {
    return mode == Mode.SUBMISSION;
  }

  // ---- copies with one field changed ---------------------------------------------------------

  public SmtpConfig withHostname(String v)                 { return new SmtpConfig(v, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withMode(Mode v)                       { return new SmtpConfig(hostname, v, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withBanner(String v)                   { return new SmtpConfig(hostname, mode, v, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withMaxMessageSize(long v)             { return new SmtpConfig(hostname, mode, banner, v, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withMaxRecipients(int v)               { return new SmtpConfig(hostname, mode, banner, maxMessageSize, v, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withCommandLineLimit(int v)            { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, v, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withTextLineLimit(int v)               { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, v, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withCommandTimeout(Duration v)         { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, v, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withDataBlockTimeout(Duration v)       { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, v, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withDataTerminationTimeout(Duration v) { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, v, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withPregreetWait(Duration v)           { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, v, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withMaxErrors(int v)                   { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, v, maxJunkCommands, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withMaxJunkCommands(int v)             { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, v, allowPlaintextAuthOnLoopback, requireTls); }
  public SmtpConfig withAllowPlaintextAuthOnLoopback(boolean v) { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, v, requireTls); }
  public SmtpConfig withRequireTls(boolean v)              { return new SmtpConfig(hostname, mode, banner, maxMessageSize, maxRecipients, commandLineLimit, textLineLimit, commandTimeout, dataBlockTimeout, dataTerminationTimeout, pregreetWait, maxErrors, maxJunkCommands, allowPlaintextAuthOnLoopback, v); }

  private static void requirePositive(String name, Duration d) {
    Objects.requireNonNull(d, name);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(name + " " + d + " must be positive");
    }
  }
}
