package dev.quill.store;

import java.util.Optional;

/**
 * A write refused because the disk under the store cannot take it now: full, below the free-space
 * reserve ({@link StoreOptions#minFreeBytes()}), or failing with I/O errors.
 *
 * <p>Always temporary for the client: nothing of the refused write was acknowledged, and the same
 * write may succeed later, here once space returns or on another node of a cluster. Protocols answer
 * it with their "try later" replies: SMTP {@code 452 4.3.1} for lack of space and {@code 451 4.3.0}
 * for an I/O error, IMAP {@code NO [UNAVAILABLE]}, POP3 {@code -ERR [SYS/TEMP]}.
 *
 * <p>The message is shown to mail clients, so it names no path or size (the node's log has those),
 * and it starts with a fixed prefix per {@link Reason}: across a cluster only the message travels,
 * and {@link #fromMessage} recognises it on the other side.
 */
public final class StorageUnavailableException extends StoreException {
  /** What is wrong with the disk. */
  public enum Reason {
    /** The disk is full, or has less free space than the configured reserve. */
    NO_SPACE("insufficient system storage"),
    /** The disk or its file system answered a write with an I/O error. */
    IO_ERROR("storage I/O error");

    private final String prefix;

    Reason(String prefix) {
      this.prefix = prefix;
    }
  }

  private final Reason reason;

  /** A refusal for {@code reason}; {@code detail} says what was refused (no paths). */
  public StorageUnavailableException(Reason reason, String detail) {
    this(reason, detail, null);
  }

  /** A refusal for {@code reason} caused by the engine's {@code cause}. */
  public StorageUnavailableException(Reason reason, String detail, Throwable cause) {
    super(reason.prefix + ": " + detail + "; try again later", cause);
    this.reason = reason;
  }

  /** A refusal carrying a message already in this form (as it came from another node). */
  private StorageUnavailableException(Reason reason, String message, boolean verbatim) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }

  /** The storage refusal {@code t} is or was caused by, if any (looks through wrapping exceptions). */
  public static Optional<StorageUnavailableException> in(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof StorageUnavailableException s) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /**
   * The refusal a message stands for when it holds the message of a {@code StorageUnavailableException}
   * (as another node's store said it, perhaps after the name of a wrapping exception), so that a
   * refusal keeps its kind across the cluster.
   */
  public static Optional<StorageUnavailableException> fromMessage(String message) {
    if (message != null) {
      for (Reason r : Reason.values()) {
        int at = message.indexOf(r.prefix + ": ");
        if (at == 0 || (at > 0 && message.startsWith(": ", at - 2))) {
          return Optional.of(new StorageUnavailableException(r, message.substring(at), true));
        }
      }
    }
    return Optional.empty();
  }
}
