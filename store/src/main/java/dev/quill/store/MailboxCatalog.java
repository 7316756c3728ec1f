package dev.quill.store;

import static dev.quill.store.Batches.put;
import static dev.quill.store.GroupCommitter.await;

import dev.quill.store.MailboxEvent.Kind;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Function;
import org.rocksdb.WriteBatch;

/**
 * A user's set of mailboxes: the defaults of a new user, CREATE, DELETE, RENAME and
 * subscriptions (RFC 9051 sections 6.3.4 to 6.3.8, SPECIAL-USE RFC 6154).
 *
 * <p>Every method is called under the store's meta lock, which serializes changes to the set of
 * mailboxes (and guards the mailbox id and UIDVALIDITY counters); mailbox locks are taken after
 * it, in id order. A change waits until it is durable. When its commit fails, the user's cached
 * state is dropped and reloaded from the database.
 *
 * <p>Subscriptions are kept apart from mailboxes, because a subscription may outlive its mailbox;
 * the {@code subscribed} flag of a mailbox record mirrors them, in the same batches.
 */
final class MailboxCatalog {
  /** The mailboxes every new user gets besides INBOX, with their SPECIAL-USE attribute. */
  static final Map<String, String> DEFAULTS = defaults();

  private final RocksEngine engine;
  private final GroupCommitter committer;
  private final MessageRecords messages;
  private final ExpungeLog expunges;
  private final HashIndex index;
  private final ChangeNotifier notifier;
  private final Function<String, UserState> users;
  private final Consumer<String> invalidate;

  private long nextMailboxId;
  private long lastUidValidity;

  /**
   * @param users the cached state of a user, or null when unknown
   * @param invalidate drops a user's cached state after a failed commit
   */
  MailboxCatalog(RocksEngine engine, GroupCommitter committer, MessageRecords messages, ExpungeLog expunges,
      HashIndex index, ChangeNotifier notifier, Function<String, UserState> users, Consumer<String> invalidate) {
    this.engine = engine;
    this.committer = committer;
    this.messages = messages;
    this.expunges = expunges;
    this.index = index;
    this.notifier = notifier;
    this.users = users;
    this.invalidate = invalidate;
    byte[] id = engine.get(engine.meta, Keys.NEXT_MAILBOX_ID);
    this.nextMailboxId = id == null ? 1 : RecordCodec.decodeCounter(id);
    byte[] uv = engine.get(engine.meta, Keys.LAST_UID_VALIDITY);
    this.lastUidValidity = uv == null ? 0 : RecordCodec.decodeCounter(uv);
  }

  /**
   * Adds a new user's INBOX and default mailboxes, all subscribed, to {@code batch}, except those in
   * {@code existing}: fragments this node already holds for a user whose profile was elsewhere.
   */
  List<MailboxInfo> addDefaults(WriteBatch batch, String user, Set<String> existing) {
    var created = new ArrayList<MailboxInfo>();
    if (!existing.contains(MailStore.INBOX)) {
      created.add(newMailbox(batch, user, MailStore.INBOX, Set.of(), true));
    }
    DEFAULTS.forEach((name, use) -> {
      if (!existing.contains(name)) {
        created.add(newMailbox(batch, user, name, Set.of(use), true));
      }
    });
    putCounters(batch);
    return created;
  }

  /**
   * Creates the local fragment of a mailbox whose UIDs a cluster manager allocates: an empty
   * mailbox record with the manager's UIDVALIDITY, without superiors (the mailbox's hierarchy is
   * the union of all fragments) and subscribed as a subscription here says. The user's profile may
   * live on another node. Waits until durable.
   *
   * @param state the user's live state, or null when this node holds nothing of the user yet
   * @return the fragment's record
   */
  MailboxInfo createFragment(UserState state, String user, String name, long uidValidity) {
    var batch = new WriteBatch();
    MailboxInfo box = newMailbox(batch, user, name, Set.of(), null, uidValidity);
    putCounters(batch);
    long epoch = committer.epoch();
    if (state != null) {
      state.add(new MailboxState(box, epoch));
    }
    commit(user, committer.submit(batch, epoch, null, notifier.publisher(List.of(event(box, Kind.CREATED)))));
    return box;
  }

