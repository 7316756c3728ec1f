package dev.quill.store;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes {@link MailboxEvent}s to the listeners of {@link MailStore#watch}.
 *
 * <p>The commit thread hands each durable batch's events to {@link #publish}, which only queues
 * them, so the committer never waits for a listener. One dispatcher thread calls the listeners,
 * in commit order, each in isolation: a listener that throws is logged and stays registered.
 */
final class ChangeNotifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ChangeNotifier.class);
  private static final List<MailboxEvent> STOP = List.of();

  /** A watched user's listeners and commit counter; removed with the last listener. */
  private record Watchers(List<Consumer<MailboxEvent>> listeners, AtomicLong commits) {}

  private final Map<String, Watchers> watched = new ConcurrentHashMap<>();
  private final LinkedBlockingQueue<List<MailboxEvent>> queue = new LinkedBlockingQueue<>();
  private final Thread dispatcher;

  ChangeNotifier() {
    dispatcher = Thread.ofVirtual().name("quill-store-events").start(this::dispatch);
  }

  /** Registers {@code listener} for the changes of {@code user}; closing the handle removes it. */
  MailboxWatch watch(String user, Consumer<MailboxEvent> listener) {
    Watchers w = watched.compute(user, (u, old) -> {
      Watchers now = old != null ? old : new Watchers(new CopyOnWriteArrayList<>(), new AtomicLong());
      now.listeners().add(listener);
      return now;
    });
    return new MailboxWatch() {
      @Override
      public long commits() {
        return w.commits().get();
      }

      @Override
      public void close() {
        watched.computeIfPresent(user, (u, now) -> {
          now.listeners().remove(listener);
          return now.listeners().isEmpty() ? null : now;
        });
      }
    };
  }

  /**
   * Counts the commit for its users and queues its events; never blocks. Runs on the commit
   * thread before the writers' futures complete, which is what makes {@link MailboxWatch#commits}
   * exact.
   */
  void publish(List<MailboxEvent> events) {
    boolean anyWatched = false;
    for (int i = 0; i < events.size(); i++) {
      if (!firstOfItsUser(events, i)) {
        continue; // one commit counts once per user, however many mailboxes it touched
      }
      Watchers w = watched.get(events.get(i).user());
      if (w != null) {
        w.commits().incrementAndGet();
        anyWatched = true;
      }
    }
    if (anyWatched) {
      queue.add(events);
    }
  }

  private static boolean firstOfItsUser(List<MailboxEvent> events, int i) {
    for (int j = 0; j < i; j++) {
      if (events.get(j).user().equals(events.get(i).user())) {
        return false;
      }
    }
    return true;
  }

  /** An after-sync action publishing {@code events}, or null when there are none. */
  Runnable publisher(List<MailboxEvent> events) {
    return events.isEmpty() ? null : () -> publish(List.copyOf(events));
  }

  /** Delivers what is queued, then stops the dispatcher. */
  @Override
  public void close() {
    queue.add(STOP);
    try {
      dispatcher.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void dispatch() {
    while (true) {
      List<MailboxEvent> events;
      try {
        events = queue.take();
      } catch (InterruptedException e) {
        continue; // only close() ends this thread
      }
      if (events == STOP) {
        return;
      }
      for (MailboxEvent event : events) {
        Watchers w = watched.get(event.user());
        for (Consumer<MailboxEvent> listener : w == null ? List.<Consumer<MailboxEvent>>of() : w.listeners()) {
          try {
            listener.accept(event);
          } catch (RuntimeException e) {
            log.warn("mailbox event listener of {} failed on {} {}: {}",
                event.user(), event.kind(), event.mailbox(), e.toString(), e);
          }
        }
      }
    }
  }
}
