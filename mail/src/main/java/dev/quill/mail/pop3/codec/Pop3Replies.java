package dev.quill.mail.pop3.codec;

import java.util.List;

/**
 * The POP3 status lines Quill sends, as named constants and small formatters. Each is short,
 * plain text and never contains a stack trace or client input.
 *
 * <p>Response codes (RFC 2449 section 8, RFC 3206), in square brackets after "-ERR":
 * <ul>
 *   <li>{@code [AUTH]}: the credentials were refused (or a plaintext login was attempted where
 *       only a TLS-protected one is allowed); the user must act, retrying will not help.
 *   <li>{@code [IN-USE]}: authentication succeeded but the maildrop is locked by another session.
 *   <li>{@code [SYS/TEMP]}: a transient problem (storage, shutdown, login throttling); retrying
 *       later may succeed. Throttling uses SYS/TEMP rather than AUTH because the credentials may
 *       well be right: the client is told to wait, not to ask the user for a new password.
 *   <li>{@code [SYS/PERM]}: a lasting problem (a damaged message); retrying will not help.
 * </ul>
 */
public final class Pop3Replies {
  private Pop3Replies() {}

  /** Prefix of a positive status line. */
  public static final String OK = "+OK";
  /** Prefix of a negative status line. */
  public static final String ERR = "-ERR";
  /** The SASL continuation with an empty challenge (RFC 5034 section 4). */
  public static final String CONTINUE = "+ ";

  public static final String OK_NOOP = "+OK";
  public static final String OK_USER = "+OK send PASS";
  public static final String OK_STLS = "+OK begin TLS negotiation";
  public static final String OK_CAPA = "+OK capability list follows";
  public static final String OK_AUTH_MECHANISMS = "+OK SASL mechanisms follow";
  public static final String OK_BYE = "+OK bye";
  public static final String OK_TOP = "+OK top of message follows";

  public static final String ERR_UNKNOWN_COMMAND = "-ERR unknown command";
  public static final String ERR_WRONG_STATE = "-ERR command not valid in this state";
  public static final String ERR_NO_SUCH_MESSAGE = "-ERR no such message";
  public static final String ERR_USER_FIRST = "-ERR send USER first";
  public static final String ERR_TOO_MANY_ERRORS = "-ERR too many errors, closing connection";
  public static final String ERR_TLS_UNAVAILABLE = "-ERR TLS is not available";
  public static final String ERR_ALREADY_TLS = "-ERR TLS is already active";
  public static final String ERR_MESSAGE_GONE = "-ERR message was removed by another session";
  public static final String ERR_SESSION_CLOSED = "-ERR session is closed";
  public static final String ERR_MECHANISM = "-ERR unsupported SASL mechanism";
  public static final String ERR_AUTH_CANCELLED = "-ERR authentication cancelled";

  public static final String ERR_AUTH_FAILED = "-ERR [AUTH] invalid user name or password";
  public static final String ERR_AUTH_FAILED_CLOSING = "-ERR [AUTH] invalid user name or password, too many failures, closing connection";
  public static final String ERR_AUTH_MALFORMED = "-ERR [AUTH] malformed SASL response";
  public static final String ERR_PLAINTEXT_DISALLOWED = "-ERR [AUTH] plaintext login not allowed on an unprotected connection, STLS first";
  public static final String ERR_IN_USE = "-ERR [IN-USE] maildrop is locked by another session";
  public static final String ERR_THROTTLED = "-ERR [SYS/TEMP] too many failed logins, try later";
  public static final String ERR_STORE_TEMP = "-ERR [SYS/TEMP] temporary storage failure, try again later";
  public static final String ERR_EXPUNGE_FAILED = "-ERR [SYS/TEMP] deleting messages failed, no message was removed";
  public static final String ERR_SHUTTING_DOWN = "-ERR [SYS/TEMP] server shutting down";
  public static final String ERR_DAMAGED = "-ERR [SYS/PERM] message is damaged and has been quarantined";

  /** {@code -ERR reason}. */
  public static String err(String reason) {
    return ERR + " " + reason;
  }

  /** STAT: {@code +OK count octets}. */
  public static String stat(int count, long octets) {
    return OK + " " + count + " " + octets;
  }

  /** The login and RSET summary. */
  public static String maildrop(int count, long octets) {
    return OK + " maildrop has " + count + " messages (" + octets + " octets)";
  }

  /**
   * The login summary of a maildrop that is only partly listed: in a cluster, messages stored on
   * nodes that are down are left out until they return, and the client is told so rather than
   * shown a maildrop that looks whole.
   */
  public static String partialMaildrop(int count, long octets, List<String> unreachable) {
    return maildrop(count, octets) + "; messages stored on " + String.join(", ", unreachable)
        + " are unreachable and not listed until " + (unreachable.size() == 1 ? "it returns" : "they return");
  }

  /** The first line of a LIST scan listing or a UIDL listing. */
  public static String listing(int count, long octets) {
    return OK + " " + count + " messages (" + octets + " octets)";
  }

  /** LIST msg and RETR's first line use {@code n octets}; this is the scan line {@code n size}. */
  public static String scanLine(int message, long size) {
    return message + " " + size;
  }

  /** RETR's first line. */
  public static String retr(long size) {
    return OK + " " + size + " octets";
  }

  /** DELE success. */
  public static String deleted(int message) {
    return OK + " message " + message + " deleted";
  }

  /** DELE of a message already marked. */
  public static String alreadyDeleted(int message) {
    return ERR + " message " + message + " already deleted";
  }

  /** QUIT after a successful update. */
  public static String signingOff(int left) {
    return OK + " bye, " + left + " messages left";
  }
}