  /**
   * Upgrades mailbox records written before subscriptions existed (version 1): each becomes
   * subscribed, with its subscription, as every mailbox then was. Runs once, at open.
   */
  void upgradeRecords() {
    var batch = new WriteBatch();
    int[] upgraded = {0};
    engine.scan(engine.mailboxes, null, new byte[0], new byte[] {(byte) 0xff, (byte) 0xff}, (k, v) -> {
      if (RecordCodec.isMailboxVersion1(v)) {
        MailboxInfo box = RecordCodec.decodeMailbox(v);
        put(batch, engine.mailboxes, k, RecordCodec.encodeMailbox(box));
        put(batch, engine.meta, Keys.subscription(box.user(), box.name()), RecordCodec.encodeSubscription());
        upgraded[0]++;
      }
    });
    if (upgraded[0] == 0) {
      batch.close();
      return;
    }
    await(committer.submit(batch, committer.epoch(), null));
    org.slf4j.LoggerFactory.getLogger(MailboxCatalog.class).info("upgraded {} mailbox record(s) to version {}",
        upgraded[0], RecordCodec.MAILBOX_VERSION);
  }

  MailboxInfo create(String user, String name, Set<String> specialUse) {
    UserState state = knownUser(user);
    String n = MailboxNames.checked(name);
    Set<String> uses = checkedSpecialUse(specialUse);
    if (state.mailbox(n) != null) {
      throw new StoreException("mailbox " + n + " already exists");
    }
    var batch = new WriteBatch();
    var created = new ArrayList<MailboxInfo>();
    for (String superior : MailboxNames.superiors(n)) {
      if (state.mailbox(superior) == null) {
        created.add(newMailbox(batch, user, superior, Set.of(), null));
      }
    }
    MailboxInfo box = newMailbox(batch, user, n, uses, null);
    created.add(box);
    putCounters(batch);
    long epoch = committer.epoch();
    var events = created.stream().map(b -> event(b, Kind.CREATED)).toList();
    created.forEach(b -> state.add(new MailboxState(b, epoch)));
    commit(user, committer.submit(batch, epoch, null, notifier.publisher(events)));
    return box;
  }

  boolean delete(String user, String name) {
    String n = MailboxNames.canonical(name);
    UserState state = knownUser(user);
    if (n.equals(MailStore.INBOX) && state.profile != null) {
      // A node holding only fragments of the user (a cluster holder) deletes its INBOX fragment like any other.
      throw new StoreException("INBOX cannot be deleted");
    }
    MailboxState box = state.mailbox(n);
    if (box == null) {
      return false;
    }
    CompletableFuture<Void> done;
    box.lock.lock();
    try {
      long epoch = committer.epoch();
      if (!box.refresh(engine, epoch)) {
        return false;
      }
      var batch = new WriteBatch();
      Batches.delete(batch, engine.mailboxes, Keys.mailbox(user, n));
      index.deleteMailbox(batch, user, n);
      messages.removeAll(batch, box.id);
      expunges.deleteAll(batch, box.id);
      Batches.delete(batch, engine.meta, Keys.reservation(box.id));
      box.deleted = true;
      state.remove(n, box);
      done = committer.submit(batch, epoch, null, notifier.publisher(List.of(event(box.next, Kind.DELETED))));
    } finally {
      box.lock.unlock();
    }
    commit(user, done);
    return true;
  }

