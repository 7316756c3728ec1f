package dev.quill.mail.pop3;

import dev.quill.mail.pop3.session.MaildropStore;
import dev.quill.security.Principals;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MaildropLock;
import dev.quill.store.MailboxContents;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
    MailboxContents inbox = store.contents(user, MailStore.INBOX)
        .orElseThrow(() -> new StoreException("user " + user + " has no " + MailStore.INBOX));
    List<Entry> entries = new ArrayList<>(inbox.messages().size());
    for (MessageMeta m : inbox.messages()) {
      entries.add(new Entry(m.uid(), m.size()));
    }
    return new Snapshot(inbox.info().uidValidity(), entries, store.unreachable(user, MailStore.INBOX));
  }

  @Override
  public Optional<MaildropLock> lock(String user) {
    return store.lockMaildrop(user);
  }

  @Override
  public Optional<byte[]> read(String user, long uidValidity, long uid) throws CorruptMessageException {
    return LoadedMessage.onlyBody(store.loadUnder(user, MailStore.INBOX, uidValidity, List.of(uid),
        EnumSet.of(LoadedMessage.Part.BODY)));
  }

  @Override
  public Map<Long, byte[]> readAhead(String user, long uidValidity, List<Long> uids) {
    Map<Long, byte[]> found = new HashMap<>();
    for (LoadedMessage m : store.loadUnder(user, MailStore.INBOX, uidValidity, uids, EnumSet.of(LoadedMessage.Part.BODY))) {
      if (m.problem() == null && m.body() != null) {
        found.put(m.meta().uid(), m.body());
      }
    }
    return found;
  }

  /** Only through a cluster: locally one read each costs no more, and reads nothing the client may not ask for. */
  @Override
  public boolean readsAhead() {
    return store.remoteReads();
  }

  @Override
  public void expunge(String user, long uidValidity, Collection<Long> uids) {
    try {
      // Refused, nothing deleted, when the INBOX was created again or renumbered by a cluster since
      // the session began (docs/CLUSTER.md, "Renumbering"): checked where each message is removed.
      store.expungeUnder(user, MailStore.INBOX, uidValidity, uids).join();
    } catch (CompletionException e) {
      throw new StoreException("expunge failed for " + user, e.getCause() == null ? e : e.getCause());
    }
  }
}
