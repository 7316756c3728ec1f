package dev.quill.cluster.rpc;

/** Bytes that do not decode: truncated, too long, malformed, or failing their checksum. */
public final class WireException extends Exception {
  public WireException(String message) {
    super(message);
  }
}
