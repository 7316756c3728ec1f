package dev.quill.store;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
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

  private final Map<String, List<Consumer<MailboxEvent>>> listeners = new ConcurrentHashMap<>();
  private final LinkedBlockingQueue<List<MailboxEvent>> queue = new LinkedBlockingQueue<>();
  private final Thread dispatcher;

  ChangeNotifier() {
    dispatcher = Thread.ofVirtual().name("quill-store-events").start(this::dispatch);
  }

  /** Registers {@code listener} for the changes of {@code user}; closing the handle removes it. */
  AutoCloseable watch(String user, Consumer<MailboxEvent> listener) {
    listeners.computeIfAbsent(user, u -> new CopyOnWriteArrayList<>()).add(listener);
    return () -> listeners.computeIfPresent(user, (u, list) -> {
      list.remove(listener);
      return list.isEmpty() ? null : list;
    });
  }

  /** Queues events of one durable commit; never blocks. */
  void publish(List<MailboxEvent> events) {
    if (!events.isEmpty() && events.stream().anyMatch(e -> listeners.containsKey(e.user()))) {
      queue.add(events);
    }
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
        for (Consumer<MailboxEvent> listener : listeners.getOrDefault(event.user(), List.of())) {
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
