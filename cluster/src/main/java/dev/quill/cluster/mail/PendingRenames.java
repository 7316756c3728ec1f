package dev.quill.cluster.mail;

import dev.quill.cluster.manager.ManagerClient;
import dev.quill.store.MailboxInfo;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * there (a profile copy gets an empty one from the catalog's image) is deleted first when it is empty
 * and of the same UIDVALIDITY; one that took messages meanwhile would need the two merged, which is
 * not done: the retry waits, and is given up after {@link #GIVE_UP} with a warning that says what is
 * left where. Retries are every {@link #RETRY} while the holder is a member. They live in memory: a
 * restart of this node forgets them (the fragment then keeps the old name).
 */
final class PendingRenames implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PendingRenames.class);
  static final Duration RETRY = Duration.ofSeconds(2);
  static final Duration GIVE_UP = Duration.ofMinutes(30);

  /**
   * One holder's rename of its fragment {@code from} and its inferiors to {@code to}; {@code
   * uidValidities} has the UIDVALIDITY of each of them when the RENAME was made, by name.
   */
  record Rename(String node, String user, String from, String to, Map<String, Long> uidValidities) {
    Rename {
      uidValidities = Map.copyOf(uidValidities);
    }
  }

  /** When a rename is tried next and when it is given up, in System.nanoTime(). */
  private record Due(long next, long giveUp) {}

  private final String self;
  private final FragmentAccess fragments;
  private final ManagerClient managers;
  private final Supplier<List<String>> members;
  private final Duration timeout;
  private final Map<Rename, Due> pending = new ConcurrentHashMap<>();
  private final ScheduledExecutorService ticker;

  PendingRenames(String self, FragmentAccess fragments, ManagerClient managers, Supplier<List<String>> members,
      Duration timeout) {
    this.self = self;
    this.fragments = fragments;
    this.managers = managers;
    this.members = members;
    this.timeout = timeout;
    this.ticker = Executors.newSingleThreadScheduledExecutor(
        Thread.ofVirtual().name("quill-pending-renames-" + self).factory());
    ticker.scheduleWithFixedDelay(this::round, 250, 250, TimeUnit.MILLISECONDS);
  }

  /** Remembers a rename {@code rename.node()} did not make; tried again after {@link #RETRY}. */
  void add(Rename rename) {
    long now = System.nanoTime();
    pending.put(rename, new Due(now + RETRY.toNanos(), now + GIVE_UP.toNanos()));
  }

  /** How many renames wait. */
  int size() {
    return pending.size();
  }

  /** One look at every pending rename: those due whose holder is a member are tried once. */
  private void round() {
    try {
      long now = System.nanoTime();
      List<String> live = members.get();
      pending.forEach((r, due) -> {
        if (now - due.giveUp() > 0) {
          pending.remove(r, due);
          log.warn("{}: gave up renaming {}/{} to {} on {}: that fragment keeps the old name and does not show; "
              + "move its messages by hand", self, r.user(), r.from(), r.to(), r.node());
        } else if (now - due.next() >= 0 && live.contains(r.node())) {
          if (tryOnce(r)) {
            pending.remove(r, due);
          } else {
            pending.replace(r, due, new Due(System.nanoTime() + RETRY.toNanos(), due.giveUp()));
          }
        }
      });
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
        if (there.isPresent()) {
          if (there.get().uidValidity() != b.uidValidity() || there.get().messageCount() > 0) {
            log.debug("{}: {} holds {} of {} with messages or another UIDVALIDITY; {} waits", self, r.node(),
                renamed, r.user(), b.name());
            return false;
          }
          Remote.join(fragments.deleteFragment(r.node(), r.user(), renamed, timeout), "clearing " + renamed);
        }
        Remote.join(fragments.renameFragment(r.node(), r.user(), b.name(), renamed, true, timeout),
            "renaming on " + r.node());
        Remote.join(managers.fragmentStored(r.user(), renamed, r.node()), "registering " + renamed);
        Remote.join(managers.fragmentDropped(r.user(), b.name(), r.node()), "unregistering " + b.name());
      }
      log.info("{}: renamed {}/{} to {} on {}, which had not taken the RENAME", self, r.user(), r.from(), r.to(),
          r.node());
      return true;
    } catch (RuntimeException e) {
      log.debug("{}: renaming {}/{} on {} failed again: {}", self, r.user(), r.from(), r.node(), e.getMessage());
      return false;
    }
  }

  private static Optional<MailboxInfo> find(List<MailboxInfo> boxes, String name) {
    return boxes.stream().filter(b -> b.name().equals(name)).findFirst();
  }

  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
