package dev.quill.mail.smtp.codec;

/**
 * The SMTP server's canned replies, one constant each, with the RFC 5321 code, the RFC 3463
 * enhanced status code and short plain text. Replies that name the host are built by the static
 * methods at the end.
 *
 * <p>Standards: RFC 5321 §4.2.2-4.2.3 (codes), RFC 3463 (enhanced codes), RFC 3207 (STARTTLS),
 * RFC 4954 (AUTH), RFC 3030 (BDAT), RFC 6531 (SMTPUTF8), RFC 1870 (SIZE).
 */
public final class SmtpReplies {
  private SmtpReplies() {}

  // ---- 2xx / 3xx ------------------------------------------------------------------------------

  public static final SmtpReply OK = SmtpReply.of(250, "2.0.0", "OK");
  public static final SmtpReply SENDER_OK = SmtpReply.of(250, "2.1.0", "Sender OK");
  public static final SmtpReply RECIPIENT_OK = SmtpReply.of(250, "2.1.5", "Recipient OK");
  public static final SmtpReply CHUNK_OK = SmtpReply.of(250, "2.0.0", "Chunk received");
  public static final SmtpReply RESET_OK = SmtpReply.of(250, "2.0.0", "Reset OK");
  public static final SmtpReply BYE = SmtpReply.of(221, "2.0.0", "Bye");
  public static final SmtpReply HELP = new SmtpReply(214, "2.0.0", java.util.List.of(
      "Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY STARTTLS AUTH",
      "See RFC 5321"));
  public static final SmtpReply CANNOT_VRFY =
      SmtpReply.of(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
  public static final SmtpReply READY_FOR_TLS = SmtpReply.of(220, "2.0.0", "Ready to start TLS");
  public static final SmtpReply AUTH_OK = SmtpReply.of(235, "2.7.0", "Authentication successful");
  public static final SmtpReply START_MAIL_INPUT = SmtpReply.plain(354, "End data with <CR><LF>.<CR><LF>");

  // ---- 4xx ------------------------------------------------------------------------------------

  public static final SmtpReply OUTBOUND_NOT_AVAILABLE =
      SmtpReply.of(450, "4.4.0", "Outbound delivery is not available yet");
  public static final SmtpReply LOCAL_ERROR = SmtpReply.of(451, "4.3.0", "Local error in processing, try again later");
  public static final SmtpReply TOO_MANY_RECIPIENTS = SmtpReply.of(452, "4.5.3", "Too many recipients");
  /** The store's disk is full (RFC 5321 452, RFC 3463 4.3.1 "mail system full"): the client keeps the message and retries. */
  public static final SmtpReply INSUFFICIENT_STORAGE =
      SmtpReply.of(452, "4.3.1", "Insufficient system storage, try again later");
  public static final SmtpReply TLS_NOT_AVAILABLE = SmtpReply.of(454, "4.7.0", "TLS not available");
  public static final SmtpReply AUTH_THROTTLED =
      SmtpReply.of(454, "4.7.0", "Too many failed logins, try again later");

  // ---- 5xx: command syntax ----------------------------------------------------------------------

  public static final SmtpReply COMMAND_UNRECOGNIZED = SmtpReply.of(500, "5.5.1", "Command unrecognized");
  public static final SmtpReply LINE_TOO_LONG = SmtpReply.of(500, "5.5.2", "Line too long");
  public static final SmtpReply BARE_LF = SmtpReply.of(500, "5.5.2", "Bare LF not allowed, use CRLF");
  public static final SmtpReply BARE_CR = SmtpReply.of(500, "5.5.2", "Bare CR not allowed, use CRLF");
  public static final SmtpReply NUL_CHARACTER = SmtpReply.of(500, "5.5.2", "NUL character not allowed");
  public static final SmtpReply BAD_UTF8 = SmtpReply.of(500, "5.5.2", "Invalid UTF-8 in command");
  public static final SmtpReply EMPTY_COMMAND = SmtpReply.of(500, "5.5.2", "Empty command");
  public static final SmtpReply SYNTAX_EHLO = SmtpReply.of(501, "5.5.4", "Syntax: EHLO hostname");
  public static final SmtpReply SYNTAX_HELO = SmtpReply.of(501, "5.5.4", "Syntax: HELO hostname");
  public static final SmtpReply SYNTAX_MAIL = SmtpReply.of(501, "5.5.4", "Syntax: MAIL FROM:<address> [parameters]");
  public static final SmtpReply SYNTAX_RCPT = SmtpReply.of(501, "5.5.4", "Syntax: RCPT TO:<address> [parameters]");
  public static final SmtpReply SYNTAX_BDAT = SmtpReply.of(501, "5.5.4", "Syntax: BDAT size [LAST]");
  public static final SmtpReply SYNTAX_AUTH = SmtpReply.of(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
  public static final SmtpReply SYNTAX_VRFY = SmtpReply.of(501, "5.5.4", "Syntax: VRFY address");
  public static final SmtpReply NO_PARAMETERS_ALLOWED = SmtpReply.of(501, "5.5.4", "Syntax error, no parameters allowed");
  public static final SmtpReply BAD_PARAMETER = SmtpReply.of(501, "5.5.4", "Invalid parameter syntax");
  public static final SmtpReply DUPLICATE_PARAMETER = SmtpReply.of(501, "5.5.4", "Duplicate parameter");
  public static final SmtpReply BAD_SIZE = SmtpReply.of(501, "5.5.4", "Invalid SIZE value");
  public static final SmtpReply BAD_BODY = SmtpReply.of(501, "5.5.4", "Invalid BODY value (7BIT or 8BITMIME)");
  public static final SmtpReply BAD_SENDER_SYNTAX = SmtpReply.of(501, "5.1.7", "Bad sender address syntax");
  public static final SmtpReply BAD_RECIPIENT_SYNTAX = SmtpReply.of(501, "5.1.3", "Bad recipient address syntax");
  public static final SmtpReply COMMAND_NOT_IMPLEMENTED = SmtpReply.of(502, "5.5.1", "Command not implemented");
  public static final SmtpReply UNKNOWN_PARAMETER = SmtpReply.of(555, "5.5.4", "Unsupported parameter");

  // ---- 5xx: sequence -------------------------------------------------------------------------

  public static final SmtpReply SEND_HELO_FIRST = SmtpReply.of(503, "5.5.1", "Send HELO/EHLO first");
  public static final SmtpReply NESTED_MAIL = SmtpReply.of(503, "5.5.1", "Sender already specified");
  public static final SmtpReply NEED_MAIL_BEFORE_RCPT = SmtpReply.of(503, "5.5.1", "Need MAIL before RCPT");
  public static final SmtpReply NEED_MAIL_BEFORE_DATA = SmtpReply.of(503, "5.5.1", "Need MAIL before DATA");
  public static final SmtpReply NEED_RCPT_BEFORE_DATA = SmtpReply.of(503, "5.5.1", "Need RCPT before DATA");
  public static final SmtpReply NEED_MAIL_BEFORE_BDAT = SmtpReply.of(503, "5.5.1", "Need MAIL before BDAT");
  public static final SmtpReply NEED_RCPT_BEFORE_BDAT = SmtpReply.of(503, "5.5.1", "Need RCPT before BDAT");
  public static final SmtpReply DATA_AFTER_BDAT = SmtpReply.of(503, "5.5.1", "DATA not allowed after BDAT");
  public static final SmtpReply ALREADY_AUTHENTICATED = SmtpReply.of(503, "5.5.1", "Already authenticated");
  public static final SmtpReply AUTH_IN_TRANSACTION =
      SmtpReply.of(503, "5.5.1", "AUTH not allowed during a mail transaction");
  public static final SmtpReply AUTH_NOT_OFFERED = SmtpReply.of(503, "5.5.1", "AUTH not offered on this service");
  public static final SmtpReply TLS_ALREADY_ACTIVE = SmtpReply.of(503, "5.5.1", "TLS already active");

  // ---- 5xx: policy and content ----------------------------------------------------------------

  public static final SmtpReply AUTH_MECHANISM_UNKNOWN =
      SmtpReply.of(504, "5.5.4", "Unrecognized authentication mechanism");
  public static final SmtpReply AUTH_REQUIRED = SmtpReply.of(530, "5.7.0", "Authentication required");
  public static final SmtpReply STARTTLS_REQUIRED = SmtpReply.of(530, "5.7.0", "Must issue a STARTTLS command first");
  public static final SmtpReply AUTH_FAILED = SmtpReply.of(535, "5.7.8", "Authentication credentials invalid");
  public static final SmtpReply AUTH_CANCELLED = SmtpReply.of(501, "5.0.0", "Authentication cancelled");
  public static final SmtpReply AUTH_BAD_RESPONSE = SmtpReply.of(501, "5.5.2", "Cannot decode authentication response");
  public static final SmtpReply ENCRYPTION_REQUIRED_FOR_AUTH =
      SmtpReply.of(538, "5.7.11", "Encryption required for requested authentication mechanism");
  public static final SmtpReply USER_UNKNOWN = SmtpReply.of(550, "5.1.1", "User unknown");
  public static final SmtpReply RELAY_DENIED = SmtpReply.of(550, "5.7.1", "Relaying denied");
  public static final SmtpReply MESSAGE_BARE_LINE_END =
      SmtpReply.of(550, "5.6.0", "Message contains a bare CR or LF, use CRLF line endings");
  public static final SmtpReply MAILBOX_FULL = SmtpReply.of(552, "5.2.2", "Mailbox full");
  public static final SmtpReply MESSAGE_TOO_BIG =
      SmtpReply.of(552, "5.3.4", "Message size exceeds fixed maximum message size");
  public static final SmtpReply MESSAGE_LINE_TOO_LONG =
      SmtpReply.of(552, "5.3.4", "Message has a line longer than the limit of 1000 octets");
  public static final SmtpReply NON_ASCII_WITHOUT_SMTPUTF8 =
      SmtpReply.of(553, "5.6.7", "Non-ASCII address requires SMTPUTF8");
  public static final SmtpReply NON_SMTP_COMMAND = SmtpReply.of(554, "5.5.1", "Non-SMTP command, closing connection");
  public static final SmtpReply PREGREET = SmtpReply.of(554, "5.5.1", "Protocol error: talked before the greeting");
  public static final SmtpReply BDAT_CHUNK_TOO_BIG =
      SmtpReply.of(552, "5.3.4", "BDAT chunk exceeds the maximum message size, closing connection");

  // ---- replies that name the host -------------------------------------------------------------

  /** The 220 greeting. */
  public static SmtpReply greeting(String host, String banner) {
    return SmtpReply.plain(220, host + " " + banner);
  }

  /** 421: the server is stopping (RFC 5321 §3.8). */
  public static SmtpReply shuttingDown(String host) {
    return SmtpReply.of(421, "4.3.2", host + " Service shutting down");
  }

  /** 421: the client was idle for longer than the command or data timeout. */
  public static SmtpReply timeout(String host) {
    return SmtpReply.of(421, "4.4.2", host + " Timeout exceeded, closing connection");
  }

  /** 421: an unexpected failure in the server; the session ends. */
  public static SmtpReply internalError(String host) {
    return SmtpReply.of(421, "4.3.0", host + " Internal error, closing connection");
  }

  /** 421: the session reached its error or junk-command limit. */
  public static SmtpReply tooManyErrors(String host) {
    return SmtpReply.of(421, "4.7.0", host + " Too many errors, closing connection");
  }

  /** 421: the listener is at its connection limit; meant for {@code ListenerConfig.busyReply}. */
  public static SmtpReply tooManyConnections(String host) {
    return SmtpReply.of(421, "4.7.0", host + " Too many connections, try again later");
  }
}
