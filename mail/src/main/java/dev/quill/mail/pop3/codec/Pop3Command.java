package dev.quill.mail.pop3.codec;

/**
 * One POP3 client command, as parsed from one line by {@link Pop3CommandParser}.
 *
 * <p>Message numbers are 1-based as on the wire. A number too large for an {@code int} is
 * saturated to {@link Integer#MAX_VALUE}: it is still a syntactically valid number, it just
 * never names a message, so the session answers "no such message" rather than a syntax error.
 *
 * <p>Standards: RFC 1939 (POP3), RFC 2449 (CAPA), RFC 2595 (STLS), RFC 5034 (AUTH).
 */
public sealed interface Pop3Command {

  /** The command's keyword in upper case, for logs ("after RETR from ..."). */
  String verb();

  /** {@code USER name} (RFC 1939 section 7). */
  record User(String name) implements Pop3Command {
    @Override
    public String verb() {
      return "USER";
    }
  }

  /**
   * {@code PASS password} (RFC 1939 section 7); the password is the rest of the line, spaces
   * included, as RFC 1939 permits.
   */
  record Pass(char[] password) implements Pop3Command {
    @Override
    public String verb() {
      return "PASS";
    }

    @Override
    public String toString() {
      return "Pass[password=<hidden>]"; // never log a password
    }
  }

  /**
   * {@code AUTH [mechanism [initial-response]]} (RFC 5034). A null {@code mechanism} asks for
   * the list of mechanisms; a null {@code initialResponse} means the client sent none, and "="
   * stands for an empty one.
   */
  record Auth(String mechanism, String initialResponse) implements Pop3Command {
    @Override
    public String verb() {
      return "AUTH";
    }

    @Override
    public String toString() {
      return "Auth[mechanism=" + mechanism + ", initialResponse=" + (initialResponse == null ? "none" : "<hidden>") + "]";
    }
  }

  /** {@code CAPA} (RFC 2449). */
  record Capa() implements Pop3Command {
    @Override
    public String verb() {
      return "CAPA";
    }
  }

  /** {@code STLS} (RFC 2595). */
  record Stls() implements Pop3Command {
    @Override
    public String verb() {
      return "STLS";
    }
  }

  /** {@code STAT}. */
  record Stat() implements Pop3Command {
    @Override
    public String verb() {
      return "STAT";
    }
  }

  /** {@code LIST [msg]}; {@code message} is 0 when absent (scan listing of all messages). */
  record List(int message) implements Pop3Command {
    @Override
    public String verb() {
      return "LIST";
    }

    /** Whether a single message was asked for. */
    public boolean single() {
      return message != 0;
    }
  }

  /** {@code RETR msg}. */
  record Retr(int message) implements Pop3Command {
    @Override
    public String verb() {
      return "RETR";
    }
  }

  /** {@code TOP msg n}: the headers and the first {@code lines} lines of the body. */
  record Top(int message, int lines) implements Pop3Command {
    @Override
    public String verb() {
      return "TOP";
    }
  }

  /** {@code DELE msg}. */
  record Dele(int message) implements Pop3Command {
    @Override
    public String verb() {
      return "DELE";
    }
  }

  /** {@code UIDL [msg]}; {@code message} is 0 when absent (listing of all messages). */
  record Uidl(int message) implements Pop3Command {
    @Override
    public String verb() {
      return "UIDL";
    }

    /** Whether a single message was asked for. */
    public boolean single() {
      return message != 0;
    }
  }

  /** {@code RSET}. */
  record Rset() implements Pop3Command {
    @Override
    public String verb() {
      return "RSET";
    }
  }

  /** {@code NOOP}. */
  record Noop() implements Pop3Command {
    @Override
    public String verb() {
      return "NOOP";
    }
  }

  /** {@code QUIT}. */
  record Quit() implements Pop3Command {
    @Override
    public String verb() {
      return "QUIT";
    }
  }

  /** A keyword that is not a POP3 command Quill offers (APOP included); {@code verb} is capped for logs. */
  record Unknown(String verb) implements Pop3Command {}

  /**
   * A line that cannot be a valid command: a known keyword with bad arguments, an empty line,
   * control characters, or a line over the length limit. {@code reason} is the text after
   * "-ERR ", short and safe to send (it never echoes client input).
   */
  record Invalid(String verb, String reason) implements Pop3Command {}
}
