package dev.quill.cluster.mail;

import dev.quill.cluster.manager.ChangeNotices;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MailboxWatch;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A user's changes as this node's sessions see them, wherever in the cluster they were made:
 * changes committed to this node's store (its own watch), changes this node made on other nodes,
 * and changes other nodes made, forwarded by the user's manager ({@link ChangeNotices}). Each
 * advances the watch's commit counter before the change's caller is answered (for changes made
 * here) or when the notice arrives (for changes made elsewhere, which is later by one network hop).
 */
final class ClusterWatches {
  private static final Logger log = LoggerFactory.getLogger(ClusterWatches.class);

  private final MailStore local;
  private final ChangeNotices notices;
  private final Map<String, UserWatch> users = new ConcurrentHashMap<>();

  ClusterWatches(MailStore local, ChangeNotices notices) {
    this.local = local;
    this.notices = notices;
  }

  MailboxWatch watch(String user, Consumer<MailboxEvent> listener) {
    UserWatch w = users.compute(user, (u, existing) -> {
      UserWatch uw = existing != null ? existing : new UserWatch(u);
      uw.holders++;
      return uw;
    });
    w.listeners.add(listener);
    return new MailboxWatch() {
      private boolean closed;

      @Override
      public long commits() {
        return w.commits();
      }

      @Override
      public synchronized void close() {
        if (closed) {
          return;
        }
        closed = true;
        w.listeners.remove(listener);
        users.compute(user, (u, existing) -> {
          if (existing == null || --existing.holders > 0) {
            return existing;
          }
          existing.close();
          return null;
        });
      }
    };
  }

  /**
   * A change this node made: tells the other nodes' sessions (through the manager) and, when the
   * change did not land in this node's store (whose own watch already counts it), this node's.
   */
  void changed(MailboxEvent event, boolean committedHere) {
    changed(event, committedHere, true);
  }

  /** As {@link #changed(MailboxEvent, boolean)}; {@code publish} false when no other node watches the user. */
  void changed(MailboxEvent event, boolean committedHere, boolean publish) {
    if (!committedHere) {
      UserWatch w = users.get(event.user());
      if (w != null) {
        w.apply(event);
      }
    }
    if (publish) {
      notices.publish(event);
    }
  }

  /** Makes every watched user's counter move, so sessions re-read at their next command. */
  void membershipChanged() {
    users.values().forEach(w -> w.elsewhere.incrementAndGet());
  }

  /** Watches of one user on this node, shared by its sessions. */
  private final class UserWatch {
    final String user;
    final List<Consumer<MailboxEvent>> listeners = new CopyOnWriteArrayList<>();
    final AtomicLong elsewhere = new AtomicLong();
    final MailboxWatch localWatch;
    final AutoCloseable remoteWatch;
    int holders;

    UserWatch(String user) {
      this.user = user;
      this.localWatch = local.watch(user, this::dispatch);
      this.remoteWatch = notices.watch(user, this::apply);
    }

    long commits() {
      return localWatch.commits() + elsewhere.get();
    }

    void apply(MailboxEvent event) {
      elsewhere.incrementAndGet();
      dispatch(event);
    }

    void dispatch(MailboxEvent event) {
      for (Consumer<MailboxEvent> l : listeners) {
        try {
          l.accept(event);
        } catch (RuntimeException e) {
          log.warn("event=watch-listener-failed user={} error={}", user, e.toString());
        }
      }
    }

    void close() {
      localWatch.close();
      try {
        remoteWatch.close();
      } catch (Exception e) {
        log.debug("event=unwatch-failed user={} error={}", user, e.toString());
      }
    }
  }
}
