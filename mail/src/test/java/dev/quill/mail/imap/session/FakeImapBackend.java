package dev.quill.mail.imap.session;

import dev.quill.store.AppendResult;
import dev.quill.store.CopyResult;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MailboxWatch;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import dev.quill.store.UidValidityChangedException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/** An in-memory {@link ImapBackend} for session and service tests: one user's mailboxes, no derived data. */
public final class FakeImapBackend implements ImapBackend {
  /** One stored message. */
  private record Stored(MessageMeta meta, byte[] bytes) {}

  private static final class Box {
    final long uidValidity;
    long uidNext = 1;
    long modSeq = 1;
    final Set<String> specialUse;
    final TreeMap<Long, Stored> messages = new TreeMap<>();
    final Map<Long, Long> expunged = new HashMap<>(); // uid -> modseq of its expunge

    Box(long uidValidity, Set<String> specialUse) {
      this.uidValidity = uidValidity;
      this.specialUse = specialUse;
    }
  }

  private final Map<String, String> passwords = new HashMap<>();
  private final Map<String, TreeMap<String, Box>> boxes = new HashMap<>();
  private final Map<String, Set<String>> subscriptions = new HashMap<>();
  private final List<Consumer<MailboxEvent>> listeners = new CopyOnWriteArrayList<>();
  private final Map<String, AtomicLong> commits = new ConcurrentHashMap<>();
  /** How often a whole mailbox listing and a batch load were asked for (tests check reads are not repeated). */
  final AtomicLong messagesCalls = new AtomicLong();
  /** Set while {@link #unnoticed} runs. */
  private volatile boolean quiet;
  /** Cluster nodes the listings pretend they could not reach. */
  volatile List<String> unreachable = List.of();
  final AtomicLong loadCalls = new AtomicLong();
  private final Set<Long> corrupt = new TreeSet<>();
  private long nextValidity = 1000;
  private long quota;
  /** When set, every write throws it, as a store on a full or failing disk does. */
  private volatile StoreException writesRefused;

  /** Adds a user with an INBOX. */
  public synchronized FakeImapBackend user(String user, String password) {
    passwords.put(user, password);
    boxes.computeIfAbsent(user, u -> new TreeMap<>()).put("INBOX", new Box(nextValidity++, Set.of()));
    return this;
  }

  /** Makes reads of {@code uid} fail their checksum. */
  public synchronized void corrupt(long uid) {
    corrupt.add(uid);
  }

  /** Makes every write (append, flags, copy, expunge) throw {@code refusal}; null lets them through again. */
  public void refuseWrites(StoreException refusal) {
    writesRefused = refusal;
  }

  private void checkWritable() {
    StoreException refusal = writesRefused;
    if (refusal != null) {
      throw refusal;
    }
  }

  /** Sets the quota of every user. */
  public synchronized void quota(long bytes) {
    quota = bytes;
  }

  /** Delivers a message as SMTP would, returning its UID. */
  public long deliver(String user, String mailbox, String message) {
    return append(user, mailbox, message.getBytes(StandardCharsets.UTF_8), Set.of(), Instant.parse("2024-03-01T10:00:00Z"),
        null).uid();
  }

  private Box box(String user, String name) {
    Box b = boxes.getOrDefault(user, new TreeMap<>()).get(name);
    if (b == null) {
      throw new StoreException("mailbox does not exist");
    }
    return b;
  }

  /** Runs {@code changes} without telling any watcher: the race where a change lands before its notice. */
  public void unnoticed(Runnable changes) {
    quiet = true;
    try {
      changes.run();
    } finally {
      quiet = false;
    }
  }

  private void publish(String user, String mailbox, MailboxEvent.Kind kind, List<Long> uids, long modSeq) {
    if (quiet) {
      return;
    }
    MailboxEvent e = new MailboxEvent(user, mailbox, kind, uids, modSeq);
    commits.computeIfAbsent(user, u -> new AtomicLong()).incrementAndGet();
    for (Consumer<MailboxEvent> l : listeners) {
      l.accept(e);
    }
  }

  @Override
  public List<String> unreachable(String user, String mailbox) {
    return unreachable;
  }

  @Override
  public synchronized boolean authenticate(String user, char[] password) {
    return new String(password).equals(passwords.get(user));
  }

  @Override
  public synchronized List<MailboxInfo> mailboxes(String user) {
    List<MailboxInfo> out = new ArrayList<>();
    for (String name : boxes.getOrDefault(user, new TreeMap<>()).keySet()) {
      out.add(info(user, name));
    }
    return out;
  }

