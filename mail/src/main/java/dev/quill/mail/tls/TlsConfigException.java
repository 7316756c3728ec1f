package dev.quill.mail.tls;

/**
 * The TLS material could not be loaded or created; the message names the file and what is wrong
 * with it, because this usually surfaces at start-up and an operator has to act on it.
 */
public final class TlsConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** A problem without an underlying exception. */
  public TlsConfigException(String message) {
    super(message);
  }

  /** A problem caused by {@code cause}, whose message is kept in the chain. */
  public TlsConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
