package dev.quill.cluster.mail;

import dev.quill.cluster.mail.FragmentAccessCodecs.MailboxRequest;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hinted catch-up: when a copy's node did not answer a write in time, this node remembers a hint
 * (node, user, mailbox) and, once that node is in the view and answers, asks it to compare its copy
 * of the mailbox with the others ({@code SYNC_MAILBOX}, served by {@link ReplicaSync#sync}). A
 * node that was only slow or paused — never out of the view, so never caught up as a whole — thus
 * applies the expunges and flag changes it missed, and drops a message stored there after the
 * writer had given up on it and deleted it elsewhere.
 *
 * <p>Hints wait {@link #DELAY} before the first try, so that a late write still queued on a paused
 * node is applied before the comparison, and are retried every {@link #RETRY} until one succeeds.
 * They live in memory: a node that restarts forgets its hints, and the nodes they named catch up as
 * a whole when they come back. At most {@link #MAX_HINTS} are kept; beyond that new hints are
 * dropped with a warning (the next catch-up of those nodes covers them).
 */
public final class SyncHints implements MissedChanges, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SyncHints.class);
  static final MessageType<MailboxRequest, Void> SYNC_MAILBOX = new MessageType<>(
      TypeIds.SYNC_MAILBOX, 1, "SYNC_MAILBOX", FragmentAccessCodecs.MAILBOX, Codecs.EMPTY);
  static final Duration DELAY = Duration.ofSeconds(2);
  static final Duration RETRY = Duration.ofSeconds(2);
  static final int MAX_HINTS = 100_000;

  private record Hint(String node, String user, String mailbox) {}

  private final RpcEndpoint endpoint;
  private final Supplier<List<String>> members;
  private final Duration timeout;
  /** Each hint with the System.nanoTime() before which it is not sent. */
  private final Map<Hint, Long> hints = new ConcurrentHashMap<>();
  private final Map<Hint, Boolean> inFlight = new ConcurrentHashMap<>();
  private final Thread sender;
  private volatile boolean closed;

  /** Serves {@code SYNC_MAILBOX} with {@code sync} and starts sending this node's hints. */
  public SyncHints(RpcEndpoint endpoint, ReplicaSync sync, Supplier<List<String>> members, Duration timeout) {
    this.endpoint = endpoint;
    this.members = members;
    this.timeout = timeout;
    endpoint.register(SYNC_MAILBOX, (from, r) -> {
      sync.sync(r.user(), r.mailbox());
      return null;
    });
    this.sender = Thread.ofVirtual().name("quill-sync-hints-" + endpoint.self()).start(this::sendLoop);
  }

  @Override
  public void missed(String node, String user, String mailbox) {
    if (node.equals(endpoint.self())) {
      return;
    }
    if (hints.size() >= MAX_HINTS) {
      log.warn("{}: {} sync hints pending; not keeping one for {} ({}/{}): its next catch-up covers it",
          endpoint.self(), hints.size(), node, user, mailbox);
      return;
    }
    hints.put(new Hint(node, user, mailbox), System.nanoTime() + DELAY.toNanos());
  }

  private void sendLoop() {
    while (!closed) {
      try {
        Thread.sleep(250);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      List<String> live = members.get();
      for (var entry : hints.entrySet()) {
        Hint h = entry.getKey();
        if (entry.getValue() - now > 0 || !live.contains(h.node()) || inFlight.putIfAbsent(h, true) != null) {
          continue;
        }
        long sentAt = entry.getValue();
        endpoint.call(h.node(), SYNC_MAILBOX, new MailboxRequest(h.user(), h.mailbox()), timeout)
            .whenComplete((v, e) -> {
              inFlight.remove(h);
              if (e == null) {
                hints.remove(h, sentAt); // a newer hint for the same mailbox stays
              } else {
                hints.replace(h, sentAt, System.nanoTime() + RETRY.toNanos());
                log.debug("{}: sync hint to {} for {}/{} failed: {}", endpoint.self(), h.node(), h.user(),
                    h.mailbox(), e.getMessage());
              }
            });
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    sender.interrupt();
  }
}