  private MailboxInfo info(String user, String name) {
    Box b = box(user, name);
    long bytes = b.messages.values().stream().mapToLong(s -> s.meta().size()).sum();
    return new MailboxInfo(1, user, name, b.uidValidity, b.uidNext, b.modSeq, b.messages.size(), bytes, b.specialUse,
        subscriptions.getOrDefault(user, Set.of()).contains(name));
  }

  @Override
  public synchronized Optional<MailboxInfo> mailbox(String user, String name) {
    return boxes.getOrDefault(user, new TreeMap<>()).containsKey(name) ? Optional.of(info(user, name)) : Optional.empty();
  }

  @Override
  public synchronized MailboxInfo createMailbox(String user, String name, Set<String> specialUse) {
    if (boxes.get(user).containsKey(name)) {
      throw new StoreException("mailbox exists");
    }
    boxes.get(user).put(name, new Box(nextValidity++, Set.copyOf(specialUse)));
    return info(user, name);
  }

  @Override
  public synchronized boolean deleteMailbox(String user, String name) {
    return boxes.get(user).remove(name) != null;
  }

  @Override
  public synchronized void renameMailbox(String user, String from, String to) {
    TreeMap<String, Box> all = boxes.get(user);
    for (String name : new ArrayList<>(all.keySet())) {
      if (name.equals(from) || name.startsWith(from + "/")) {
        Box b = name.equals("INBOX") ? all.get(name) : all.remove(name);
        if (name.equals("INBOX")) {
          Box moved = new Box(nextValidity++, Set.of());
          moved.messages.putAll(b.messages);
          moved.uidNext = b.uidNext;
          b.messages.clear();
          b = moved;
        }
        all.put(to + name.substring(from.length()), b);
      }
    }
  }

  @Override
  public synchronized void setSubscribed(String user, String name, boolean subscribed) {
    Set<String> s = subscriptions.computeIfAbsent(user, u -> new TreeSet<>());
    if (subscribed) {
      s.add(name);
    } else {
      s.remove(name);
    }
  }

  @Override
  public synchronized Set<String> subscriptions(String user) {
    return Set.copyOf(subscriptions.getOrDefault(user, Set.of()));
  }

  @Override
  public synchronized List<MessageMeta> messages(String user, String mailbox) {
    messagesCalls.incrementAndGet();
    return box(user, mailbox).messages.values().stream().map(Stored::meta).toList();
  }

  @Override
  public synchronized List<LoadedMessage> load(String user, String mailbox, long uidValidity, List<Long> uids,
      Set<LoadedMessage.Part> parts) {
    loadCalls.incrementAndGet();
    Box b = box(user, mailbox);
    if (b.uidValidity != uidValidity) {
      throw new UidValidityChangedException(user, mailbox, uidValidity, b.uidValidity);
    }
    List<LoadedMessage> out = new ArrayList<>();
    for (long uid : uids) {
      Stored st = b.messages.get(uid);
      if (st == null) {
        continue;
      }
      boolean bad = corrupt.contains(uid) && parts.contains(LoadedMessage.Part.BODY);
      byte[] body = parts.contains(LoadedMessage.Part.BODY) && !bad ? st.bytes() : null;
      out.add(new LoadedMessage(st.meta(), body, null, bad ? "checksum mismatch (injected by test)" : null));
    }
    return out;
  }

  @Override
  public AppendResult append(String user, String mailbox, byte[] message, Set<String> flags, Instant internalDate,
      MessageDerived derived) {
    checkWritable();
    AppendResult r;
    long modSeq;
    synchronized (this) {
      Box b = box(user, mailbox);
      if (quota > 0 && usage(user) + message.length > quota) {
        return new AppendResult(false, b.uidValidity, 0);
      }
      long uid = b.uidNext++;
      modSeq = ++b.modSeq;
      b.messages.put(uid, new Stored(new MessageMeta(uid, internalDate, message.length, Set.copyOf(flags), modSeq, 0), message));
      r = new AppendResult(true, b.uidValidity, uid);
    }
    publish(user, mailbox, MailboxEvent.Kind.APPENDED, List.of(r.uid()), modSeq);
    return r;
  }

