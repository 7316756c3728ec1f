package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.RpcException;
import dev.quill.store.Addresses;
import dev.quill.store.MaildropLock;
import dev.quill.store.StoreException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's side of the POP3 maildrop locks across the cluster: a session takes its user's lock
 * at the user's manager ({@code MAILDROP_LOCK}), so that one session in the whole cluster holds a
 * maildrop at a time, as on a single node (RFC 1939 section 4).
 *
 * <p>Managers keep the locks as soft state, so every lock a session here holds <em>or is taking</em>
 * is listed here before its request leaves, and this node's reports after a view change carry them
 * ({@link #held}): a new manager learns every lock before it is complete, and complete is when it
 * first gives one. A manager forgets the locks of a node that leaves the view.
 *
 * <p>A session's end waits for the manager to take its lock back (up to 2 s), so that the client,
 * told "+OK" to its QUIT, may log in again at once on any node. Giving back is sent again (100 ms
 * doubling to 5 s) until the manager answers, and also after a
 * refused or failed take, since a report may have carried the lock meanwhile; a take this node
 * stopped waiting for is given back a second time when its answer comes, in case it was granted
 * after the first.
 * A late give-back removes nothing, as it names its session's token.
 */
public final class MaildropLeases implements AutoCloseable {
  static final Duration FIRST_RETRY = Duration.ofMillis(100);
  static final Duration LAST_RETRY = Duration.ofSeconds(5);
  /** How long a session's end waits for its lock to be given back before going on without. */
  static final Duration GIVE_BACK_WAIT = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(MaildropLeases.class);

  private final String self;
  private final ManagerClient client;
  private final Duration timeout;
  /** Per normalised user, the token of the session here that holds or is taking the lock. */
  private final Map<String, Long> held = new ConcurrentHashMap<>();
  /** Tokens start at a random point, so a restarted node's sessions never reuse an earlier run's. */
  private final AtomicLong tokens = new AtomicLong(ThreadLocalRandom.current().nextLong(1L << 62));
  private volatile boolean closed;

  /**
   * @param client routes to each user's manager in this node's current view
   * @param timeout how long a take may wait for the manager (its retries included)
   */
  public MaildropLeases(String self, ManagerClient client, Duration timeout) {
    this.self = self;
    this.client = client;
    this.timeout = timeout;
  }

  /**
   * Takes the user's maildrop for a session of this node: empty while another session, here or on
   * another node, holds it.
   *
   * @throws StoreException when the manager cannot be asked now (the session answers "try later")
   */
  public Optional<MaildropLock> lock(String address) {
    String user = Addresses.normalize(address);
    long token = tokens.incrementAndGet();
    if (held.putIfAbsent(user, token) != null) {
      return Optional.empty();
    }
    boolean granted;
    CompletableFuture<Boolean> take = client.lockMaildrop(user, token);
    try {
      granted = take.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RpcException r && r.code() == RpcException.Code.UNKNOWN_TYPE) {
        // A manager of an earlier release, during an upgrade one node at a time: the lock holds on
        // this node only, as it did then.
        log.debug("{}: the manager of {} does not know MAILDROP_LOCK yet; locked on this node only", self, user);
        return Optional.of(localOnly(user, token));
      }
      giveBack(user, token);
      log.info("{}: maildrop lock of {} not taken: {}", self, user, e.getCause());
      throw new StoreException("the maildrop lock of " + user + " cannot be taken now: " + e.getCause().getMessage());
    } catch (TimeoutException e) {
      giveBack(user, token);
      // The take is still on its way and may be granted after this give-back: give it back once
      // more when its answer comes (or its call times out, the answer lost).
      take.whenComplete((late, failure) -> release(user, token, FIRST_RETRY));
      log.info("{}: maildrop lock of {} not taken: no answer within {} ms", self, user, timeout.toMillis());
      throw new StoreException("the maildrop lock of " + user + " cannot be taken now: its manager did not answer");
    } catch (InterruptedException e) {
      giveBack(user, token);
      take.whenComplete((late, failure) -> release(user, token, FIRST_RETRY)); // as for a timeout
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while taking the maildrop lock of " + user);
    }
    if (!granted) {
      giveBack(user, token);
      return Optional.empty();
    }
    AtomicBoolean open = new AtomicBoolean(true);
    return Optional.of(() -> {
      if (open.compareAndSet(true, false)) {
        giveBackAndWait(user, token);
      }
    });
  }

  /**
   * Gives a session's lock back and waits for the manager's answer (at most {@link #GIVE_BACK_WAIT}),
   * so that a client told "+OK" to its QUIT finds the maildrop free at once on any node; when the
   * answer does not come in time, the give-back goes on in the background.
   */
  private void giveBackAndWait(String user, long token) {
    held.remove(user, token);
    try {
      client.unlockMaildrop(user, token).get(GIVE_BACK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      return;
    } catch (ExecutionException | TimeoutException e) {
      log.debug("{}: maildrop lock of {} not given back at once: {}", self, user, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    release(user, token, FIRST_RETRY);
  }

  /** A lock kept on this node alone: giving it back tells no manager. */
  private MaildropLock localOnly(String user, long token) {
    AtomicBoolean open = new AtomicBoolean(true);
    return () -> {
      if (open.compareAndSet(true, false)) {
        held.remove(user, token);
      }
    };
  }

  /** The locks this node's sessions hold or are taking, per normalised user: what its reports carry. */
  public Map<String, Long> held() {
    return Map.copyOf(held);
  }

  @Override
  public void close() {
    closed = true;
  }

  private void giveBack(String user, long token) {
    held.remove(user, token);
    release(user, token, FIRST_RETRY);
  }

  private void release(String user, long token, Duration wait) {
    if (closed) {
      return; // the managers forget this node's locks when it leaves the view
    }
    client.unlockMaildrop(user, token).whenComplete((ok, failure) -> {
      if (failure == null || closed) {
        return;
      }
      log.debug("{}: maildrop lock of {} not given back yet, will retry: {}", self, user, failure.toString());
      Duration next = wait.multipliedBy(2).compareTo(LAST_RETRY) > 0 ? LAST_RETRY : wait.multipliedBy(2);
      CompletableFuture.delayedExecutor(wait.toMillis(), TimeUnit.MILLISECONDS)
          .execute(() -> release(user, token, next));
    });
  }
}