  /**
   * RENAME. For a user whose profile is on another node, only the fragments held here move: the
   * mailbox's own fragment when held (it may not be, while inferior fragments are), its inferior
   * fragments, no superiors are created (the hierarchy is the profile node's), and INBOX cannot be
   * renamed here (its messages would need UIDs from the user's manager). {@code onlyFragments} asks
   * for the same where the profile is too (a copy of it, whose hierarchy comes from the catalog's image).
   */
  void rename(String user, String from, String to, boolean onlyFragments) {
    UserState state = knownUser(user);
    String f = MailboxNames.canonical(from);
    String t = MailboxNames.checked(to);
    boolean fragmentsOnly = onlyFragments || state.profile == null;
    if (fragmentsOnly && f.equals(MailStore.INBOX)) {
      throw new StoreException("cannot rename INBOX fragment of " + user
          + " here: the profile is on another node, and INBOX's messages need UIDs from the user's manager");
    }
    MailboxState source = state.mailbox(f);
    if (source == null && !fragmentsOnly) {
      throw new StoreException("no such mailbox " + f);
    }
    if (state.mailbox(t) != null) {
      throw new StoreException("cannot rename " + f + " to " + t + ": mailbox " + t + " already exists");
    }
    if (f.equals(MailStore.INBOX)) {
      renameInbox(user, state, source, t);
      return;
    }
    if (MailboxNames.isInferior(t, f)) {
      throw new StoreException("cannot rename " + f + " to " + t + ": a mailbox cannot move below itself");
    }
    List<MailboxState> moving = new ArrayList<>();
    for (MailboxState b : state.mailboxes()) {
      if (b == source || MailboxNames.isInferior(b.name, f)) {
        moving.add(b); // in id order, the locking order
      }
    }
    if (moving.isEmpty()) {
      throw new StoreException("no such mailbox " + f);
    }
    var newNames = new LinkedHashMap<MailboxState, String>();
    for (MailboxState b : moving) {
      String newName = MailboxNames.checked(t + b.name.substring(f.length()));
      if (state.mailbox(newName) != null) {
        throw new StoreException("cannot rename " + f + " to " + t + ": mailbox " + newName + " already exists");
      }
      newNames.put(b, newName);
    }
    CompletableFuture<Void> done;
    moving.forEach(b -> b.lock.lock());
    try {
      long epoch = committer.epoch();
      if (source != null && !source.refresh(engine, epoch)) {
        throw new StoreException("no such mailbox " + f);
      }
      var batch = new WriteBatch();
      var events = new ArrayList<MailboxEvent>();
      var renamed = new LinkedHashMap<MailboxState, MailboxInfo>();
      for (MailboxState b : moving) {
        if (!b.refresh(engine, epoch)) {
          continue; // deleted meanwhile
        }
        String oldName = b.name;
        String newName = newNames.get(b);
        boolean wasSubscribed = subscribed(user, oldName);
        MailboxInfo record = b.next.withName(newName).withSubscribed(wasSubscribed || subscribed(user, newName));
        Batches.delete(batch, engine.mailboxes, Keys.mailbox(user, oldName));
        index.deleteMailbox(batch, user, oldName);
        put(batch, engine.mailboxes, Keys.mailbox(user, newName), RecordCodec.encodeMailbox(record));
        index.putMailbox(batch, user, newName);
        if (wasSubscribed) {
          Batches.delete(batch, engine.meta, Keys.subscription(user, oldName));
          put(batch, engine.meta, Keys.subscription(user, newName), RecordCodec.encodeSubscription());
        }
        events.add(event(b.next, Kind.RENAMED));
        events.add(event(record, Kind.CREATED));
        renamed.put(b, record);
      }
      var created = new ArrayList<MailboxInfo>();
      for (String superior : fragmentsOnly ? List.<String>of() : MailboxNames.superiors(t)) {
        if (state.mailbox(superior) == null) {
          created.add(newMailbox(batch, user, superior, Set.of(), null));
        }
      }
      putCounters(batch);
      created.forEach(b -> events.add(event(b, Kind.CREATED)));
      renamed.forEach((b, record) -> {
        state.remove(b.name, b);
        b.name = record.name();
        b.next = record;
      });
      renamed.keySet().forEach(state::add);
      created.forEach(b -> state.add(new MailboxState(b, epoch)));
      done = committer.submit(batch, epoch, null, notifier.publisher(events));
    } finally {
      moving.reversed().forEach(b -> b.lock.unlock());
    }
    commit(user, done);
  }

