package dev.quill.cluster.mail;

import dev.quill.cluster.manager.ManagerClient;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MessageMeta;
import dev.quill.store.StoreException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fragment renames that a holder refused or did not answer during a cluster RENAME, made again in the
 * background until the holder takes them. The catalog and the manager have the new name already, so
 * until then that holder's part of the mailbox keeps the old name and shows nowhere (on a profile
 * copy, sessions through it list the old name too); once renamed it shows under the new one.
 *
 * <p>A retry renames only fragments still of the renamed mailboxes' UIDVALIDITYs: a mailbox created
 * again under an old name meanwhile is another mailbox and stays. A fragment of the new name already
 * there of the same UIDVALIDITY is deleted first when empty (a profile copy gets one from the catalog's
 * image); one that took messages meanwhile (a delivery stored there) takes the old fragment's messages,
 * each under its own UID, MODSEQ and flags (UIDs are never given twice under one UIDVALIDITY, so none
 * collide), and the old fragment is then deleted. One of another UIDVALIDITY is another mailbox: the
 * retry waits. The holder is then told to compare the renamed fragment with the other copies (a
 * {@link MissedChanges} hint), since its part missed every change made under the new name meanwhile.
 *
 * <p>Retries are every {@link #RETRY} while the holder is a member, and are given up after
 * {@link #GIVE_UP} with a warning that says what is left where. They are kept in a file
 * ({@link PendingRenamesFile}), so a restart of this node goes on with them.
 */
public final class PendingRenames implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PendingRenames.class);
  static final Duration RETRY = Duration.ofSeconds(2);
  static final Duration GIVE_UP = Duration.ofMinutes(30);
  private static final Set<LoadedMessage.Part> ALL = EnumSet.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED);

  /**
   * One holder's rename of its fragment {@code from} and its inferiors to {@code to}; {@code
   * uidValidities} has the UIDVALIDITY of each of them when the RENAME was made, by name.
   */
  record Rename(String node, String user, String from, String to, Map<String, Long> uidValidities) {
    Rename {
      uidValidities = Map.copyOf(uidValidities);
    }
  }

  /** When a rename is tried next (System.nanoTime()) and when it is given up (wall clock, epoch ms: it outlives a restart). */
  private record Due(long next, long giveUpMillis) {}

  private final String self;
  private final FragmentAccess fragments;
  private final FragmentService storing;
  private final ManagerClient managers;
  private final MissedChanges missed;
  private final Supplier<List<String>> members;
  private final Duration timeout;
  private final PendingRenamesFile file;
  private final Map<Rename, Due> pending = new ConcurrentHashMap<>();
  private final ScheduledExecutorService ticker;

  /**
   * Starts retrying the renames kept in {@code file} (none when it does not exist yet).
   *
   * @param storing stores a merged fragment's messages on the holder
   * @param missed told to make a holder compare each fragment it renamed late with the other copies
   * @param members the current view's members: a holder is tried only while it is one
   * @param file where the pending renames are kept across restarts
   */
  public PendingRenames(String self, FragmentAccess fragments, FragmentService storing, ManagerClient managers,
      MissedChanges missed, Supplier<List<String>> members, Duration timeout, Path file) {
    this.self = self;
    this.fragments = fragments;
    this.storing = storing;
    this.managers = managers;
    this.missed = missed;
    this.members = members;
    this.timeout = timeout;
    this.file = new PendingRenamesFile(file);
    long now = System.nanoTime();
    this.file.read().forEach((r, giveUp) -> pending.put(r, new Due(now + RETRY.toNanos(), giveUp)));
    if (!pending.isEmpty()) {
      log.info("{}: {} fragment rename(s) of an earlier RENAME still to make, from {}", self, pending.size(), file);
    }
    this.ticker = Executors.newSingleThreadScheduledExecutor(
        Thread.ofVirtual().name("quill-pending-renames-" + self).factory());
    ticker.scheduleWithFixedDelay(this::round, 250, 250, TimeUnit.MILLISECONDS);
  }

  /** Remembers a rename {@code rename.node()} did not make, in the file before it returns; tried again after {@link #RETRY}. */
  void add(Rename rename) {
    pending.put(rename, new Due(System.nanoTime() + RETRY.toNanos(), System.currentTimeMillis() + GIVE_UP.toMillis()));
    save();
  }

  /** How many renames wait. */
  int size() {
    return pending.size();
  }

  /** Writes what waits now; a failure is logged (the retries go on in memory) and the next change writes again. */
  private synchronized void save() {
    try {
      Map<Rename, Long> now = new LinkedHashMap<>();
      pending.forEach((r, due) -> now.put(r, due.giveUpMillis()));
      file.write(now);
    } catch (UncheckedIOException e) {
      log.warn("{}: {}; a restart of this node now would forget them", self, e.getMessage());
    }
  }

  /** One look at every pending rename: those due whose holder is a member are tried once. */
  private void round() {
    try {
      long now = System.nanoTime();
      List<String> live = members.get();
      boolean changed = false;
      for (var entry : pending.entrySet()) {
        Rename r = entry.getKey();
        Due due = entry.getValue();
        if (System.currentTimeMillis() - due.giveUpMillis() > 0) {
          changed |= pending.remove(r, due);
          log.warn("{}: gave up renaming {}/{} to {} on {}: that fragment keeps the old name and does not show; "
              + "move its messages by hand", self, r.user(), r.from(), r.to(), r.node());
        } else if (now - due.next() >= 0 && live.contains(r.node())) {
          if (tryOnce(r)) {
            changed |= pending.remove(r, due);
          } else {
            pending.replace(r, due, new Due(System.nanoTime() + RETRY.toNanos(), due.giveUpMillis()));
          }
        }
      }
      if (changed) {
        save();
      }
    } catch (RuntimeException e) {
      log.warn("{}: a round of pending renames failed: {}", self, e.toString()); // the next round tries again
    }
  }

  /** Whether the rename is made or no longer needed; false to try again later. */
  private boolean tryOnce(Rename r) {
    try {
      List<MailboxInfo> held = Remote.join(fragments.mailboxes(r.node(), r.user(), timeout), "listing on " + r.node());
      // Only fragments of the renamed mailboxes: one created again under an old name is another
      // mailbox (another UIDVALIDITY) and stays. Deepest first, so that each rename moves only itself.
      List<MailboxInfo> all = held.stream()
          .filter(b -> b.name().equals(r.from()) || b.name().startsWith(r.from() + "/"))
          .filter(b -> r.uidValidities().getOrDefault(b.name(), -1L) == b.uidValidity())
          .sorted(Comparator.comparing((MailboxInfo b) -> b.name().length()).reversed())
          .collect(java.util.stream.Collectors.toCollection(java.util.ArrayList::new));
      if (held.stream().anyMatch(b -> b.name().startsWith(r.from() + "/") && !all.contains(b))) {
        // a rename of the top would carry along an inferior that is not of the renamed mailboxes
        all.removeIf(b -> b.name().equals(r.from()));
      }
      if (all.isEmpty()) {
        return true;
      }
      for (MailboxInfo b : all) {
        String renamed = r.to() + b.name().substring(r.from().length());
        Optional<MailboxInfo> there = find(held, renamed);
        if (there.isPresent() && there.get().uidValidity() != b.uidValidity()) {
          log.debug("{}: {} holds {} of {} under another UIDVALIDITY; {} waits", self, r.node(), renamed, r.user(),
              b.name());
          return false;
        }
        if (there.isPresent() && there.get().messageCount() > 0) {
          if (!merge(r, b, renamed)) {
            return false;
          }
        } else {
          if (there.isPresent()) {
            // empty, of the same UIDVALIDITY (a profile copy's, from the catalog's image): a rename is
            // one write where a merge copies every message
            Remote.join(fragments.deleteFragment(r.node(), r.user(), renamed, timeout), "clearing " + renamed);
          }
          Remote.join(fragments.renameFragment(r.node(), r.user(), b.name(), renamed, true, timeout),
              "renaming on " + r.node());
        }
        Remote.join(managers.fragmentStored(r.user(), renamed, r.node()), "registering " + renamed);
        Remote.join(managers.fragmentDropped(r.user(), b.name(), r.node()), "unregistering " + b.name());
        missed.missed(r.node(), r.user(), renamed);
      }
      log.info("{}: renamed {}/{} to {} on {}, which had not taken the RENAME", self, r.user(), r.from(), r.to(),
          r.node());
      return true;
    } catch (RuntimeException e) {
      log.debug("{}: renaming {}/{} on {} failed again: {}", self, r.user(), r.from(), r.node(), e.getMessage());
      return false;
    }
  }

  /**
   * Moves every message of the holder's fragment {@code from} into its fragment {@code into} of the
   * same UIDVALIDITY, then deletes {@code from}; whether it is done (false: a message came or stayed,
   * try again; what was copied is refused as already there next time).
   */
  private boolean merge(Rename r, MailboxInfo from, String into) {
    String node = r.node();
    long uidValidity = from.uidValidity();
    List<MessageMeta> listed = Remote.join(fragments.list(node, r.user(), from.name(), timeout),
        "listing " + from.name()).messages();
    Set<Long> moved = new HashSet<>();
    for (List<Long> batch : CopyBatches.of(listed)) {
      Map<Long, CompletableFuture<AppendResult>> calls = new LinkedHashMap<>();
      for (LoadedMessage m : Remote.join(fragments.load(node, r.user(), from.name(), uidValidity, batch, ALL, timeout),
          "loading " + from.name())) {
        if (m.body() == null) {
          // corrupt, quarantined there: nothing left to copy, and deleting the fragment loses nothing readable
          moved.add(m.meta().uid());
          continue;
        }
        MessageMeta meta = m.meta();
        calls.put(meta.uid(), storing.store(node, new AssignedMessage(r.user(), into, uidValidity, meta.uid(),
            meta.modSeq(), m.body(), meta.flags(), meta.internalDate(), m.derived()), timeout));
      }
      for (var call : calls.entrySet()) {
        try {
          if (!Remote.join(call.getValue(), "storing in " + into).stored()) {
            log.warn("{}: {} refused a message of {}/{} into {}: over quota; the merge waits", self, node, r.user(),
                from.name(), into);
            return false;
          }
        } catch (RuntimeException e) {
          if (!StoreException.copyNotNeeded(e)) {
            throw e;
          }
        }
        moved.add(call.getKey());
      }
    }
    // Nothing reaches a fragment under a name no listing shows; looked again all the same, so that
    // nothing is deleted that was not copied.
    List<Long> left = Remote.join(fragments.list(node, r.user(), from.name(), timeout), "listing " + from.name())
        .messages().stream().map(MessageMeta::uid).filter(uid -> !moved.contains(uid)).toList();
    if (!left.isEmpty()) {
      return false;
    }
    Remote.join(fragments.deleteFragment(node, r.user(), from.name(), timeout), "deleting " + from.name());
    log.info("{}: merged {} message(s) of {}/{} into {} on {}", self, moved.size(), r.user(), from.name(), into, node);
    return true;
  }

  private static Optional<MailboxInfo> find(List<MailboxInfo> boxes, String name) {
    return boxes.stream().filter(b -> b.name().equals(name)).findFirst();
  }

  /**
   * Stops the retries, waits for a round in progress, and writes what still waits: a round stopped
   * between making a rename and writing the file (or while writing it) would otherwise leave the file
   * naming a rename already made, to be tried again (harmlessly) after a restart.
   */
  @Override
  public void close() {
    ticker.shutdownNow();
    try {
      if (!ticker.awaitTermination(10, TimeUnit.SECONDS)) {
        log.warn("{}: a round of pending renames did not stop within 10 s", self);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    save();
  }
}
