package dev.quill.mail.smtp.codec;

import java.util.Map;

/**
 * One parsed SMTP command line, as produced by {@link SmtpCommandParser}. Every line becomes
 * some command: unrecognised verbs become {@link Unknown}, lines that cannot be parsed become
 * {@link Invalid} carrying the reply to send, and lines that look like another protocol (an
 * HTTP request or header) become {@link NonSmtp}.
 *
 * <p>Standards: RFC 5321 §4.1.1 (commands), RFC 3207 (STARTTLS), RFC 4954 (AUTH), RFC 3030
 * (BDAT).
 */
public sealed interface SmtpCommand {

  /** The verb in upper case ("MAIL"), or a short marker for lines without one; used in logs. */
  String verb();

  /** EHLO with the client's domain or address literal. */
  record Ehlo(String domain) implements SmtpCommand {
    public String verb() {
      return "EHLO";
    }
  }

  /** HELO with the client's domain. */
  record Helo(String domain) implements SmtpCommand {
    public String verb() {
      return "HELO";
    }
  }

  /**
   * MAIL FROM:reverse-path.
   *
   * @param reversePath the sender, or null for the null reverse-path {@code <>}
   * @param params ESMTP parameters, keyword upper-cased, value null when absent, in order
   */
  record Mail(Mailbox reversePath, Map<String, String> params) implements SmtpCommand {
    public Mail {
      params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
    }

    public String verb() {
      return "MAIL";
    }
  }

  /**
   * RCPT TO:forward-path.
   *
   * @param forwardPath the recipient ({@link Mailbox#isBarePostmaster()} for {@code <Postmaster>})
   * @param params ESMTP parameters, keyword upper-cased, value null when absent, in order
   */
  record Rcpt(Mailbox forwardPath, Map<String, String> params) implements SmtpCommand {
    public Rcpt {
      params = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(params));
    }

    public String verb() {
      return "RCPT";
    }
  }

  /** DATA. */
  record Data() implements SmtpCommand {
    public String verb() {
      return "DATA";
    }
  }

  /**
   * BDAT chunk-size [LAST] (RFC 3030).
   *
   * @param size the chunk size in octets that follows the command line
   * @param last whether this is the last chunk of the message
   */
  record Bdat(long size, boolean last) implements SmtpCommand {
    public String verb() {
      return "BDAT";
    }
  }

  /** RSET. */
  record Rset() implements SmtpCommand {
    public String verb() {
      return "RSET";
    }
  }

  /** NOOP, with its ignored argument. */
  record Noop() implements SmtpCommand {
    public String verb() {
      return "NOOP";
    }
  }

  /** QUIT. */
  record Quit() implements SmtpCommand {
    public String verb() {
      return "QUIT";
    }
  }

  /** HELP, with its optional topic (empty when none). */
  record Help(String topic) implements SmtpCommand {
    public String verb() {
      return "HELP";
    }
  }

  /** VRFY with its argument. */
  record Vrfy(String argument) implements SmtpCommand {
    public String verb() {
      return "VRFY";
    }
  }

  /** EXPN with its argument; not implemented (mailing lists are not disclosed). */
  record Expn(String argument) implements SmtpCommand {
    public String verb() {
      return "EXPN";
    }
  }

  /** STARTTLS (RFC 3207). */
  record StartTls() implements SmtpCommand {
    public String verb() {
      return "STARTTLS";
    }
  }

  /**
   * AUTH mechanism [initial-response] (RFC 4954).
   *
   * @param mechanism the SASL mechanism, upper-cased
   * @param initialResponse the base64 initial response, "=" for an empty one, or null when absent
   */
  record Auth(String mechanism, String initialResponse) implements SmtpCommand {
    public String verb() {
      return "AUTH";
    }
  }

  /** A syntactically plausible verb that this server does not know. */
  record Unknown(String verb) implements SmtpCommand {}

  /** A line of another protocol, such as an HTTP request line or header; the session closes. */
  record NonSmtp(String line) implements SmtpCommand {
    public String verb() {
      return "NON-SMTP";
    }
  }

  /**
   * A line that cannot be parsed: its verb when known (for logs and sequence decisions) and the
   * error reply to send.
   */
  record Invalid(String verb, SmtpReply reply) implements SmtpCommand {}
}