  @Override
  public FlagResult updateFlags(String user, String mailbox, long uidValidity, Collection<Long> uids,
      FlagUpdate update) {
    checkWritable();
    List<MessageMeta> updated = new ArrayList<>();
    Set<Long> modified = new TreeSet<>();
    long modSeq;
    synchronized (this) {
      Box b = box(user, mailbox);
      if (b.uidValidity != uidValidity) {
        throw new UidValidityChangedException(user, mailbox, uidValidity, b.uidValidity);
      }
      for (long uid : uids) {
        Stored s = b.messages.get(uid);
        if (s == null) {
          continue;
        }
        if (update.unchangedSince() >= 0 && s.meta().modSeq() > update.unchangedSince()) {
          modified.add(uid);
          continue;
        }
        Set<String> flags = new LinkedHashSet<>(s.meta().flags());
        switch (update.mode()) {
          case REPLACE -> {
            flags.clear();
            flags.addAll(update.flags());
          }
          case ADD -> flags.addAll(update.flags());
          case REMOVE -> flags.removeAll(update.flags());
        }
        MessageMeta m = s.meta();
        if (!flags.equals(m.flags())) {
          m = new MessageMeta(uid, m.internalDate(), m.size(), Set.copyOf(flags), ++b.modSeq, 0);
          b.messages.put(uid, new Stored(m, s.bytes()));
        }
        updated.add(m);
      }
      modSeq = b.modSeq;
    }
    publish(user, mailbox, MailboxEvent.Kind.FLAGS, List.copyOf(uids), modSeq);
    return new FlagResult(updated, modified);
  }

  @Override
  public CopyResult copy(String user, String from, long uidValidity, Collection<Long> uids, String to, boolean move) {
    checkWritable();
    List<Long> src = new ArrayList<>();
    List<Long> dst = new ArrayList<>();
    long validity;
    long fromValidity;
    synchronized (this) {
      Box a = box(user, from);
      if (a.uidValidity != uidValidity) {
        throw new UidValidityChangedException(user, from, uidValidity, a.uidValidity);
      }
      Box b = box(user, to);
      validity = b.uidValidity;
      fromValidity = a.uidValidity;
      for (long uid : uids) {
        Stored s = a.messages.get(uid);
        if (s == null) {
          continue;
        }
        long nu = b.uidNext++;
        MessageMeta m = s.meta();
        b.messages.put(nu, new Stored(new MessageMeta(nu, m.internalDate(), m.size(), m.flags(), ++b.modSeq, 0), s.bytes()));
        src.add(uid);
        dst.add(nu);
      }
    }
    if (move) {
      expunge(user, from, fromValidity, src);
    }
    publish(user, to, MailboxEvent.Kind.APPENDED, dst, 0);
    return new CopyResult(validity, src, dst);
  }

  @Override
  public void expunge(String user, String mailbox, long uidValidity, Collection<Long> uids) {
    checkWritable();
    long modSeq;
    synchronized (this) {
      Box b = box(user, mailbox);
      if (b.uidValidity != uidValidity) {
        throw new UidValidityChangedException(user, mailbox, uidValidity, b.uidValidity);
      }
      modSeq = ++b.modSeq;
      for (long uid : uids) {
        if (b.messages.remove(uid) != null) {
          b.expunged.put(uid, modSeq);
        }
      }
    }
    publish(user, mailbox, MailboxEvent.Kind.EXPUNGED, List.copyOf(uids), modSeq);
  }

  @Override
  public synchronized List<Long> expungedSince(String user, String mailbox, long modSeq) {
    return box(user, mailbox).expunged.entrySet().stream().filter(e -> e.getValue() > modSeq).map(Map.Entry::getKey)
        .sorted().toList();
  }

  @Override
  public MailboxWatch watch(String user, Consumer<MailboxEvent> listener) {
    Consumer<MailboxEvent> filtered = e -> {
      if (e.user().equals(user)) {
        listener.accept(e);
      }
    };
    listeners.add(filtered);
    AtomicLong count = commits.computeIfAbsent(user, u -> new AtomicLong());
    return new MailboxWatch() {
      @Override
      public long commits() {
        return count.get();
      }

      @Override
      public void close() {
        listeners.remove(filtered);
      }
    };
  }

  @Override
  public synchronized long usage(String user) {
    return boxes.getOrDefault(user, new TreeMap<>()).values().stream()
        .flatMap(b -> b.messages.values().stream()).mapToLong(s -> s.meta().size()).sum();
  }

  @Override
  public synchronized long quota(String user) {
    return quota;
  }
}
