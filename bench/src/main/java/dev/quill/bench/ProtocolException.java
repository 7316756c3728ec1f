package dev.quill.bench;

import java.io.IOException;

/** A server's reply broke the protocol (malformed line, bare LF, missing terminator); counted as an I/O error. */
public final class ProtocolException extends IOException {
  @java.io.Serial
  private static final long serialVersionUID = 1L;

  /** A failure described by {@code message}, which should quote the offending input (capped). */
  public ProtocolException(String message) {
    super(message);
  }
}
