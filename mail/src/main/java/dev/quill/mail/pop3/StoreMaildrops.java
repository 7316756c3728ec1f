package dev.quill.mail.pop3;

import dev.quill.mail.pop3.session.MaildropStore;
import dev.quill.security.Principals;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.MailStore;
import dev.quill.store.MaildropLock;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionException;

/** The POP3 session's view of a {@link MailStore}: the user's INBOX, and nothing else. */
public final class StoreMaildrops implements MaildropStore {
  private final MailStore store;

  /** Wraps {@code store}. */
  public StoreMaildrops(MailStore store) {
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
  public Snapshot open(String user) {
    MailboxInfo inbox = store.mailbox(user, MailStore.INBOX)
        .orElseThrow(() -> new StoreException("user " + user + " has no " + MailStore.INBOX));
    List<MessageMeta> metas = store.messages(user, MailStore.INBOX);
    List<Entry> entries = new ArrayList<>(metas.size());
    for (MessageMeta m : metas) {
      entries.add(new Entry(m.uid(), m.size()));
    }
    return new Snapshot(inbox.uidValidity(), entries, store.unreachable(user, MailStore.INBOX));
  }

  @Override
  public Optional<MaildropLock> lock(String user) {
    return store.lockMaildrop(user);
  }

  @Override
  public Optional<byte[]> read(String user, long uidValidity, long uid) throws CorruptMessageException {
    Optional<byte[]> content = store.readMessage(user, MailStore.INBOX, uid);
    // Checked after the read: a read made before a change of UIDVALIDITY read the session's message.
    sameUidValidity(user, uidValidity, "nothing read");
    return content;
  }

  @Override
  public void expunge(String user, long uidValidity, Collection<Long> uids) {
    sameUidValidity(user, uidValidity, "nothing deleted");
    try {
      store.expunge(user, MailStore.INBOX, uids).join();
    } catch (CompletionException e) {
      throw new StoreException("expunge failed for " + user, e.getCause() == null ? e : e.getCause());
    }
  }

  private void sameUidValidity(String user, long uidValidity, String outcome) {
    long now = store.mailbox(user, MailStore.INBOX).map(MailboxInfo::uidValidity).orElse(0L);
    if (now != uidValidity) {
      // Created again, or renumbered by a cluster, since the session began (docs/CLUSTER.md, "Renumbering").
      throw new StoreException("the INBOX of " + user + " has UIDVALIDITY " + now + " now, not " + uidValidity
          + " as when the session began: " + outcome);
    }
  }
}