  /**
   * RENAME INBOX (RFC 9051 section 6.3.6): its messages move to a new mailbox {@code to}, with new
   * UIDs in their old order and a new UIDVALIDITY; INBOX stays, empty, and its inferiors stay.
   */
  private void renameInbox(String user, UserState state, MailboxState inbox, String to) {
    CompletableFuture<Void> done;
    inbox.lock.lock();
    try {
      // Wait until INBOX's queued batches are written, so that reading the database sees all its messages.
      await(committer.submit(new WriteBatch(), committer.epoch(), null));
      long epoch = committer.epoch();
      if (!inbox.refresh(engine, epoch)) {
        throw new StoreException("no such mailbox INBOX");
      }
      var batch = new WriteBatch();
      var created = new ArrayList<MailboxInfo>();
      for (String superior : MailboxNames.superiors(to)) {
        if (state.mailbox(superior) == null) {
          created.add(newMailbox(batch, user, superior, Set.of(), null));
        }
      }
      MailboxInfo target = newMailbox(batch, user, to, Set.of(), null);
      List<MessageMeta> moved = messages.all(inbox);
      long modSeq = target.highestModSeq() + 1;
      long uid = target.uidNext();
      long bytes = 0;
      var newUids = new ArrayList<Long>();
      var oldUids = new ArrayList<Long>();
      for (MessageMeta m : moved) {
        byte[] body = messages.body(inbox.id, m.uid());
        if (body == null) {
          continue;
        }
        messages.put(batch, target.id(), new MessageMeta(uid, m.internalDate(), m.size(), m.flags(), modSeq, m.crc32c()),
            body, messages.derived(inbox.id, m.uid()));
        messages.remove(batch, inbox.id, m.uid());
        oldUids.add(m.uid());
        newUids.add(uid++);
        bytes += m.size();
      }
      var events = new ArrayList<MailboxEvent>();
      created.forEach(b -> events.add(event(b, Kind.CREATED)));
      if (!oldUids.isEmpty()) {
        target = target.withCounters(uid, modSeq, newUids.size(), bytes);
        MailboxInfo emptied = inbox.next.withCounters(inbox.next.uidNext(), inbox.next.highestModSeq() + 1,
            inbox.next.messageCount() - oldUids.size(), inbox.next.totalBytes() - bytes);
        expunges.record(batch, inbox, oldUids, emptied.highestModSeq());
        put(batch, engine.mailboxes, Keys.mailbox(user, MailStore.INBOX), RecordCodec.encodeMailbox(emptied));
        inbox.next = emptied;
        inbox.pendingRemovals.addAll(oldUids);
        events.add(new MailboxEvent(user, MailStore.INBOX, Kind.EXPUNGED, List.copyOf(oldUids), emptied.highestModSeq()));
      }
      put(batch, engine.mailboxes, Keys.mailbox(user, to), RecordCodec.encodeMailbox(target));
      putCounters(batch);
      events.add(event(target, Kind.CREATED));
      if (!newUids.isEmpty()) {
        events.add(new MailboxEvent(user, to, Kind.APPENDED, List.copyOf(newUids), target.highestModSeq()));
      }
      created.forEach(b -> state.add(new MailboxState(b, epoch)));
      state.add(new MailboxState(target, epoch));
      done = committer.submit(batch, epoch, () -> oldUids.forEach(inbox.pendingRemovals::remove),
          notifier.publisher(events));
    } finally {
      inbox.lock.unlock();
    }
    commit(user, done);
  }

  /**
   * Replaces a mailbox's SPECIAL-USE attributes: a replica of the catalog takes them from the
   * image of the profile ({@link MailStore#importProfile}); false when the mailbox is not here.
   */
  boolean setSpecialUse(String user, String name, Set<String> specialUse) {
    UserState state = knownUser(user);
    MailboxState box = state.mailbox(MailboxNames.canonical(name));
    if (box == null) {
      return false;
    }
    Set<String> uses = checkedSpecialUse(specialUse);
    CompletableFuture<Void> done;
    box.lock.lock();
    try {
      long epoch = committer.epoch();
      if (!box.refresh(engine, epoch) || box.next.specialUse().equals(uses)) {
        return box.next.specialUse().equals(uses);
      }
      MailboxInfo b = box.next;
      box.next = new MailboxInfo(b.id(), b.user(), b.name(), b.uidValidity(), b.uidNext(), b.highestModSeq(),
          b.messageCount(), b.totalBytes(), uses, b.subscribed());
      var batch = new WriteBatch();
      put(batch, engine.mailboxes, Keys.mailbox(user, b.name()), RecordCodec.encodeMailbox(box.next));
      done = committer.submit(batch, epoch, null);
    } finally {
      box.lock.unlock();
    }
    commit(user, done);
    return true;
  }

