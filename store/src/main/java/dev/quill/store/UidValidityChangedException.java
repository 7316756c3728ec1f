package dev.quill.store;

import java.util.Optional;

/**
 * A change refused, with nothing changed, because the mailbox's UIDVALIDITY is no longer the one its
 * caller took the UIDs under: the mailbox was deleted and created again, or a cluster renumbered it
 * while the command was on its way, so the UIDs now name other messages (RFC 9051 section 2.3.1.1).
 * The session that asked must drop its view of the mailbox (IMAP says BYE, POP3 refuses the QUIT).
 *
 * <p>Across a cluster only the message travels; {@link #fromMessage} recognises it by its fixed prefix.
 */
public final class UidValidityChangedException extends StoreException {
  private static final String PREFIX = "UIDVALIDITY changed: ";

  /** A refusal of a change to {@code user}'s {@code mailbox}, whose UIDVALIDITY is {@code now}, not {@code expected}. */
  public UidValidityChangedException(String user, String mailbox, long expected, long now) {
    super(PREFIX + user + "/" + mailbox + " has UIDVALIDITY " + now + ", not " + expected + "; nothing changed");
  }

  private UidValidityChangedException(String message) {
    super(message);
  }

  /** The refusal a message names, when it carries one (from another node, prefixed by the call's context or not). */
  public static Optional<UidValidityChangedException> fromMessage(String message) {
    if (message != null) {
      int at = message.indexOf(PREFIX);
      if (at == 0 || (at > 0 && message.startsWith(": ", at - 2))) {
        return Optional.of(new UidValidityChangedException(message.substring(at)));
      }
    }
    return Optional.empty();
  }
}
