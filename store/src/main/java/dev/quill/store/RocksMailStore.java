package dev.quill.store;

import static dev.quill.store.Batches.delete;
import static dev.quill.store.Batches.deleteRange;
import static dev.quill.store.Batches.put;
import static dev.quill.store.GroupCommitter.await;

import dev.quill.store.MailboxEvent.Kind;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link MailStore} of one node, on RocksDB in one data directory.
 *
 * <pre>
 * try (var store = RocksMailStore.open(Path.of("/var/lib/quill/store"), StoreOptions.defaults())) {
 *   store.addDomain("example.org");
 *   store.addUser("ann@example.org", password);
 *   store.deliver(List.of("ann@example.org"), MailStore.INBOX, bytes, Instant.now()).join();
 * }
 * </pre>
 *
 * <p><b>Writes</b> are built as RocksDB write batches and handed to the {@link GroupCommitter},
 * whose one thread writes them and shares a WAL sync among all batches queued meanwhile. A
 * delivery to several users is one batch, so all copies become durable together or not at all.
 * UIDs are allocated under a per-mailbox lock that is held until the batch is queued, so batches
 * reach the log in UID order, and the mailbox record (next UID, counters) is written in the same
 * batch as the message.
 *
 * <p><b>Reads</b> of mailboxes and messages go through the newest {@link DurableView}: they show
 * only what has been synced. Domain, user and alias changes are synchronous and serialized.
 *
 * <p><b>Integrity.</b> Besides RocksDB's block checksums, each message record holds the CRC32C of
 * its bytes; {@link #readMessage} checks it and moves a failing message to quarantine.
 *
 * <p><b>IMAP.</b> The set of mailboxes and subscriptions is managed by the {@link MailboxCatalog},
 * message parts by {@link MessageRecords}, the QRESYNC expunge log by {@link ExpungeLog}, and
 * {@link #watch} listeners by the {@link ChangeNotifier}, which the commit thread feeds after each
 * sync. Flag changes and removals queued but not yet written are kept in the {@link MailboxState}
 * so that the next writer builds on them.
 *
 * <p>A delivery to a mailbox the user does not have goes to the user's INBOX, as Sieve's implicit
 * keep would. A user listed twice in one delivery gets one copy and one result.
 *
 * <p><b>Disk full, I/O errors.</b> The {@link StorageHealth} probes the free space of the store's
 * disk: below {@link StoreOptions#minFreeBytes()} the writes that add messages (deliver, append,
 * copy, storeAssigned) are refused before anything is written, while flag changes, deletions and the
 * rest go on. A write RocksDB itself fails for lack of space or with an I/O error fails with a
 * {@link StorageUnavailableException}; nothing acknowledged is lost, reads go on, and writes resume
 * without a restart once RocksDB has recovered.
 */
public final class RocksMailStore implements MailStore {
  private static final Logger log = LoggerFactory.getLogger(RocksMailStore.class);
  /** The highest UID IMAP allows: a 32-bit nz-number (RFC 9051). */
  private static final long MAX_UID = 0xffff_ffffL;

  private final Path dir;
  private final RocksEngine engine;
  private final ExecutorService completer;
  private final GroupCommitter committer;
  private final StorageHealth health;
  private final PasswordHasher hasher;
  private final CredentialCache credentials;

  /** Cached user states; deleted users stay as tombstones until re-created. */
  private final Map<String, UserState> userStates = new java.util.concurrent.ConcurrentHashMap<>();
  /** Serializes domain, user and alias changes, which check then act on the meta records. */
  private final ReentrantLock metaLock = new ReentrantLock();
  /** Read-held by every call, write-held by close, so close waits for calls in progress. */
  private final ReentrantReadWriteLock closeLock = new ReentrantReadWriteLock();
  private volatile boolean closed;

  private final MessageRecords records;
  private final ExpungeLog expungeLog;
  /** Users and mailboxes by user hash, for {@link #fragments}; maintained in the batches of the records. */
  private final HashIndex index;
  private final ChangeNotifier notifier = new ChangeNotifier();
  /** Mailbox creation, deletion, renaming and subscriptions; called under {@link #metaLock}. */
  private final MailboxCatalog catalog;

  private final AtomicLong messagesStored = new AtomicLong();
  private final AtomicLong quarantined = new AtomicLong();

  private RocksMailStore(Path dir, RocksEngine engine, StorageHealth health, PasswordHasher hasher, StoreOptions options,
      int expungeLogLimit) {
    this.dir = dir;
    this.engine = engine;
    this.health = health;
    this.hasher = hasher;
    this.credentials = new CredentialCache(options.authCacheTtl(), options.authCacheSize());
    this.completer = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("quill-store-complete-", 0).factory());
    this.committer = new GroupCommitter(engine.db, engine::publishView, completer, health);
    this.records = new MessageRecords(engine);
    this.expungeLog = new ExpungeLog(engine, expungeLogLimit);
    this.index = new HashIndex(engine);
    this.catalog = new MailboxCatalog(engine, committer, records, expungeLog, index, notifier, this::userState,
        this::invalidate);
    this.quarantined.set(engine.count(engine.quarantine));
  }

  /**
   * Opens (creating if needed) the store in {@code dir}.
   *
   * @throws StoreException if the directory is in use by another process or cannot be opened
   */
  public static RocksMailStore open(Path dir, StoreOptions options) {
    return open(dir, options, ExpungeLog.DEFAULT_LIMIT);
  }

  /** Opens the store keeping at most about {@code expungeLogLimit} expunged UIDs per mailbox (tests). */
  static RocksMailStore open(Path dir, StoreOptions options, int expungeLogLimit) {
    Objects.requireNonNull(options, "options");
    StorageHealth health = new StorageHealth(dir, options.minFreeBytes());
    RocksEngine engine = RocksEngine.open(dir, options, health.listener());
    RocksMailStore store;
    try {
      PasswordHasher hasher = options.hashIterations() > 0
          ? PasswordHasher.withIterations(options.hashIterations())
          : PasswordHasher.calibrated(options.minHashTime());
      store = new RocksMailStore(dir, engine, health, hasher, options, expungeLogLimit);
    } catch (RuntimeException e) {
      engine.close();
      throw e;
    }
    health.start();
    try {
      store.catalog.upgradeRecords();
      store.index.buildIfMissing(store.committer);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    log.info("store {} opened: PBKDF2 iterations {}", dir, store.hasher.iterations());
    return store;
  }

  /** Opens the store in {@code dir} with {@link StoreOptions#defaults()}. */
  public static RocksMailStore open(Path dir) {
    return open(dir, StoreOptions.defaults());
  }

  /** The PBKDF2 iteration count used for new password hashes. */
  public int hashIterations() {
    return hasher.iterations();
  }

  // ---- Versions of replicated records, profile images ------------------------------------------

  @Override
  public long version(Versioned kind, String name) {
    String n = Addresses.normalize(name);
    return read(() -> versionHere(kind, n));
  }

  @Override
  public void setVersion(Versioned kind, String name, long stamp) {
    String n = Addresses.normalize(name);
    mutate(() -> {
      var batch = new WriteBatch();
      put(batch, engine.meta, Keys.version(kind, n), RecordCodec.encodeLong(stamp));
      commitAndWait(batch);
      return null;
    });
  }

  @Override
  public Map<String, Long> versions(Versioned kind) {
    return read(() -> {
      var versions = new TreeMap<String, Long>();
      byte[] prefix = Keys.versionsOf(kind);
      engine.scan(engine.meta, null, prefix, Keys.endOfPrefix(prefix),
          (k, v) -> versions.put(Keys.versionedNameOf(k), RecordCodec.decodeLong(v)));
      return versions;
    });
  }

  @Override
  public boolean pruneTombstone(Versioned kind, String name, long stamp) {
    String n = Addresses.normalize(name);
    return mutate(() -> {
      byte[] record = engine.get(engine.meta, switch (kind) {
        case PROFILE -> Keys.user(n);
        case DOMAIN -> Keys.domain(n);
        case ALIAS -> Keys.alias(n);
      });
      if (record != null || versionHere(kind, n) != stamp) {
        return false;
      }
      var batch = new WriteBatch();
      delete(batch, engine.meta, Keys.version(kind, n));
      commitAndWait(batch);
      return true;
    });
  }

  @Override
  public Optional<ProfileImage> exportProfile(String user) {
    String a = Addresses.normalize(user);
    return read(() -> {
      long version = versionHere(Versioned.PROFILE, a);
      Optional<UserProfile> profile = Optional.ofNullable(engine.get(engine.meta, Keys.user(a)))
          .map(RecordCodec::decodeUser);
      if (profile.isEmpty()) {
        return version == 0 ? Optional.empty()
            : Optional.of(new ProfileImage(a, version, Optional.empty(), List.of(), Set.of()));
      }
      var boxes = new ArrayList<ProfileImage.Mailbox>();
      for (MailboxInfo b : mailboxes(a)) {
        byte[] r = engine.get(engine.meta, Keys.reservation(b.id()));
        WatermarkReservation w = r == null ? WatermarkReservation.NONE : RecordCodec.decodeReservation(r);
        boolean same = w.uidValidity() == b.uidValidity();
        boxes.add(new ProfileImage.Mailbox(b.name(), b.uidValidity(), b.specialUse(), same ? w.uid() : 0,
            same ? w.modSeq() : 0));
      }
      return Optional.of(new ProfileImage(a, version, profile, boxes, subscriptions(a)));
    });
  }

  @Override
  public boolean importProfile(ProfileImage image) {
    String a = checkedAddress(image.address());
    boolean applied = mutate(() -> {
      if (image.version() <= versionHere(Versioned.PROFILE, a)) {
        return false;
      }
      if (image.tombstone()) {
        UserState held = userState(a);
        if (held != null && !held.deleted && held.profile != null) {
          deleteUser(a);
        }
      } else {
        importProfileRecord(a, image);
      }
      var batch = new WriteBatch();
      put(batch, engine.meta, Keys.version(Versioned.PROFILE, a), RecordCodec.encodeLong(image.version()));
      commitAndWait(batch);
      return true;
    });
    credentials.invalidate(a);
    return applied;
  }

  @Override
  public boolean dropProfile(String user, long stamp) {
    String a = Addresses.normalize(user);
    boolean dropped = mutate(() -> {
      if (stamp == 0 || engine.get(engine.meta, Keys.user(a)) == null || versionHere(Versioned.PROFILE, a) != stamp) {
        return false;
      }
      UserState state = userState(a);
      List<MailboxState> boxes = state == null ? List.of() : state.mailboxes();
      boxes.forEach(b -> b.lock.lock());
      try {
        var batch = new WriteBatch();
        delete(batch, engine.meta, Keys.user(a));
        index.deleteProfile(batch, a);
        delete(batch, engine.meta, Keys.version(Versioned.PROFILE, a));
        for (MailboxState b : boxes) {
          loadReservation(b);
          if (b.reservation.holders().isPresent()) {
            WatermarkReservation r = b.reservation;
            b.reservation = new WatermarkReservation(r.uidValidity(), r.uid(), r.modSeq(), Optional.empty());
            put(batch, engine.meta, Keys.reservation(b.id), RecordCodec.encodeReservation(b.reservation));
          }
        }
        try {
          commitAndWait(batch);
        } catch (StoreException e) {
          userStates.remove(a); // not known to be dropped: reload from the store on next use
          throw e;
        }
        if (state != null) {
          state.profile = null;
          if (boxes.isEmpty()) {
            userStates.remove(a, state);
          }
        }
        return true;
      } finally {
        boxes.reversed().forEach(b -> b.lock.unlock());
      }
    });
    credentials.invalidate(a);
    return dropped;
  }

  /** The user record, the catalog's missing mailboxes, SPECIAL-USE, subscriptions and reservations of an image. */
  private void importProfileRecord(String a, ProfileImage image) {
    UserProfile profile = image.profile().orElseThrow();
    UserProfile record = new UserProfile(a, profile.passwordHash(), profile.quotaBytes(), profile.created());
    var batch = new WriteBatch();
    put(batch, engine.meta, Keys.user(a), RecordCodec.encodeUser(record));
    index.putProfile(batch, a);
    commitAndWait(batch);
    UserState held = userState(a);
    if (held != null && held.deleted) {
      userStates.remove(a, held); // a deleted user's tombstone state: reload with the new profile
    } else if (held != null) {
      held.profile = record;
    }
    for (ProfileImage.Mailbox m : image.mailboxes()) {
      UserState state = userState(a);
      MailboxState box = state == null ? null : state.mailbox(m.name());
      if (box == null) {
        fragment(a, m.name(), m.uidValidity());
      } else if (box.next.uidValidity() != m.uidValidity()) {
        log.warn("profile image of {}: {} has UIDVALIDITY {} there, {} here; the fragment here is kept", a, m.name(),
            m.uidValidity(), box.next.uidValidity());
        continue;
      }
      catalog.setSpecialUse(a, m.name(), m.specialUse());
      if (m.reservedUid() > 0 || m.reservedModSeq() > 0) {
        await(reserveWatermarks(a, m.name(), m.uidValidity(), m.reservedUid(), m.reservedModSeq()));
      }
    }
    Set<String> subscribed = subscriptions(a);
    for (String name : image.subscriptions()) {
      if (!subscribed.contains(name)) {
        catalog.setSubscribed(a, name, true);
      }
    }
    for (String name : subscribed) {
      if (!image.subscriptions().contains(name)) {
        catalog.setSubscribed(a, name, false);
      }
    }
  }

  private long versionHere(Versioned kind, String name) {
    byte[] v = engine.get(engine.meta, Keys.version(kind, name));
    return v == null ? 0 : RecordCodec.decodeLong(v);
  }

  // ---- Domains -------------------------------------------------------------------------------

  @Override
  public boolean addDomain(String domain) {
    String d = checkedDomain(domain);
    return mutate(() -> {
      if (engine.get(engine.meta, Keys.domain(d)) != null) {
        return false;
      }
      var batch = new WriteBatch();
      put(batch, engine.meta, Keys.domain(d), RecordCodec.encodeDomain(Instant.now()));
      commitAndWait(batch);
      return true;
    });
  }

  @Override
  public boolean deleteDomain(String domain) {
    String d = Addresses.normalize(domain);
    return mutate(() -> {
      if (engine.get(engine.meta, Keys.domain(d)) == null) {
        return false;
      }
      long users = metaNames(Keys.USER).stream().filter(a -> Addresses.domainOf(a).equals(d)).count();
      long aliases = metaNames(Keys.ALIAS).stream().filter(a -> Addresses.domainOf(a).equals(d)).count();
      if (users > 0 || aliases > 0) {
        throw new StoreException("domain " + d + " still has " + users + " user(s) and " + aliases
            + " alias(es); delete them first");
      }
      var batch = new WriteBatch();
      delete(batch, engine.meta, Keys.domain(d));
      commitAndWait(batch);
      return true;
    });
  }

  @Override
  public List<String> domains() {
    return read(() -> metaNames(Keys.DOMAIN));
  }

  @Override
  public boolean hasDomain(String domain) {
    String d = Addresses.normalize(domain);
    return read(() -> engine.get(engine.meta, Keys.domain(d)) != null);
  }

  // ---- Users ---------------------------------------------------------------------------------

  @Override
  public UserProfile addUser(String address, char[] password) {
    String a = checkedAddress(address);
    String hash = hasher.hash(checkedPassword(password)); // the slow part, outside the lock
    return mutate(() -> {
      String domain = Addresses.domainOf(a);
      if (engine.get(engine.meta, Keys.domain(domain)) == null) {
        throw new StoreException("cannot add user " + a + ": unknown domain " + domain + "; add the domain first");
      }
      if (engine.get(engine.meta, Keys.user(a)) != null) {
        throw new StoreException("cannot add user " + a + ": the user already exists");
      }
      byte[] alias = engine.get(engine.meta, Keys.alias(a));
      if (alias != null) {
        throw new StoreException("cannot add user " + a + ": it is an alias of " + RecordCodec.decodeAlias(alias)
            + "; delete the alias first");
      }
      var profile = new UserProfile(a, hash, 0, Instant.now());
      // Fragments of this user may be here already, stored for a manager while the profile was elsewhere.
      UserState held = userState(a);
      UserState live = held == null || held.deleted ? null : held;
      var batch = new WriteBatch();
      put(batch, engine.meta, Keys.user(a), RecordCodec.encodeUser(profile));
      index.putProfile(batch, a);
      List<MailboxInfo> created = catalog.addDefaults(batch, a, live == null ? Set.of() : live.mailboxNames());
      if (live == null) {
        try {
          commitAndWait(batch);
        } finally {
          userStates.remove(a); // drop a tombstone of an earlier user of this name; reload lazily
        }
        return profile;
      }
      // Its fragments' states are in use: keep them (one lock per mailbox) and add the new mailboxes.
      long epoch = committer.epoch();
      try {
        await(committer.submit(batch, epoch, null));
      } catch (StoreException e) {
        invalidate(a);
        throw e;
      }
      created.forEach(b -> live.add(new MailboxState(b, epoch)));
      live.profile = profile;
      return profile;
    });
  }

  @Override
  public void setPassword(String address, char[] password) {
    String a = Addresses.normalize(address);
    String hash = hasher.hash(checkedPassword(password));
    updateProfile(a, p -> new UserProfile(p.address(), hash, p.quotaBytes(), p.created()));
    credentials.invalidate(a);
  }

  @Override
  public void setQuota(String address, long quotaBytes) {
    if (quotaBytes < 0) {
      throw new StoreException("quota must be 0 (unlimited) or positive, was " + quotaBytes);
    }
    String a = Addresses.normalize(address);
    updateProfile(a, p -> new UserProfile(p.address(), p.passwordHash(), quotaBytes, p.created()));
  }

  @Override
  public boolean deleteUser(String address) {
    String a = Addresses.normalize(address);
    boolean deleted = mutate(() -> {
      // The profile, or only fragments of the user's mailboxes held here for a cluster manager.
      UserState user = userState(a);
      if (user == null || user.deleted) {
        return false;
      }
      List<MailboxState> boxes = user.mailboxes();
      CompletableFuture<Void> done;
      boxes.forEach(b -> b.lock.lock());
      try {
        var batch = new WriteBatch();
        delete(batch, engine.meta, Keys.user(a));
        index.deleteUser(batch, a);
        for (MailboxState b : boxes) {
          delete(batch, engine.mailboxes, Keys.mailbox(a, b.name));
          records.removeAll(batch, b.id);
          expungeLog.deleteAll(batch, b.id);
          delete(batch, engine.meta, Keys.reservation(b.id));
          b.deleted = true;
        }
        byte[] subscriptions = Keys.subscriptionsOf(a);
        deleteRange(batch, engine.meta, subscriptions, Keys.endOfPrefix(subscriptions));
        metaEntries(Keys.ALIAS).forEach((alias, value) -> {
          if (RecordCodec.decodeAlias(value).equals(a)) {
            delete(batch, engine.meta, Keys.alias(alias));
          }
        });
        user.deleted = true;
        done = committer.submit(batch, committer.epoch(), null);
      } finally {
        boxes.reversed().forEach(b -> b.lock.unlock());
      }
      try {
        await(done);
      } catch (StoreException e) {
        userStates.remove(a); // not known to be deleted: reload from the store on next use
        throw e;
      }
      return true;
    });
    credentials.invalidate(a);
    return deleted;
  }

  @Override
  public List<UserProfile> users() {
    return read(() -> {
      var users = new ArrayList<UserProfile>();
      metaEntries(Keys.USER).values().forEach(v -> users.add(RecordCodec.decodeUser(v)));
      users.sort(Comparator.comparing(UserProfile::address));
      return users;
    });
  }

  @Override
  public Optional<UserProfile> user(String address) {
    String a = Addresses.normalize(address);
    return read(() -> Optional.ofNullable(engine.get(engine.meta, Keys.user(a))).map(RecordCodec::decodeUser));
  }

  @Override
  public boolean authenticate(String address, char[] password) {
    if (address == null || password == null) {
      return false;
    }
    String a = Addresses.normalize(address);
    return read(() -> {
      byte[] record = engine.get(engine.meta, Keys.user(a));
      if (record == null) {
        return hasher.verifyAgainstDummy(password);
      }
      String hash = RecordCodec.decodeUser(record).passwordHash();
      if (credentials.matches(a, hash, password)) {
        return true;
      }
      boolean ok = hasher.verify(password, hash);
      if (ok) {
        credentials.remember(a, hash, password);
      }
      return ok;
    });
  }

  // ---- Aliases -------------------------------------------------------------------------------

  @Override
  public void addAlias(String alias, String target) {
    storeAlias(alias, target, true);
  }

  @Override
  public void putAlias(String alias, String target) {
    storeAlias(alias, target, false);
  }

  /** Adds alias → target; {@code targetHere}: the target must be a user of this store (else it may live on another node). */
  private void storeAlias(String alias, String target, boolean targetHere) {
    String al = checkedAddress(alias);
    String t = checkedAddress(target);
    mutate(() -> {
      String domain = Addresses.domainOf(al);
      if (engine.get(engine.meta, Keys.domain(domain)) == null) {
        throw new StoreException("cannot add alias " + al + ": " + domain + " is not a local domain");
      }
      if (engine.get(engine.meta, Keys.user(al)) != null) {
        throw new StoreException("cannot add alias " + al + ": it collides with the user " + al);
      }
      if (targetHere && engine.get(engine.meta, Keys.user(t)) == null) {
        throw new StoreException("cannot add alias " + al + ": its target " + t + " is not a local user");
      }
      byte[] existing = engine.get(engine.meta, Keys.alias(al));
      if (existing != null) {
        String old = RecordCodec.decodeAlias(existing);
        if (old.equals(t)) {
          return null;
        }
        throw new StoreException("cannot add alias " + al + ": it already points to " + old);
      }
      var batch = new WriteBatch();
      put(batch, engine.meta, Keys.alias(al), RecordCodec.encodeAlias(t));
      commitAndWait(batch);
      return null;
    });
  }

  @Override
  public Optional<String> aliasTarget(String alias) {
    String al = Addresses.normalize(alias);
    return read(() -> {
      byte[] target = engine.get(engine.meta, Keys.alias(al));
      return target == null ? Optional.empty() : Optional.of(RecordCodec.decodeAlias(target));
    });
  }

  @Override
  public boolean deleteAlias(String alias) {
    String al = Addresses.normalize(alias);
    return mutate(() -> {
      if (engine.get(engine.meta, Keys.alias(al)) == null) {
        return false;
      }
      var batch = new WriteBatch();
      delete(batch, engine.meta, Keys.alias(al));
      commitAndWait(batch);
      return true;
    });
  }

  @Override
  public Map<String, String> aliases() {
    return read(() -> {
      var aliases = new TreeMap<String, String>();
      metaEntries(Keys.ALIAS).forEach((alias, value) -> aliases.put(alias, RecordCodec.decodeAlias(value)));
      return aliases;
    });
  }

  @Override
  public Optional<String> resolveRecipient(String address) {
    String a = Addresses.normalize(address);
    return read(() -> {
      if (engine.get(engine.meta, Keys.user(a)) != null) {
        return Optional.of(a);
      }
      byte[] alias = engine.get(engine.meta, Keys.alias(a));
      if (alias == null) {
        return Optional.empty();
      }
      String target = RecordCodec.decodeAlias(alias);
      return engine.get(engine.meta, Keys.user(target)) != null ? Optional.of(target) : Optional.empty();
    });
  }

  // ---- Mail ----------------------------------------------------------------------------------

  /** One recipient of a delivery, resolved to its state (null when unknown). */
  private record Target(int index, String user, UserState state, MailboxState box) {}

  @Override
  public CompletableFuture<List<DeliveryResult>> deliver(
      Collection<String> users, String mailbox, byte[] message, Instant internalDate) {
    return deliver(users, mailbox, message, internalDate, null);
  }

  @Override
  public CompletableFuture<List<DeliveryResult>> deliver(
      Collection<String> users, String mailbox, byte[] message, Instant internalDate, MessageDerived derived) {
    Objects.requireNonNull(users, "users");
    Objects.requireNonNull(message, "message");
    String name = mailbox == null ? INBOX : MailboxNames.canonical(mailbox);
    Instant date = internalDate != null ? internalDate : Instant.now();
    int crc = crc32c(message);
    var recipients = new LinkedHashSet<String>();
    users.forEach(u -> recipients.add(Addresses.normalize(u)));

    enter();
    try {
      try {
        health.checkRoomForMail();
      } catch (StorageUnavailableException e) {
        return CompletableFuture.failedFuture(e);
      }
      var targets = new ArrayList<Target>(recipients.size());
      for (String user : recipients) {
        UserState state = userState(user);
        MailboxState box = state == null ? null : state.mailbox(name);
        if (box == null && state != null) {
          box = state.mailbox(INBOX);
        }
        targets.add(new Target(targets.size(), user, state, box));
      }
      List<MailboxState> locked = targets.stream().map(Target::box).filter(Objects::nonNull)
          .distinct().sorted(Comparator.comparingLong(b -> b.id)).toList();
      var results = new DeliveryResult[targets.size()];
      int stored = 0;
      CompletableFuture<Void> durable = null;
      locked.forEach(b -> b.lock.lock());
      try {
        record Saved(MailboxInfo next, long epoch) {}
        List<Saved> saved = locked.stream().map(b -> new Saved(b.next, b.loadedInEpoch)).toList();
        long epoch = committer.epoch();
        WriteBatch batch = new WriteBatch();
        var events = new ArrayList<MailboxEvent>();
        try {
          for (Target t : targets) {
            results[t.index] = deliverOne(batch, t, epoch, message, date, crc, derived, events);
            if (results[t.index].status() == DeliveryResult.Status.STORED) {
              stored++;
            }
          }
        } catch (RuntimeException e) {
          batch.close();
          for (int i = 0; i < locked.size(); i++) {
            locked.get(i).next = saved.get(i).next; // nothing was queued: undo the allocations
            locked.get(i).loadedInEpoch = saved.get(i).epoch;
          }
          throw e;
        }
        if (stored > 0) {
          durable = committer.submit(batch, epoch, null, notifier.publisher(events));
        } else {
          batch.close();
        }
      } finally {
        locked.reversed().forEach(b -> b.lock.unlock());
      }
      List<DeliveryResult> list = List.of(results);
      if (durable == null) {
        return CompletableFuture.completedFuture(list);
      }
      int count = stored;
      return durable.thenApply(v -> {
        messagesStored.addAndGet(count);
        return list;
      });
    } finally {
      exit();
    }
  }

  /**
   * Refuses a write that would number a message above {@link #MAX_UID}, and starts the mailbox over in
   * the background: every message renumbered from UID 1, in order, under a higher UIDVALIDITY
   * ({@link #renumber}), which clients see as a mailbox to resynchronise (RFC 9051 2.3.1.1). UIDs are
   * never reused; the refused write may be tried again once that is done.
   */
  private StoreException usedUp(String user, String mailbox, MailboxInfo box) {
    log.warn("the UIDs of {}/{} under UIDVALIDITY {} are used up (UIDNEXT {}); renumbering it from UID 1 under a new one",
        user, mailbox, box.uidValidity(), box.uidNext());
    Thread.ofVirtual().name("quill-start-over").start(() -> startOver(user, mailbox, box.uidValidity()));
    return new StoreException("the UIDs of " + user + "/" + mailbox + " are used up; it is being renumbered under a "
        + "new UIDVALIDITY, try again");
  }

  private void startOver(String user, String mailbox, long usedUp) {
    try {
      MailboxInfo box = mailbox(user, mailbox).orElse(null);
      if (box == null || box.uidValidity() != usedUp) {
        return; // gone, or started over already
      }
      if (box.uidValidity() >= MAX_UID) {
        log.error("{}/{} cannot start over: its UIDVALIDITY is the highest there is; rename it and create it again",
            user, mailbox);
        return;
      }
      List<Long> uids = messages(user, mailbox).stream().map(MessageMeta::uid).toList();
      long uidValidity = Math.min(MAX_UID, Math.max(Instant.now().getEpochSecond(), box.uidValidity() + 1));
      renumber(new FragmentRenumbering(user, mailbox, box.uidValidity(), uidValidity, uids, 1,
          box.highestModSeq() + 1, Optional.empty())).join();
      log.info("{}/{} started over: {} messages are UIDs 1..{} of UIDVALIDITY {}", user, mailbox, uids.size(),
          uids.size(), uidValidity);
    } catch (RuntimeException e) {
      log.warn("{}/{} could not start over now (the next write tries again): {}", user, mailbox, e.toString());
    }
  }

  /** Adds one recipient's copy to {@code batch}; the caller holds the mailbox lock. */
  private DeliveryResult deliverOne(WriteBatch batch, Target t, long epoch, byte[] message, Instant date, int crc,
      MessageDerived derived, List<MailboxEvent> events) {
    MailboxState box = t.box;
    // Without a profile here the user is not local: fragments held for a cluster manager take
    // only manager-allocated UIDs (storeAssigned), never UIDs allocated here.
    if (box == null || t.state.deleted || t.state.profile == null || !box.refresh(engine, epoch)) {
      return new DeliveryResult(t.user, DeliveryResult.Status.NO_SUCH_USER, 0);
    }
    long quota = t.state.quotaBytes();
    if (quota > 0 && t.state.reservedBytes() + message.length > quota) {
      return new DeliveryResult(t.user, DeliveryResult.Status.OVER_QUOTA, 0);
    }
    MailboxInfo before = box.next;
    long uid = before.uidNext();
    if (uid > MAX_UID) {
      throw usedUp(t.user, box.name, before);
    }
    long modSeq = before.highestModSeq() + 1;
    MailboxInfo after = before.withCounters(uid + 1, modSeq, before.messageCount() + 1, before.totalBytes() + message.length);
    records.put(batch, box.id, new MessageMeta(uid, date, message.length, Set.of(), modSeq, crc), message, derived);
    put(batch, engine.mailboxes, Keys.mailbox(box.user, box.name), RecordCodec.encodeMailbox(after));
    box.next = after;
    events.add(new MailboxEvent(box.user, box.name, Kind.APPENDED, List.of(uid), modSeq));
    return new DeliveryResult(t.user, DeliveryResult.Status.STORED, uid);
  }

  @Override
  public CompletableFuture<AppendResult> append(
      String user, String mailbox, byte[] message, Set<String> flags, Instant internalDate, MessageDerived derived) {
    Objects.requireNonNull(message, "message");
    String a = Addresses.normalize(user);
    String name = MailboxNames.canonical(mailbox);
    Instant date = internalDate != null ? internalDate : Instant.now();
    int crc = crc32c(message);
    return writing(() -> {
      health.checkRoomForMail();
      Set<String> given = Set.copyOf(Flags.normalize(flags));
      UserState state = userState(a);
      MailboxState box = existing(state, a, name);
      box.lock.lock();
      try {
        long epoch = committer.epoch();
        if (state.deleted || !box.refresh(engine, epoch)) {
          throw noSuchMailbox(a, name);
        }
        MailboxInfo before = box.next;
        long quota = state.quotaBytes();
        if (quota > 0 && state.reservedBytes() + message.length > quota) {
          return CompletableFuture.completedFuture(new AppendResult(false, before.uidValidity(), 0));
        }
        long uid = before.uidNext();
        if (uid > MAX_UID) {
          throw usedUp(a, box.name, before);
        }
        long modSeq = before.highestModSeq() + 1;
        MailboxInfo after = before.withCounters(uid + 1, modSeq, before.messageCount() + 1,
            before.totalBytes() + message.length);
        var batch = new WriteBatch();
        records.put(batch, box.id, new MessageMeta(uid, date, message.length, given, modSeq, crc), message, derived);
        put(batch, engine.mailboxes, Keys.mailbox(a, box.name), RecordCodec.encodeMailbox(after));
        box.next = after;
        var event = new MailboxEvent(a, box.name, Kind.APPENDED, List.of(uid), modSeq);
        return committer.submit(batch, epoch, null, notifier.publisher(List.of(event))).thenApply(v -> {
          messagesStored.incrementAndGet();
          return new AppendResult(true, after.uidValidity(), uid);
        });
      } finally {
        box.lock.unlock();
      }
    });
  }

  @Override
  public CompletableFuture<FlagResult> updateFlags(
      String user, String mailbox, Collection<Long> uids, FlagUpdate update) {
    return updateFlagsAt(user, mailbox, uids, update, OptionalLong.empty(), 0);
  }

  @Override
  public CompletableFuture<FlagResult> updateFlagsUnder(String user, String mailbox, long uidValidity,
      Collection<Long> uids, FlagUpdate update) {
    return updateFlagsAt(user, mailbox, uids, update, OptionalLong.empty(), requireUidValidity(uidValidity));
  }

  @Override
  public CompletableFuture<FlagResult> updateFlags(
      String user, String mailbox, Collection<Long> uids, FlagUpdate update, long modSeq) {
    return updateFlagsAt(user, mailbox, uids, update, OptionalLong.of(modSeq), 0);
  }

  @Override
  public CompletableFuture<FlagResult> updateFlags(
      String user, String mailbox, Collection<Long> uids, FlagUpdate update, long modSeq, long uidValidity) {
    return updateFlagsAt(user, mailbox, uids, update, OptionalLong.of(modSeq), uidValidity);
  }

  /**
   * A flag change under the {@code assigned} MODSEQ, or when empty under the next one allocated
   * here; refused as {@link #expungeAt} refuses when {@code uidValidity} is not 0 and not the mailbox's.
   */
  private CompletableFuture<FlagResult> updateFlagsAt(String user, String mailbox, Collection<Long> uids,
      FlagUpdate update, OptionalLong assigned, long uidValidity) {
    Objects.requireNonNull(uids, "uids");
    Objects.requireNonNull(update, "update");
    String a = Addresses.normalize(user);
    String name = MailboxNames.canonical(mailbox);
    return writing(() -> {
      Set<String> given = Flags.normalize(update.flags());
      UserState state = userState(a);
      MailboxState box = existing(state, a, name);
      box.lock.lock();
      try {
        long epoch = committer.epoch();
        if (!box.refresh(engine, epoch)) {
          throw noSuchMailbox(a, name);
        }
        if (uidValidity != 0 && box.next.uidValidity() != uidValidity) {
          throw new UidValidityChangedException(a, name, uidValidity, box.next.uidValidity());
        }
        long modSeq = nextModSeq(box, assigned);
        var updated = new ArrayList<MessageMeta>();
        var modified = new TreeSet<Long>();
        var changed = new ArrayList<MessageMeta>();
        var batch = new WriteBatch();
        for (long uid : new TreeSet<>(uids)) {
          MessageMeta m = records.current(box, uid);
          if (m == null) {
            continue;
          }
          if (update.unchangedSince() >= 0 && m.modSeq() > update.unchangedSince()) {
            modified.add(uid);
            continue;
          }
          Set<String> flags = Flags.apply(m.flags(), update.mode(), given);
          if (Flags.same(flags, m.flags())) {
            updated.add(m);
            continue;
          }
          var now = new MessageMeta(uid, m.internalDate(), m.size(), Set.copyOf(flags), modSeq, m.crc32c());
          records.putMeta(batch, box.id, now);
          changed.add(now);
          updated.add(now);
        }
        var result = new FlagResult(List.copyOf(updated), Set.copyOf(modified));
        if (changed.isEmpty()) {
          batch.close();
          return CompletableFuture.completedFuture(result);
        }
        MailboxInfo after = box.next.withCounters(box.next.uidNext(), modSeq, box.next.messageCount(),
            box.next.totalBytes());
        put(batch, engine.mailboxes, Keys.mailbox(a, box.name), RecordCodec.encodeMailbox(after));
        box.next = after;
        changed.forEach(m -> box.pendingMeta.put(m.uid(), m));
        var event = new MailboxEvent(a, box.name, Kind.FLAGS, changed.stream().map(MessageMeta::uid).toList(), modSeq);
        return committer.submit(batch, epoch, () -> changed.forEach(m -> box.pendingMeta.remove(m.uid(), m)),
            notifier.publisher(List.of(event))).thenApply(v -> result);
      } finally {
        box.lock.unlock();
      }
    });
  }

  @Override
  public CompletableFuture<CopyResult> copy(String user, String from, Collection<Long> uids, String to, boolean move) {
    return copyAt(user, from, 0, uids, to, move);
  }

  @Override
  public CompletableFuture<CopyResult> copyUnder(String user, String from, long uidValidity, Collection<Long> uids,
      String to, boolean move) {
    return copyAt(user, from, requireUidValidity(uidValidity), uids, to, move);
  }

  /** The copy, refused as {@link #expungeAt} refuses when {@code uidValidity} is not 0 and not {@code from}'s. */
  private CompletableFuture<CopyResult> copyAt(String user, String from, long uidValidity, Collection<Long> uids,
      String to, boolean move) {
    Objects.requireNonNull(uids, "uids");
    String a = Addresses.normalize(user);
    String fromName = MailboxNames.canonical(from);
    String toName = MailboxNames.canonical(to);
    return writing(() -> {
      health.checkRoomForMail();
      UserState state = userState(a);
      MailboxState source = existing(state, a, fromName);
      MailboxState target = existing(state, a, toName);
      List<MailboxState> locked = source == target ? List.of(source)
          : Stream.of(source, target).sorted(Comparator.comparingLong(b -> b.id)).toList();
      locked.forEach(b -> b.lock.lock());
      try {
        long epoch = committer.epoch();
        if (!source.refresh(engine, epoch)) {
          throw noSuchMailbox(a, fromName);
        }
        if (!target.refresh(engine, epoch)) {
          throw noSuchMailbox(a, toName);
        }
        if (uidValidity != 0 && source.next.uidValidity() != uidValidity) {
          throw new UidValidityChangedException(a, fromName, uidValidity, source.next.uidValidity());
        }
        record Found(MessageMeta meta, byte[] body) {}
        var found = new ArrayList<Found>();
        long bytes = 0;
        for (long uid : new TreeSet<>(uids)) {
          MessageMeta m = records.current(source, uid);
          byte[] body = m == null ? null : records.body(source.id, uid);
          if (body != null) {
            found.add(new Found(m, body));
            bytes += m.size();
          }
        }
        if (found.isEmpty()) {
          return CompletableFuture.completedFuture(new CopyResult(target.next.uidValidity(), List.of(), List.of()));
        }
        long quota = state.quotaBytes();
        if (!move && quota > 0 && state.reservedBytes() + bytes > quota) {
          throw new StoreException("over quota: copying " + bytes + " bytes would exceed the quota of "
              + quota + " bytes of " + a);
        }
        MailboxInfo dst = target.next;
        if (dst.uidNext() + found.size() - 1 > MAX_UID) {
          throw usedUp(a, toName, dst);
        }
        var batch = new WriteBatch();
        long modSeq = dst.highestModSeq() + 1;
        long uid = dst.uidNext();
        var sourceUids = new ArrayList<Long>();
        var targetUids = new ArrayList<Long>();
        for (Found f : found) {
          MessageMeta m = f.meta;
          records.put(batch, target.id, new MessageMeta(uid, m.internalDate(), m.size(), m.flags(), modSeq, m.crc32c()),
              f.body, records.derived(source.id, m.uid()));
          sourceUids.add(m.uid());
          targetUids.add(uid++);
        }
        dst = dst.withCounters(uid, modSeq, dst.messageCount() + found.size(), dst.totalBytes() + bytes);
        var events = new ArrayList<MailboxEvent>();
        events.add(new MailboxEvent(a, target.name, Kind.APPENDED, List.copyOf(targetUids), modSeq));
        MailboxInfo src = source == target ? dst : source.next;
        if (move) {
          src = src.withCounters(src.uidNext(), src.highestModSeq() + 1, src.messageCount() - found.size(),
              src.totalBytes() - bytes);
          sourceUids.forEach(u -> records.remove(batch, source.id, u));
          expungeLog.record(batch, source, sourceUids, src.highestModSeq());
          put(batch, engine.mailboxes, Keys.mailbox(a, source.name), RecordCodec.encodeMailbox(src));
          events.add(new MailboxEvent(a, source.name, Kind.EXPUNGED, List.copyOf(sourceUids), src.highestModSeq()));
        }
        if (source != target || !move) {
          put(batch, engine.mailboxes, Keys.mailbox(a, target.name), RecordCodec.encodeMailbox(dst));
        }
        target.next = dst;
        if (move) {
          source.next = src;
          source.pendingRemovals.addAll(sourceUids);
        }
        var result = new CopyResult(dst.uidValidity(), List.copyOf(sourceUids), List.copyOf(targetUids));
        Runnable afterWrite = move ? () -> sourceUids.forEach(source.pendingRemovals::remove) : null;
        return committer.submit(batch, epoch, afterWrite, notifier.publisher(events)).thenApply(v -> {
          messagesStored.addAndGet(found.size());
          return result;
        });
      } finally {
        locked.reversed().forEach(b -> b.lock.unlock());
      }
    });
  }

  // ---- Cluster support: fragments and manager-allocated UIDs ---------------------------------

  @Override
  public List<UserFragments> fragments(long hashFrom, long hashToExclusive) {
    var range = new HashRange(hashFrom, hashToExclusive);
    return inView(view -> index.summaries(view, range));
  }

  @Override
  public CompletableFuture<AppendResult> storeAssigned(AssignedMessage m) {
    Objects.requireNonNull(m, "m");
    String a = Addresses.normalize(m.user());
    Instant date = m.internalDate() != null ? m.internalDate() : Instant.now();
    byte[] message = m.message();
    int crc = crc32c(message);
    long uid = m.uid();
    return writing(() -> {
      health.checkRoomForMail();
      String name = MailboxNames.checked(m.mailbox());
      Set<String> flags = Set.copyOf(Flags.normalize(m.flags()));
      MailboxState box = fragment(a, name, m.uidValidity());
      UserState state = userState(a);
      box.lock.lock();
      try {
        long epoch = committer.epoch();
        if (state == null || state.deleted || state.mailbox(name) != box || !box.refresh(engine, epoch)) {
          throw new StoreException("cannot store UID " + uid + " in " + a + "/" + name
              + ": the mailbox was deleted meanwhile");
        }
        MailboxInfo before = box.next;
        if (before.uidValidity() != m.uidValidity()) {
          throw new StoreException("cannot store UID " + uid + " in " + a + "/" + name + ": UIDVALIDITY "
              + m.uidValidity() + " given, but the fragment here has " + before.uidValidity());
        }
        // Assigned UIDs may arrive out of order, so a UID below UIDNEXT is fine unless it is taken;
        // a queued batch not yet written is in pendingAppends, not yet in the database.
        if (box.pendingAppends.contains(uid) || records.current(box, uid) != null) {
          throw new StoreException("cannot store UID " + uid + " in " + a + "/" + name
              + " (UIDVALIDITY " + before.uidValidity() + "): " + StoreException.UID_TAKEN);
        }
        if (box.recentExpunges != null && box.recentExpunges.contains(before.uidValidity(), uid)) {
          throw new StoreException("cannot store UID " + uid + " in " + a + "/" + name
              + " (UIDVALIDITY " + before.uidValidity() + "): " + StoreException.UID_EXPUNGED);
        }
        long quota = state.quotaBytes();
        if (quota > 0 && state.reservedBytes() + message.length > quota) {
          return CompletableFuture.completedFuture(new AppendResult(false, before.uidValidity(), 0));
        }
        MailboxInfo after = before.withCounters(Math.max(before.uidNext(), uid + 1),
            Math.max(before.highestModSeq(), m.modSeq()), before.messageCount() + 1, before.totalBytes() + message.length);
        var batch = new WriteBatch();
        records.put(batch, box.id, new MessageMeta(uid, date, message.length, flags, m.modSeq(), crc), message, m.derived());
        put(batch, engine.mailboxes, Keys.mailbox(a, box.name), RecordCodec.encodeMailbox(after));
        box.next = after;
        box.pendingAppends.add(uid);
        var event = new MailboxEvent(a, box.name, Kind.APPENDED, List.of(uid), m.modSeq());
        return committer.submit(batch, epoch, () -> box.pendingAppends.remove(uid), notifier.publisher(List.of(event)))
            .thenApply(v -> {
              messagesStored.incrementAndGet();
              return new AppendResult(true, after.uidValidity(), uid);
            });
      } finally {
        box.lock.unlock();
      }
    });
  }

  @Override
  public CompletableFuture<Void> reserveWatermarks(String user, String mailbox, long uidValidity, long uidReserved,
      long modSeqReserved, Optional<Set<String>> holders) {
    String a = Addresses.normalize(user);
    return writing(() -> {
      String name = MailboxNames.checked(mailbox);
      if (holders.isPresent() && holders.get().stream().anyMatch(n -> n.isEmpty() || n.length() > 200)) {
        throw new StoreException("cannot record the holders of " + a + "/" + name + ": a node name is empty or "
            + "longer than 200 characters");
      }
      if (uidValidity < 1 || uidValidity > 0xffff_ffffL || uidReserved < 0 || uidReserved > 0xffff_ffffL
          || modSeqReserved < 0) {
        throw new StoreException("cannot reserve in " + a + "/" + name + ": UIDVALIDITY " + uidValidity + ", UID "
            + uidReserved + " or MODSEQ " + modSeqReserved + " out of range");
      }
      // Any node may keep one: a manager writes each reservation to a majority of the cluster's members,
      // the profile nodes first, so that every later manager's rebuild hears of it (BucketState).
      MailboxState box = fragment(a, name, uidValidity);
      UserState state = userState(a);
      box.lock.lock();
      try {
        long epoch = committer.epoch();
        if (state == null || state.deleted || state.mailbox(name) != box || !box.refresh(engine, epoch)) {
          throw new StoreException("cannot reserve UIDs of " + a + "/" + name + ": the mailbox was deleted meanwhile");
        }
        if (box.next.uidValidity() != uidValidity) {
          throw new StoreException("cannot reserve UIDs of " + a + "/" + name + ": UIDVALIDITY " + uidValidity
              + " given, but the fragment here has " + box.next.uidValidity());
        }
        loadReservation(box);
        var wanted = new WatermarkReservation(uidValidity, uidReserved, modSeqReserved, holders);
        var batch = new WriteBatch();
        if (box.reservation.raisedBy(wanted)) {
          box.reservation = box.reservation.max(wanted);
          put(batch, engine.meta, Keys.reservation(box.id), RecordCodec.encodeReservation(box.reservation));
        }
        // An empty batch still completes only after the queued ones, which may hold the reservation.
        return committer.submit(batch, epoch, null);
      } finally {
        box.lock.unlock();
      }
    });
  }

  @Override
  public CompletableFuture<Void> renumber(FragmentRenumbering order) {
    Objects.requireNonNull(order, "order");
    String a = Addresses.normalize(order.user());
    return writing(() -> {
      String name = MailboxNames.checked(order.mailbox());
      String what = "cannot renumber " + a + "/" + name + " from UIDVALIDITY " + order.fromUidValidity() + " to "
          + order.toUidValidity();
      UserState held = userState(a);
      MailboxState existing = held == null || held.deleted ? null : held.mailbox(name);
      if (existing == null) {
        if (order.reservation().isPresent()) {
          throw new StoreException(what + ": there is no such fragment here (deleted since it was listed?)");
        }
        return CompletableFuture.completedFuture(null); // nothing held here
      }
      MailboxState box = existing;
      UserState state = held;
      box.lock.lock();
      try {
        long epoch = committer.epoch();
        if (state == null || state.deleted || state.mailbox(name) != box || !box.refresh(engine, epoch)) {
          throw new StoreException(what + ": the mailbox was deleted meanwhile");
        }
        MailboxInfo before = box.next;
        if (before.uidValidity() == order.toUidValidity()) {
          return CompletableFuture.completedFuture(null); // carried out before (a repeated order)
        }
        if (before.uidValidity() != order.fromUidValidity()) {
          throw new StoreException(what + ": the fragment here has UIDVALIDITY " + before.uidValidity());
        }
        if (!box.pendingAppends.isEmpty() || !box.pendingRemovals.isEmpty() || !box.pendingMeta.isEmpty()) {
          throw new StoreException(what + ": writes to it are in progress; try again");
        }
        Map<Long, Long> newUids = new HashMap<>();
        for (int i = 0; i < order.oldUids().size(); i++) {
          newUids.put(order.oldUids().get(i), order.firstUid() + i);
        }
        record Moved(MessageMeta meta, byte[] body, MessageDerived derived) {}
        List<Moved> moved = new ArrayList<>();
        List<MessageMeta> present = records.all(box);
        for (MessageMeta m : present) {
          Long uid = newUids.get(m.uid());
          if (uid == null) {
            throw new StoreException(what + ": UID " + m.uid() + " here is not in the order (the fragment changed "
                + "since it was listed); list it again");
          }
          byte[] body = records.body(box.id, m.uid());
          if (body == null) {
            throw new StoreException(what + ": the bytes of UID " + m.uid() + " are missing here");
          }
          moved.add(new Moved(new MessageMeta(uid, m.internalDate(), m.size(), m.flags(), order.modSeq(), m.crc32c()),
              body, records.derived(box.id, m.uid())));
        }
        var batch = new WriteBatch();
        // Every removal before any put: a new UID may be another message's old one.
        for (MessageMeta m : present) {
          records.remove(batch, box.id, m.uid());
        }
        moved.forEach(m -> records.put(batch, box.id, m.meta(), m.body(), m.derived()));
        List<Long> renumbered = moved.stream().map(m -> m.meta().uid()).sorted().toList();
        long uidNext = order.lastUid() + 1;
        expungeLog.deleteAll(batch, box.id);
        MailboxInfo after = new MailboxInfo(before.id(), before.user(), before.name(), order.toUidValidity(), uidNext,
            Math.max(before.highestModSeq(), order.modSeq()), before.messageCount(), before.totalBytes(),
            before.specialUse(), before.subscribed());
        put(batch, engine.mailboxes, Keys.mailbox(a, box.name), RecordCodec.encodeMailbox(after));
        if (order.reservation().isPresent()) {
          FragmentRenumbering.Reservation r = order.reservation().get();
          loadReservation(box);
          // Another UIDVALIDITY: the numbers are replaced, the recorded holders kept (a record names too many, never too few).
          box.reservation = box.reservation.max(new WatermarkReservation(order.toUidValidity(),
              Math.max(r.uid(), order.lastUid()), Math.max(r.modSeq(), order.modSeq()), Optional.of(r.holders())));
          put(batch, engine.meta, Keys.reservation(box.id), RecordCodec.encodeReservation(box.reservation));
        } else {
          box.reservation = WatermarkReservation.NONE;
          delete(batch, engine.meta, Keys.reservation(box.id));
        }
        box.next = after;
        box.expungeLog = new ExpungeLog.Header(0, 0, 0);
        List<MailboxEvent> events = renumbered.isEmpty() ? List.of()
            : List.of(new MailboxEvent(a, box.name, Kind.APPENDED, renumbered, order.modSeq()));
        log.info("renumbered {}/{}: {} messages from UIDVALIDITY {} to {} (UIDs {}..{})", a, name, renumbered.size(),
            order.fromUidValidity(), order.toUidValidity(), order.firstUid(), order.lastUid());
        return committer.submit(batch, epoch, null, notifier.publisher(events));
      } finally {
        box.lock.unlock();
      }
    });
  }

  /** Loads the mailbox's watermark reservation into its state when not loaded yet; the caller holds its lock. */
  private void loadReservation(MailboxState box) {
    if (box.reservation == null) {
      byte[] record = engine.get(engine.meta, Keys.reservation(box.id));
      box.reservation = record == null ? WatermarkReservation.NONE : RecordCodec.decodeReservation(record);
    }
  }

  /**
   * The state of a user's mailbox fragment, creating it (durably, with the manager's UIDVALIDITY)
   * when absent. Creation takes the meta lock, which guards the mailbox id counter, and costs one
   * sync of its own; it happens once per fragment, so storing stays off the meta lock.
   */
  private MailboxState fragment(String user, String name, long uidValidity) {
    UserState state = userState(user);
    MailboxState box = state == null || state.deleted ? null : state.mailbox(name);
    if (box != null) {
      return box;
    }
    metaLock.lock();
    try {
      UserState held = userState(user);
      boolean live = held != null && !held.deleted;
      if (live && held.mailbox(name) != null) {
        return held.mailbox(name); // created meanwhile
      }
      catalog.createFragment(live ? held : null, user, name, uidValidity);
      if (held != null && !live) {
        userStates.remove(user, held); // the tombstone of a deleted user; reload with the new fragment
      }
      UserState now = userState(user);
      MailboxState created = now == null ? null : now.mailbox(name);
      if (created == null) {
        throw new StoreException("creating the fragment " + user + "/" + name + " failed");
      }
      return created;
    } finally {
      metaLock.unlock();
    }
  }

  @Override
  public Optional<MailboxInfo> mailbox(String user, String mailbox) {
    String a = Addresses.normalize(user);
    String name = mailboxName(mailbox);
    return inView(view -> Optional.ofNullable(mailboxRecord(view, a, name)));
  }

  @Override
  public List<MessageMeta> messages(String user, String mailbox) {
    return contents(user, mailbox).map(MailboxContents::messages).orElse(List.of());
  }

  /** The record and the messages from one durable view: they always agree, whatever is written meanwhile. */
  @Override
  public Optional<MailboxContents> contents(String user, String mailbox) {
    String a = Addresses.normalize(user);
    String name = mailboxName(mailbox);
    return inView(view -> {
      MailboxInfo box = mailboxRecord(view, a, name);
      if (box == null) {
        return Optional.empty();
      }
      var list = new ArrayList<MessageMeta>(box.messageCount());
      engine.scan(engine.messages, view, Keys.firstMessage(box.id()), Keys.endOfMessages(box.id()),
          (k, v) -> list.add(RecordCodec.decodeMessage(v)));
      return Optional.of(new MailboxContents(box, list));
    });
  }

  @Override
  public Optional<byte[]> readMessage(String user, String mailbox, long uid) throws CorruptMessageException {
    String a = Addresses.normalize(user);
    String name = mailboxName(mailbox);
    record Read(MailboxInfo box, MessageMeta meta, byte[] body, String problem) {}
    Read read = inView(view -> {
      MailboxInfo box = mailboxRecord(view, a, name);
      if (box == null) {
        return null;
      }
      byte[] key = Keys.message(box.id(), uid);
      byte[] metaBytes;
      try {
        metaBytes = engine.get(engine.messages, view, key);
      } catch (RocksDBException e) {
        throw RocksEngine.readFailure("reading message " + uid + " of " + a + "/" + name, e);
      }
      if (metaBytes == null) {
        return null;
      }
      MessageMeta meta = RecordCodec.decodeMessage(metaBytes);
      byte[] body;
      try {
        body = engine.get(engine.bodies, view, key);
      } catch (RocksDBException e) {
        if (e.getStatus() != null && e.getStatus().getCode() == Status.Code.Corruption) {
          return new Read(box, meta, null, "body unreadable: " + e.getMessage());
        }
        throw RocksEngine.readFailure("reading message " + uid + " of " + a + "/" + name, e);
      }
      return new Read(box, meta, body, integrityProblem(meta, body));
    });
    if (read == null) {
      return Optional.empty();
    }
    if (read.problem == null) {
      return Optional.of(read.body);
    }
    quarantine(read.box, read.meta, read.body, read.problem);
    throw new CorruptMessageException("message " + uid + " of " + a + "/" + name + " is corrupt ("
        + read.problem + ") and has been quarantined");
  }

  @Override
  public List<LoadedMessage> load(String user, String mailbox, List<Long> uids, Set<LoadedMessage.Part> parts) {
    return loadAt(user, mailbox, 0, uids, parts);
  }

  @Override
  public List<LoadedMessage> loadUnder(String user, String mailbox, long uidValidity, List<Long> uids,
      Set<LoadedMessage.Part> parts) {
    return loadAt(user, mailbox, requireUidValidity(uidValidity), uids, parts);
  }

  /**
   * The load, refused when {@code uidValidity} is not 0 and not the UIDVALIDITY of the record read in
   * the same view as the messages: a renumbering changes both in one commit.
   */
  private List<LoadedMessage> loadAt(String user, String mailbox, long uidValidity, List<Long> uids,
      Set<LoadedMessage.Part> parts) {
    String a = Addresses.normalize(user);
    String name = mailboxName(mailbox);
    record Corrupt(MessageMeta meta, byte[] body, String problem) {}
    record Batch(MailboxInfo box, List<LoadedMessage> messages, List<Corrupt> corrupt) {}
    Batch batch = inView(view -> {
      MailboxInfo box = mailboxRecord(view, a, name);
      if (box != null && uidValidity != 0 && box.uidValidity() != uidValidity) {
        throw new UidValidityChangedException(a, name, uidValidity, box.uidValidity());
      }
      if (box == null || uids.isEmpty()) {
        return new Batch(box, List.of(), List.of());
      }
      try {
        List<byte[]> keys = new ArrayList<>(uids.size());
        for (long uid : uids) {
          keys.add(Keys.message(box.id(), uid));
        }
        List<byte[]> metas = engine.multiGet(engine.messages, view, keys);
        List<byte[]> found = new ArrayList<>(keys.size());
        List<MessageMeta> metaFound = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
          if (metas.get(i) != null) {
            found.add(keys.get(i));
            metaFound.add(RecordCodec.decodeMessage(metas.get(i)));
          }
        }
        List<byte[]> bodies = parts.contains(LoadedMessage.Part.BODY) ? engine.multiGet(engine.bodies, view, found) : null;
        List<byte[]> derived = parts.contains(LoadedMessage.Part.DERIVED)
            ? engine.multiGet(engine.derived, view, found) : null;
        List<LoadedMessage> out = new ArrayList<>(found.size());
        List<Corrupt> corrupt = new ArrayList<>(0);
        for (int i = 0; i < found.size(); i++) {
          MessageMeta meta = metaFound.get(i);
          byte[] body = bodies == null ? null : bodies.get(i);
          String problem = bodies == null ? null : integrityProblem(meta, body);
          byte[] d = derived == null ? null : derived.get(i);
          if (problem != null) {
            corrupt.add(new Corrupt(meta, body, problem));
          }
          out.add(new LoadedMessage(meta, problem == null ? body : null,
              d == null ? null : RecordCodec.decodeDerived(d), problem));
        }
        return new Batch(box, out, corrupt);
      } catch (RocksDBException e) {
        throw RocksEngine.readFailure("reading messages of " + a + "/" + name, e);
      }
    });
    for (Corrupt c : batch.corrupt()) {
      quarantine(batch.box(), c.meta(), c.body(), c.problem());
    }
    return batch.messages();
  }

  @Override
  public CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids) {
    return expungeAt(user, mailbox, uids, OptionalLong.empty(), 0);
  }

  @Override
  public CompletableFuture<Void> expungeUnder(String user, String mailbox, long uidValidity, Collection<Long> uids) {
    return expungeAt(user, mailbox, uids, OptionalLong.empty(), requireUidValidity(uidValidity));
  }

  @Override
  public CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids, long modSeq) {
    return expungeAt(user, mailbox, uids, OptionalLong.of(modSeq), 0);
  }

  @Override
  public CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids, long modSeq,
      long uidValidity) {
    return expungeAt(user, mailbox, uids, OptionalLong.of(modSeq), uidValidity);
  }

  private static long requireUidValidity(long uidValidity) {
    if (uidValidity <= 0) {
      throw new IllegalArgumentException("UIDVALIDITY must be positive, not " + uidValidity);
    }
    return uidValidity;
  }

  /**
   * An expunge recorded under the {@code assigned} MODSEQ, or when empty under the next one allocated
   * here; refused when {@code uidValidity} is not 0 and not the mailbox's, checked under the mailbox's
   * lock, which a renumbering holds while it changes UIDVALIDITY.
   */
  private CompletableFuture<Void> expungeAt(String user, String mailbox, Collection<Long> uids, OptionalLong assigned,
      long uidValidity) {
    Objects.requireNonNull(uids, "uids");
    String a = Addresses.normalize(user);
    String name = mailboxName(mailbox);
    enter();
    try {
      UserState state = userState(a);
      MailboxState box = state == null ? null : state.mailbox(name);
      if (box == null) {
        return CompletableFuture.failedFuture(new StoreException("no mailbox " + name + " for user " + a));
      }
      box.lock.lock();
      try {
        long epoch = committer.epoch();
        if (!box.refresh(engine, epoch)) {
          return CompletableFuture.failedFuture(new StoreException("no mailbox " + name + " for user " + a));
        }
        if (uidValidity != 0 && box.next.uidValidity() != uidValidity) {
          return CompletableFuture.failedFuture(
              new UidValidityChangedException(a, name, uidValidity, box.next.uidValidity()));
        }
        var removed = new ArrayList<Long>();
        long bytes = 0;
        for (long uid : new TreeSet<>(uids)) {
          MessageMeta meta = records.current(box, uid);
          if (meta != null) {
            bytes += meta.size();
            removed.add(uid);
          }
        }
        if (removed.isEmpty()) {
          // Nothing changes, so the number does not matter: two holders forwarding one expunge to a
          // move's target under one MODSEQ both succeed instead of the second being called stale.
          rememberExpunged(box, assigned, uids);
          return CompletableFuture.completedFuture(null);
        }
        long modSeq;
        try {
          modSeq = nextModSeq(box, assigned);
        } catch (StoreException e) {
          return CompletableFuture.failedFuture(e);
        }
        rememberExpunged(box, assigned, uids);
        var batch = new WriteBatch();
        for (long uid : removed) {
          records.remove(batch, box.id, uid);
        }
        MailboxInfo after = box.next.withCounters(box.next.uidNext(), modSeq, box.next.messageCount() - removed.size(),
            box.next.totalBytes() - bytes);
        expungeLog.record(batch, box, removed, after.highestModSeq());
        put(batch, engine.mailboxes, Keys.mailbox(a, box.name), RecordCodec.encodeMailbox(after));
        box.next = after;
        box.pendingRemovals.addAll(removed);
        var event = new MailboxEvent(a, box.name, Kind.EXPUNGED, List.copyOf(removed), after.highestModSeq());
        // A copy, so that a caller completing or cancelling it cannot touch the committer's own.
        return committer.submit(batch, epoch, () -> removed.forEach(box.pendingRemovals::remove),
            notifier.publisher(List.of(event))).copy();
      } finally {
        box.lock.unlock();
      }
    } finally {
      exit();
    }
  }

  // ---- Cluster support: messages moved to another node ----------------------------------------

  @Override
  public CompletableFuture<List<Long>> dropMoved(String user, String mailbox, Map<Long, Long> expectedModSeqs) {
    Objects.requireNonNull(expectedModSeqs, "expectedModSeqs");
    String a = Addresses.normalize(user);
    String name = mailboxName(mailbox);
    return writing(() -> {
      UserState state = userState(a);
      MailboxState box = existing(state, a, name);
      // The meta lock before the mailbox lock, as deleteMailbox takes them: the record may go too.
      metaLock.lock();
      try {
        box.lock.lock();
        try {
          long epoch = committer.epoch();
          if (state.deleted || !box.refresh(engine, epoch)) {
            throw noSuchMailbox(a, name);
          }
          var removed = new ArrayList<Long>();
          long bytes = 0;
          var batch = new WriteBatch();
          for (var expected : new TreeMap<>(expectedModSeqs).entrySet()) {
            MessageMeta meta = records.current(box, expected.getKey());
            if (meta != null && meta.modSeq() == expected.getValue()) {
              records.remove(batch, box.id, meta.uid());
              bytes += meta.size();
              removed.add(meta.uid());
            }
          }
          if (removed.isEmpty()) {
            batch.close();
            return CompletableFuture.completedFuture(List.<Long>of());
          }
          MailboxInfo before = box.next;
          MailboxInfo after = before.withCounters(before.uidNext(), before.highestModSeq(),
              before.messageCount() - removed.size(), before.totalBytes() - bytes);
          boolean dropRecord = after.messageCount() == 0 && state.profile == null && !hasExpungeLog(box);
          if (dropRecord) {
            // Quarantined records stay for inspection; the expunge log is empty, as checked.
            delete(batch, engine.mailboxes, Keys.mailbox(a, box.name));
            index.deleteMailbox(batch, a, box.name);
            box.deleted = true;
            state.remove(box.name, box);
          } else {
            put(batch, engine.mailboxes, Keys.mailbox(a, box.name), RecordCodec.encodeMailbox(after));
          }
          box.next = after;
          box.pendingRemovals.addAll(removed);
          List<Long> result = List.copyOf(removed);
          // The messages still exist for IMAP clients, on the node they moved to: no EXPUNGED, only an
          // event naming no message, so that sessions here read the mailbox again (and find them there).
          var reread = new MailboxEvent(a, box.name, Kind.FLAGS, List.of(), after.highestModSeq());
          CompletableFuture<Void> written = committer.submit(batch, epoch,
              () -> removed.forEach(box.pendingRemovals::remove), notifier.publisher(List.of(reread)));
          if (dropRecord) {
            // The cached state no longer has the record: reload it from the database if the write failed.
            written = written.whenComplete((v, e) -> {
              if (e != null) {
                invalidate(a);
              }
            });
          }
          return written.thenApply(v -> result);
        } finally {
          box.lock.unlock();
        }
      } finally {
        metaLock.unlock();
      }
    });
  }

  /** Whether the mailbox's expunge log holds anything, queued batches included; the caller holds its lock. */
  private boolean hasExpungeLog(MailboxState box) {
    if (box.expungeLog != null) {
      return box.expungeLog.count() > 0 || box.expungeLog.prunedUpTo() > 0;
    }
    boolean[] found = {false};
    engine.scanWhile(engine.expunges, null, Keys.mailboxId(box.id), Keys.mailboxId(box.id + 1), (k, v) -> {
      found[0] = true;
      return false;
    });
    return found[0];
  }

  @Override
  public List<MailboxInfo> mailboxes(String user) {
    String a = Addresses.normalize(user);
    return inView(view -> {
      var list = new ArrayList<MailboxInfo>();
      byte[] prefix = Keys.mailboxesOf(a);
      engine.scan(engine.mailboxes, view, prefix, Keys.endOfPrefix(prefix),
          (k, v) -> list.add(RecordCodec.decodeMailbox(v)));
      list.sort(Comparator.comparing((MailboxInfo b) -> !b.name().equals(INBOX)).thenComparing(MailboxInfo::name));
      return list;
    });
  }

  @Override
  public MailboxInfo createMailbox(String user, String name, Set<String> specialUse) {
    String a = Addresses.normalize(user);
    return mutate(() -> catalog.create(a, name, specialUse));
  }

  @Override
  public boolean deleteMailbox(String user, String name) {
    Objects.requireNonNull(name, "name");
    String a = Addresses.normalize(user);
    return mutate(() -> catalog.delete(a, name));
  }

  @Override
  public void renameMailbox(String user, String from, String to) {
    rename(user, from, to, false);
  }

  @Override
  public void renameFragments(String user, String from, String to) {
    rename(user, from, to, true);
  }

  private void rename(String user, String from, String to, boolean fragmentsOnly) {
    Objects.requireNonNull(from, "from");
    String a = Addresses.normalize(user);
    mutate(() -> {
      catalog.rename(a, from, to, fragmentsOnly);
      return null;
    });
  }

  @Override
  public void setSubscribed(String user, String name, boolean subscribed) {
    Objects.requireNonNull(name, "name");
    String a = Addresses.normalize(user);
    mutate(() -> {
      catalog.setSubscribed(a, name, subscribed);
      return null;
    });
  }

  @Override
  public Set<String> subscriptions(String user) {
    String a = Addresses.normalize(user);
    return inView(view -> {
      var names = new TreeSet<String>();
      byte[] prefix = Keys.subscriptionsOf(a);
      engine.scan(engine.meta, view, prefix, Keys.endOfPrefix(prefix), (k, v) -> names.add(Keys.subscribedName(k, a)));
      return java.util.Collections.unmodifiableSortedSet(names);
    });
  }

  @Override
  public Optional<MessageDerived> derived(String user, String mailbox, long uid) {
    String a = Addresses.normalize(user);
    String name = mailboxName(mailbox);
    return inView(view -> {
      MailboxInfo box = mailboxRecord(view, a, name);
      return box == null ? Optional.<MessageDerived>empty() : records.derived(view, box.id(), uid);
    });
  }

  @Override
  public List<Long> expungedSince(String user, String mailbox, long modSeq) {
    String a = Addresses.normalize(user);
    String name = mailboxName(mailbox);
    return inView(view -> {
      MailboxInfo box = mailboxRecord(view, a, name);
      return box == null ? List.<Long>of() : expungeLog.since(view, box, modSeq);
    });
  }

  @Override
  public MailboxWatch watch(String user, Consumer<MailboxEvent> listener) {
    Objects.requireNonNull(listener, "listener");
    String a = Addresses.normalize(user);
    return read(() -> notifier.watch(a, listener));
  }

  @Override
  public long usage(String user) {
    String a = Addresses.normalize(user);
    return inView(view -> {
      long[] sum = {0};
      byte[] prefix = Keys.mailboxesOf(a);
      engine.scan(engine.mailboxes, view, prefix, Keys.endOfPrefix(prefix),
          (k, v) -> sum[0] += RecordCodec.decodeMailbox(v).totalBytes());
      return sum[0];
    });
  }

  @Override
  public int pendingWrites() {
    return committer.queued();
  }

  @Override
  public boolean acceptsNewMail() {
    return health.acceptsNewMail();
  }

  /** The disk's condition as the store last saw it (tests). */
  StorageHealth.Condition storageCondition() {
    return health.condition();
  }

  @Override
  public StoreStats stats() {
    return new StoreStats(committer.commits(), committer.syncs(), messagesStored.get(), quarantined.get());
  }

  @Override
  public void close() {
    closeLock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      closeLock.writeLock().unlock();
    }
    try {
      health.close();
      committer.close();
      completer.close();
      notifier.close();
    } finally {
      engine.close();
      log.info("store {} closed", dir);
    }
  }

  // ---- Test hooks ----------------------------------------------------------------------------

  /** Overwrites a message's stored bytes without touching its checksum: tests use it to corrupt. */
  void overwriteBodyForTest(String user, String mailbox, long uid, byte[] bytes) {
    MailboxInfo box = mailbox(user, mailbox).orElseThrow();
    var batch = new WriteBatch();
    put(batch, engine.bodies, Keys.message(box.id(), uid), bytes);
    commitAndWait(batch);
  }

  /** Overwrites a mailbox record as stored: tests use it to write records of older versions. */
  void putMailboxRecordForTest(String user, String mailbox, byte[] record) {
    var batch = new WriteBatch();
    put(batch, engine.mailboxes, Keys.mailbox(user, mailbox), record);
    commitAndWait(batch);
  }

  /** Removes the hash index and its format marker, as in a store written before they existed (tests). */
  void dropHashIndexForTest() {
    read(() -> {
      index.dropForTest(committer);
      return null;
    });
  }

  /** The hash index entries as written, for tests. */
  List<HashIndex.Entry> hashIndexForTest() {
    return inView(view -> index.entries(view, HashRange.ALL));
  }

  /** Quarantined records as stored, for tests and inspection. */
  List<QuarantinedMessage> quarantinedMessages() {
    return read(() -> {
      var list = new ArrayList<QuarantinedMessage>();
      engine.scan(engine.quarantine, null, new byte[0], Keys.endOfMessages(Long.MAX_VALUE - 1),
          (k, v) -> list.add(RecordCodec.decodeQuarantine(v)));
      return list;
    });
  }

  // ---- internals -----------------------------------------------------------------------------

  /** Moves a message that failed its integrity check to quarantine, once. */
  private void quarantine(MailboxInfo record, MessageMeta meta, byte[] body, String problem) {
    UserState state = userState(record.user());
    MailboxState box = state == null ? null : state.mailbox(record.name());
    if (box == null || box.id != record.id()) {
      return; // the user or mailbox is gone meanwhile, and the message with it
    }
    CompletableFuture<Void> moved;
    box.lock.lock();
    try {
      long epoch = committer.epoch();
      byte[] key = Keys.message(box.id, meta.uid());
      if (!box.refresh(engine, epoch) || records.current(box, meta.uid()) == null) {
        return; // already expunged or being quarantined by another reader
      }
      var batch = new WriteBatch();
      records.remove(batch, box.id, meta.uid());
      put(batch, engine.quarantine, key, RecordCodec.encodeQuarantine(
          new QuarantinedMessage(box.user, box.name, meta, body, Instant.now(), problem)));
      MailboxInfo after = withRemoved(box.next, 1, meta.size());
      expungeLog.record(batch, box, List.of(meta.uid()), after.highestModSeq());
      put(batch, engine.mailboxes, Keys.mailbox(box.user, box.name), RecordCodec.encodeMailbox(after));
      box.next = after;
      box.pendingRemovals.add(meta.uid());
      var event = new MailboxEvent(box.user, box.name, Kind.EXPUNGED, List.of(meta.uid()), after.highestModSeq());
      moved = committer.submit(batch, epoch, () -> box.pendingRemovals.remove(meta.uid()),
          notifier.publisher(List.of(event)));
    } finally {
      box.lock.unlock();
    }
    try {
      await(moved);
      quarantined.incrementAndGet();
      log.error("quarantined message uid {} of {}/{} (mailbox id {}): {}",
          meta.uid(), box.user, box.name, box.id, problem);
    } catch (StoreException e) {
      log.error("message uid {} of {}/{} is corrupt ({}) but moving it to quarantine failed: {}",
          meta.uid(), box.user, box.name, problem, e.getMessage());
    }
  }

  /** Why {@code body} does not match {@code meta}, or null when it does. */
  private static String integrityProblem(MessageMeta meta, byte[] body) {
    if (body == null) {
      return "body missing";
    }
    if (body.length != meta.size()) {
      return "size " + body.length + " but " + meta.size() + " recorded";
    }
    int crc = crc32c(body);
    if (crc != meta.crc32c()) {
      return String.format("crc32c %08x but %08x recorded", crc, meta.crc32c());
    }
    return null;
  }

  /** Runs a write that answers with a future; a refusal becomes a failed future. */
  private <T> CompletableFuture<T> writing(java.util.function.Supplier<CompletableFuture<T>> body) {
    enter();
    try {
      return body.get();
    } catch (StoreException e) {
      return CompletableFuture.failedFuture(e);
    } finally {
      exit();
    }
  }

  /**
   * The MODSEQ of a change: the next one when allocated here, else the one the user's manager
   * allocated if it is above the fragment's HIGHESTMODSEQ (queued changes included), else the
   * "stale MODSEQ" refusal, after which the caller allocates again. The caller holds the mailbox lock.
   */
  private static long nextModSeq(MailboxState box, OptionalLong assigned) {
    long highest = box.next.highestModSeq();
    if (assigned.isEmpty()) {
      return highest + 1;
    }
    long modSeq = assigned.getAsLong();
    if (modSeq <= highest) {
      throw new StoreException(StoreException.STALE_MODSEQ + " " + modSeq + " for " + box.user + "/" + box.name
          + ": the fragment here is at HIGHESTMODSEQ " + highest + "; allocate a fresh one");
    }
    return modSeq;
  }

  /**
   * Remembers the UIDs of a cluster expunge (one numbered by the user's manager), present here or
   * not, so that a copy of one of them arriving late is refused ({@link RecentExpunges}). The caller
   * holds the mailbox lock.
   */
  private static void rememberExpunged(MailboxState box, OptionalLong assigned, Collection<Long> uids) {
    if (assigned.isEmpty() || uids.isEmpty()) {
      return; // one node alone: no copies cross its expunges
    }
    if (box.recentExpunges == null) {
      box.recentExpunges = new RecentExpunges(RecentExpunges.DEFAULT_TTL_NANOS, RecentExpunges.DEFAULT_LIMIT,
          System::nanoTime);
    }
    box.recentExpunges.add(box.next.uidValidity(), uids);
  }

  /** The named mailbox of a known user, or a "no such mailbox" refusal. */
  private static MailboxState existing(UserState state, String user, String name) {
    MailboxState box = state == null || state.deleted ? null : state.mailbox(name);
    if (box == null) {
      throw noSuchMailbox(user, name);
    }
    return box;
  }

  private static StoreException noSuchMailbox(String user, String name) {
    return new StoreException("no such mailbox " + name + " for user " + user);
  }

  /**
   * Drops a user's cached state after a failed commit, so that it is reloaded from the database:
   * its mailbox states refuse further writes, and a barrier commit lets batches queued meanwhile
   * be written before anyone reloads.
   */
  private void invalidate(String user) {
    UserState state = userStates.get(user);
    if (state == null) {
      return;
    }
    for (MailboxState b : state.mailboxes()) {
      b.lock.lock();
      try {
        b.deleted = true;
      } finally {
        b.lock.unlock();
      }
    }
    try {
      committer.submit(new WriteBatch(), committer.epoch(), null).join();
    } catch (RuntimeException e) {
      log.debug("barrier after a failed mailbox change of {} failed too: {}", user, e.toString());
    }
    userStates.remove(user, state);
  }

  private static MailboxInfo withRemoved(MailboxInfo box, int count, long bytes) {
    return box.withCounters(box.uidNext(), box.highestModSeq() + 1, box.messageCount() - count, box.totalBytes() - bytes);
  }

  /** The cached state of a user (profile, fragments or both), loaded on first use; null when nothing is held. */
  private UserState userState(String address) {
    return userStates.computeIfAbsent(address, this::loadUser);
  }

  private UserState loadUser(String address) {
    long epoch = committer.epoch(); // read before the records: a later failure forces a reload
    byte[] record = engine.get(engine.meta, Keys.user(address));
    var boxes = new ArrayList<MailboxState>();
    byte[] prefix = Keys.mailboxesOf(address);
    engine.scan(engine.mailboxes, null, prefix, Keys.endOfPrefix(prefix),
        (k, v) -> boxes.add(new MailboxState(RecordCodec.decodeMailbox(v), epoch)));
    if (record == null && boxes.isEmpty()) {
      return null;
    }
    return new UserState(address, record == null ? null : RecordCodec.decodeUser(record), boxes);
  }

  private void updateProfile(String address, java.util.function.UnaryOperator<UserProfile> change) {
    mutate(() -> {
      byte[] record = engine.get(engine.meta, Keys.user(address));
      if (record == null) {
        throw new StoreException("unknown user " + address);
      }
      UserProfile updated = change.apply(RecordCodec.decodeUser(record));
      var batch = new WriteBatch();
      put(batch, engine.meta, Keys.user(address), RecordCodec.encodeUser(updated));
      commitAndWait(batch);
      // Atomic with a concurrent first load, which then reads the committed profile anyway.
      userStates.computeIfPresent(address, (k, s) -> {
        s.profile = updated;
        return s;
      });
      return null;
    });
  }

  private MailboxInfo mailboxRecord(DurableView view, String user, String name) {
    try {
      byte[] record = engine.get(engine.mailboxes, view, Keys.mailbox(user, name));
      return record == null ? null : RecordCodec.decodeMailbox(record);
    } catch (RocksDBException e) {
      throw RocksEngine.readFailure("reading mailbox " + user + "/" + name, e);
    }
  }

  /** Names of the meta records of one kind, in key order. */
  private List<String> metaNames(byte tag) {
    var names = new ArrayList<String>();
    byte[] prefix = Keys.kind(tag);
    engine.scan(engine.meta, null, prefix, Keys.endOfPrefix(prefix), (k, v) -> names.add(Keys.nameOf(k)));
    return names;
  }

  private Map<String, byte[]> metaEntries(byte tag) {
    var entries = new TreeMap<String, byte[]>();
    byte[] prefix = Keys.kind(tag);
    engine.scan(engine.meta, null, prefix, Keys.endOfPrefix(prefix), (k, v) -> entries.put(Keys.nameOf(k), v));
    return entries;
  }

  private void commitAndWait(WriteBatch batch) {
    await(committer.submit(batch, committer.epoch(), null));
  }

  private <T> T mutate(java.util.function.Supplier<T> body) {
    enter();
    metaLock.lock();
    try {
      return body.get();
    } finally {
      metaLock.unlock();
      exit();
    }
  }

  private <T> T read(java.util.function.Supplier<T> body) {
    enter();
    try {
      return body.get();
    } finally {
      exit();
    }
  }

  private <T> T inView(java.util.function.Function<DurableView, T> body) {
    enter();
    DurableView view = engine.acquireView();
    try {
      return body.apply(view);
    } finally {
      view.release();
      exit();
    }
  }

  private void enter() {
    closeLock.readLock().lock();
    if (closed) {
      closeLock.readLock().unlock();
      throw new StoreException("store " + dir + " is closed");
    }
  }

  private void exit() {
    closeLock.readLock().unlock();
  }

  private static String checkedDomain(String domain) {
    String d = Addresses.normalize(Objects.requireNonNull(domain, "domain"));
    if (!Addresses.isValidDomain(d)) {
      throw new StoreException("invalid domain name '" + domain + "'");
    }
    return d;
  }

  private static String checkedAddress(String address) {
    String a = Addresses.normalize(Objects.requireNonNull(address, "address"));
    if (!Addresses.isValidAddress(a)) {
      throw new StoreException("invalid address '" + address + "'");
    }
    return a;
  }

  private static char[] checkedPassword(char[] password) {
    if (password == null || password.length == 0) {
      throw new StoreException("password must not be empty");
    }
    return password;
  }

  /** IMAP treats INBOX case-insensitively (RFC 9051 section 5.1); other names are kept as given. */
  private static String mailboxName(String mailbox) {
    return mailbox == null ? INBOX : MailboxNames.canonical(mailbox);
  }

  static int crc32c(byte[] bytes) {
    var crc = new CRC32C();
    crc.update(bytes);
    return (int) crc.getValue();
  }
}