  void setSubscribed(String user, String name, boolean subscribe) {
    UserState state = knownUser(user);
    String n = subscribe ? MailboxNames.checked(name) : MailboxNames.canonical(name);
    var batch = new WriteBatch();
    if (subscribe) {
      put(batch, engine.meta, Keys.subscription(user, n), RecordCodec.encodeSubscription());
    } else {
      Batches.delete(batch, engine.meta, Keys.subscription(user, n));
    }
    MailboxState box = state.mailbox(n);
    CompletableFuture<Void> done;
    if (box == null) {
      done = committer.submit(batch, committer.epoch(), null);
    } else {
      box.lock.lock();
      try {
        long epoch = committer.epoch();
        if (box.refresh(engine, epoch) && box.next.subscribed() != subscribe) {
          box.next = box.next.withSubscribed(subscribe);
          put(batch, engine.mailboxes, Keys.mailbox(user, n), RecordCodec.encodeMailbox(box.next));
        }
        done = committer.submit(batch, epoch, null);
      } finally {
        box.lock.unlock();
      }
    }
    commit(user, done);
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * Adds a new, empty mailbox record to {@code batch}; subscribed as given, or when null, when a
   * subscription of its name exists.
   */
  private MailboxInfo newMailbox(WriteBatch batch, String user, String name, Set<String> specialUse, Boolean subscribed) {
    return newMailbox(batch, user, name, specialUse, subscribed, nextUidValidity());
  }

  private MailboxInfo newMailbox(WriteBatch batch, String user, String name, Set<String> specialUse, Boolean subscribed,
      long uidValidity) {
    boolean sub = subscribed != null ? subscribed : subscribed(user, name);
    var box = new MailboxInfo(nextMailboxId++, user, name, uidValidity, 1, 1, 0, 0, specialUse, sub);
    put(batch, engine.mailboxes, Keys.mailbox(user, name), RecordCodec.encodeMailbox(box));
    index.putMailbox(batch, user, name);
    if (subscribed != null && subscribed) {
      put(batch, engine.meta, Keys.subscription(user, name), RecordCodec.encodeSubscription());
    }
    return box;
  }

  private void putCounters(WriteBatch batch) {
    put(batch, engine.meta, Keys.NEXT_MAILBOX_ID, RecordCodec.encodeCounter(nextMailboxId));
    put(batch, engine.meta, Keys.LAST_UID_VALIDITY, RecordCodec.encodeCounter(lastUidValidity));
  }

  private long nextUidValidity() {
    // Seconds since the epoch read well in logs, and the counter keeps a re-created mailbox
    // from getting the same value within one second.
    lastUidValidity = Math.max(Instant.now().getEpochSecond(), lastUidValidity + 1);
    return lastUidValidity;
  }

  /** Whether a subscription exists; subscription changes are serialized and waited for, so live reads are exact. */
  private boolean subscribed(String user, String name) {
    return engine.get(engine.meta, Keys.subscription(user, name)) != null;
  }

  private UserState knownUser(String user) {
    UserState state = users.apply(user);
    if (state == null || state.deleted) {
      throw new StoreException("unknown user " + user);
    }
    return state;
  }

  private static Set<String> checkedSpecialUse(Set<String> specialUse) {
    if (specialUse == null) {
      return Set.of();
    }
    for (String use : specialUse) {
      if (use == null || use.length() < 2 || use.charAt(0) != '\\' || use.chars().anyMatch(c -> c <= 0x20 || c > 0x7e)) {
        throw new StoreException("invalid SPECIAL-USE attribute '" + use + "': expected a flag such as \\Sent");
      }
    }
    return Set.copyOf(specialUse);
  }

  private void commit(String user, CompletableFuture<Void> done) {
    try {
      await(done);
    } catch (StoreException e) {
      invalidate.accept(user);
      throw e;
    }
  }

  private static MailboxEvent event(MailboxInfo box, Kind kind) {
    return new MailboxEvent(box.user(), box.name(), kind, List.of(), box.highestModSeq());
  }

  private static Map<String, String> defaults() {
    var map = new LinkedHashMap<String, String>();
    map.put("Sent", "\\Sent");
    map.put("Drafts", "\\Drafts");
    map.put("Trash", "\\Trash");
    map.put("Junk", "\\Junk");
    map.put("Archive", "\\Archive");
    return java.util.Collections.unmodifiableMap(map);
  }
}
