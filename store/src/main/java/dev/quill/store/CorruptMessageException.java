package dev.quill.store;

/** A stored message failed its checksum; it has been quarantined and must not be served. */
public class CorruptMessageException extends Exception {
  public CorruptMessageException(String message) {
    super(message);
  }
}
