package dev.quill.mail.imap;

import dev.quill.mail.imap.session.ImapBackend;
import dev.quill.security.Principals;
import dev.quill.store.AppendResult;
import dev.quill.store.CopyResult;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MailboxContents;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MailboxWatch;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import dev.quill.store.UserProfile;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/** The IMAP session's storage port over the node's {@link MailStore}: waits for its futures. */
final class StoreImapBackend implements ImapBackend {
  private final MailStore store;

  StoreImapBackend(MailStore store) {
    this.store = store;
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
  public List<MailboxInfo> mailboxes(String user) {
    return store.mailboxes(user);
  }

  @Override
  public Optional<MailboxInfo> mailbox(String user, String name) {
    return store.mailbox(user, name);
  }

  @Override
  public MailboxInfo createMailbox(String user, String name, Set<String> specialUse) {
    return store.createMailbox(user, name, specialUse);
  }

  @Override
  public boolean deleteMailbox(String user, String name) {
    return store.deleteMailbox(user, name);
  }

  @Override
  public void renameMailbox(String user, String from, String to) {
    store.renameMailbox(user, from, to);
  }

  @Override
  public void setSubscribed(String user, String name, boolean subscribed) {
    store.setSubscribed(user, name, subscribed);
  }

  @Override
  public Set<String> subscriptions(String user) {
    return store.subscriptions(user);
  }

  @Override
  public List<MessageMeta> messages(String user, String mailbox) {
    return store.messages(user, mailbox);
  }

  @Override
  public Optional<MailboxContents> contents(String user, String name) {
    return store.contents(user, name);
  }

  @Override
  public List<String> unreachable(String user, String mailbox) {
    return store.unreachable(user, mailbox);
  }

  @Override
  public List<LoadedMessage> load(String user, String mailbox, long uidValidity, List<Long> uids,
      Set<LoadedMessage.Part> parts) {
    return store.loadUnder(user, mailbox, uidValidity, uids, parts);
  }

  @Override
  public AppendResult append(String user, String mailbox, byte[] message, Set<String> flags, Instant internalDate,
      MessageDerived derived) {
    return join(store.append(user, mailbox, message, flags, internalDate, derived));
  }

  @Override
  public FlagResult updateFlags(String user, String mailbox, long uidValidity, Collection<Long> uids,
      FlagUpdate update) {
    return join(store.updateFlagsUnder(user, mailbox, uidValidity, uids, update));
  }

  @Override
  public CopyResult copy(String user, String from, long uidValidity, Collection<Long> uids, String to, boolean move) {
    return join(store.copyUnder(user, from, uidValidity, uids, to, move));
  }

  @Override
  public void expunge(String user, String mailbox, long uidValidity, Collection<Long> uids) {
    join(store.expungeDeletedUnder(user, mailbox, uidValidity, uids)); // chosen by the session's \Deleted flags
  }

  @Override
  public List<Long> expungedSince(String user, String mailbox, long modSeq) {
    return store.expungedSince(user, mailbox, modSeq);
  }

  @Override
  public MailboxWatch watch(String user, Consumer<MailboxEvent> listener) {
    return store.watch(user, listener);
  }

  @Override
  public long usage(String user) {
    return store.usage(user);
  }

  @Override
  public long quota(String user) {
    return store.user(user).map(UserProfile::quotaBytes).orElse(0L);
  }

  @Override
  public java.util.OptionalLong claimRecent(String user, String mailbox, long uidValidity, long upTo) {
    return store.claimRecent(user, mailbox, uidValidity, upTo);
  }

  private static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new StoreException("store operation failed", e.getCause());
    }
  }
}
