package dev.quill.store;

/** A store operation failed: a refused request (message says why) or an engine error. */
public class StoreException extends RuntimeException {
  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
