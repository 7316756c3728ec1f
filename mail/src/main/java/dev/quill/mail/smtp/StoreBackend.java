package dev.quill.mail.smtp;

import dev.quill.mail.mime.MessageAnalysis;
import dev.quill.mail.smtp.session.SmtpBackend;
import dev.quill.security.Principals;
import dev.quill.store.Addresses;
import dev.quill.store.DeliveryResult;
import dev.quill.store.MailStore;
import dev.quill.store.UserProfile;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * {@link SmtpBackend} over the node's {@link MailStore}: SMTP delivers to each user's INBOX, with
 * the message's MIME structure and search text ({@link MessageAnalysis}) computed once here and
 * kept by the store beside every copy.
 */
final class StoreBackend implements SmtpBackend {
  private final MailStore store;

  StoreBackend(MailStore store) {
    this.store = store;
  }

  @Override
  public Resolution resolveRecipient(String address, long declaredSize) {
    String normalized = Addresses.normalize(address);
    String domain = Addresses.domainOf(normalized);
    if (domain.isEmpty() || !store.hasDomain(domain)) {
      return Resolution.of(Disposition.NOT_LOCAL);
    }
    Optional<String> user = store.resolveRecipient(normalized);
    if (user.isEmpty()) {
      return Resolution.of(Disposition.NO_SUCH_USER);
    }
    long quota = store.user(user.get()).map(UserProfile::quotaBytes).orElse(0L);
    if (quota > 0) {
      long usage = store.usage(user.get());
      if (usage >= quota || (declaredSize > 0 && usage + declaredSize > quota)) {
        return Resolution.of(Disposition.MAILBOX_FULL);
      }
    }
    return Resolution.local(user.get());
  }

  @Override
  public boolean acceptsMail() {
    return store.acceptsNewMail();
  }

  @Override
  public boolean authenticate(String user, char[] password) {
    boolean ok = store.authenticate(user, password);
    if (ok) {
      Principals.authenticated(user); // the session's requests to other nodes now carry the user's SID
    }
    return ok;
  }

  @Override
  public CompletableFuture<List<DeliveryResult>> deliver(Collection<String> users, byte[] message, Instant receivedAt) {
    return store.deliver(users, MailStore.INBOX, message, receivedAt, MessageAnalysis.analyze(message).toDerived());
  }
}
