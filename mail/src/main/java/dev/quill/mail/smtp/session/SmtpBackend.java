package dev.quill.mail.smtp.session;

import dev.quill.store.DeliveryResult;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What an SMTP session needs from storage: recipient lookup, password checks and delivery. The
 * server implements it over {@code MailStore}; tests use a fake. Implementations are thread-safe.
 */
public interface SmtpBackend {

  /** What RCPT learns about an address. */
  enum Disposition {
    /** A local user (or an alias of one) that can take mail. */
    LOCAL,
    /** The domain is local but no user or alias has this address. */
    NO_SUCH_USER,
    /** A local user whose mailbox is full, or would be with the declared size. */
    MAILBOX_FULL,
    /** The domain is not delivered here. */
    NOT_LOCAL
  }

  /**
   * The outcome of looking up a recipient.
   *
   * @param user the canonical user address when {@link Disposition#LOCAL}, else null
   */
  record Resolution(Disposition disposition, String user) {
    public static Resolution local(String user) {
      return new Resolution(Disposition.LOCAL, user);
    }

    public static Resolution of(Disposition disposition) {
      return new Resolution(disposition, null);
    }
  }

  /**
   * Looks up a recipient.
   *
   * @param address the address as given in RCPT (any case)
   * @param declaredSize the message size announced by MAIL SIZE=, or 0 when unknown
   */
  Resolution resolveRecipient(String address, long declaredSize);

  /** Checks a password; slow on purpose (password hashing). */
  boolean authenticate(String user, char[] password);

  /**
   * Whether new mail fits in storage now: false while the disk is below its free-space reserve,
   * and MAIL and RCPT are then refused with 452 4.3.1 before the client sends the message.
   */
  default boolean acceptsMail() {
    return true;
  }

  /**
   * Stores one copy of the message in each user's INBOX; the future completes when the stored
   * copies are durable, or fails (with a {@code StorageUnavailableException} when the disk is full
   * or failing).
   */
  CompletableFuture<List<DeliveryResult>> deliver(Collection<String> users, byte[] message, Instant receivedAt);
}
