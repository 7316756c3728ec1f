package dev.quill.mail.pop3.session;

import java.util.List;

/**
 * What a {@link Pop3Session} answers to one input line: a status line, possibly followed by a
 * multi-line body, and what the connection must do next.
 */
public sealed interface Pop3Reply {

  /** What the transport does after sending the reply. */
  enum After {
    /** Read the next command. */
    CONTINUE,
    /** Discard buffered input, then run the TLS handshake (STLS). */
    START_TLS,
    /** Close the connection. */
    CLOSE
  }

  /** The first line: "+OK ...", "-ERR ..." or the SASL continuation "+ ". */
  String status();

  /** What to do once the reply is sent. */
  After after();

  /** A reply of one line. */
  record Line(String status, After after) implements Pop3Reply {
    /** A one-line reply after which the session continues. */
    public Line(String status) {
      this(status, After.CONTINUE);
    }
  }

  /** A status line and a listing (CAPA, LIST, UIDL, AUTH), ended by ".". */
  record Listing(String status, List<String> lines) implements Pop3Reply {
    @Override
    public After after() {
      return After.CONTINUE;
    }
  }

  /**
   * A status line and a message (RETR, TOP) to be byte-stuffed and ended by ".".
   *
   * @param bodyLines -1 for the whole message; otherwise the headers and this many body lines
   */
  record Message(String status, byte[] content, int bodyLines) implements Pop3Reply {
    @Override
    public After after() {
      return After.CONTINUE;
    }
  }
}
