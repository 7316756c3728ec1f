package dev.quill.mail.pop3.session;

import dev.quill.store.CorruptMessageException;
import dev.quill.store.UidValidityChangedException;
import dev.quill.store.MaildropLock;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** An in-memory {@link MaildropStore} for session tests, with switches to make calls fail. */
final class FakeMaildropStore implements MaildropStore {
  static final long UID_VALIDITY = 1717;

  final Map<String, String> passwords = new HashMap<>();
  final Map<String, TreeMap<Long, byte[]>> inboxes = new HashMap<>();
  final Set<Long> corrupt = new HashSet<>();
  final List<List<Long>> expunges = new ArrayList<>();
  boolean failExpunge;
  boolean failReads;
  boolean failOpen;
  /** The maildrop is held by a session on another node: {@link #lock} refuses. */
  boolean lockedElsewhere;
  /** Whether the other nodes can be asked: {@link #lock} throws when not. */
  boolean failLock;
  /** Cluster-wide locks taken and not given back. */
  int sharedLocksHeld;
  /** The UIDVALIDITY reads check against: another value stands for an INBOX renumbered since login. */
  long currentUidValidity = UID_VALIDITY;
  /** Cluster nodes the listing pretends it could not reach. */
  List<String> unreachable = List.of();
  int authentications;
  /** Whether reading ahead is worth it here (a cluster store); off, as a local store, the session reads each message alone. */
  boolean aheadWorthIt;
  /** Make {@link #readAhead} throw. */
  boolean failReadAhead;
  /** UIDs {@link #readAhead} leaves out of its answer (gone or damaged, for the single read to tell). */
  final Set<Long> notReadAhead = new HashSet<>();
  /** Every call: "read UID" or "ahead [UIDs]". */
  final List<String> calls = new ArrayList<>();
  private long nextUid = 1;

  FakeMaildropStore user(String user, String password) {
    passwords.put(user, password);
    inboxes.put(user, new TreeMap<>());
    return this;
  }

  long add(String user, String message) {
    long uid = nextUid++;
    inboxes.get(user).put(uid, message.getBytes(StandardCharsets.UTF_8));
    return uid;
  }

  @Override
  public boolean authenticate(String user, char[] password) {
    authentications++;
    return passwords.containsKey(user) && passwords.get(user).equals(new String(password));
  }

  @Override
  public Snapshot open(String user) {
    if (failOpen) {
      throw new IllegalStateException("disk on fire");
    }
    List<Entry> entries = new ArrayList<>();
    inboxes.get(user).forEach((uid, bytes) -> entries.add(new Entry(uid, bytes.length)));
    return new Snapshot(UID_VALIDITY, entries, unreachable);
  }

  @Override
  public Optional<MaildropLock> lock(String user) {
    if (failLock) {
      throw new IllegalStateException("the user's manager is out of reach");
    }
    if (lockedElsewhere) {
      return Optional.empty();
    }
    sharedLocksHeld++;
    AtomicBoolean open = new AtomicBoolean(true);
    return Optional.of(() -> {
      if (open.compareAndSet(true, false)) {
        sharedLocksHeld--;
      }
    });
  }

  @Override
  public Optional<byte[]> read(String user, long uidValidity, long uid) throws CorruptMessageException {
    calls.add("read " + uid);
    if (failReads) {
      throw new IllegalStateException("read failed");
    }
    if (uidValidity != currentUidValidity) {
      throw new UidValidityChangedException(user, "INBOX", uidValidity, currentUidValidity);
    }
    if (corrupt.remove(uid)) {
      inboxes.get(user).remove(uid); // quarantined, as the real store does
      throw new CorruptMessageException("checksum mismatch uid " + uid);
    }
    return Optional.ofNullable(inboxes.get(user).get(uid));
  }

  @Override
  public boolean readsAhead() {
    return aheadWorthIt;
  }

  @Override
  public Map<Long, byte[]> readAhead(String user, long uidValidity, List<Long> uids) {
    calls.add("ahead " + uids);
    if (failReadAhead) {
      throw new IllegalStateException("a node did not answer");
    }
    if (uidValidity != currentUidValidity) {
      throw new UidValidityChangedException(user, "INBOX", uidValidity, currentUidValidity);
    }
    Map<Long, byte[]> found = new HashMap<>();
    for (long uid : uids) {
      byte[] bytes = inboxes.get(user).get(uid);
      if (bytes != null && !notReadAhead.contains(uid) && !corrupt.contains(uid)) {
        found.put(uid, bytes);
      }
    }
    return found;
  }

  @Override
  public void expunge(String user, long uidValidity, Collection<Long> uids) {
    if (failExpunge) {
      throw new IllegalStateException("expunge failed");
    }
    expunges.add(List.copyOf(uids));
    uids.forEach(inboxes.get(user)::remove);
  }
}
