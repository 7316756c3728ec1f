package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.usermap.UserMap;
import dev.quill.store.Addresses;
import dev.quill.store.MailboxEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One node's side of change notification across the cluster, Porcupine-style through the users'
 * managers: sessions here {@link #watch} users, the node making a change {@link #publish}es it to
 * the user's manager ({@code CHANGE_NOTICE}), and the manager forwards it ({@code CHANGED}) to every
 * node watching the user but the publisher, where this class calls the user's listeners.
 *
 * <p>Registration: the first watch of a user on this node registers the node at the user's manager
 * ({@code WATCH} on), closing the last one unregisters it ({@code WATCH} off). Managers keep watches
 * as soft state and lose them when a bucket moves, so {@link #viewChanged} registers every watched
 * user again at its manager in the new map. Each user's registrations are sent one at a time, the
 * next only after the manager answered the last, so an "off" can never overtake an "on"; a refused
 * or failed registration is sent again after a backoff (100 ms doubling to 2 s) until it is answered.
 *
 * <p>Delivery is best effort, as for any notice: a change made while a bucket moves, or forwarded
 * to a node that is leaving, is lost. Sessions that must not miss a change also compare MODSEQs.
 */
public final class ChangeNotices implements AutoCloseable {
  /** How long one registration or notice may take before it counts as failed. */
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
  /** Wait before sending a refused registration again; doubles up to {@link #LAST_RETRY}. */
  static final Duration FIRST_RETRY = Duration.ofMillis(100);
  static final Duration LAST_RETRY = Duration.ofSeconds(2);

  private static final Logger log = LoggerFactory.getLogger(ChangeNotices.class);

  private final String self;
  private final RpcEndpoint rpc;
  private final Supplier<UserMap> map;
  /** Runs publications, so that encoding and sending never hold up the session that made the change. */
  private final ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
  /** Guards the three collections and the retry state below. */
  private final Object lock = new Object();
  /** Local watches per normalised user; a user is a key exactly while this node should watch it. */
  private final Map<String, List<Watch>> watches = new HashMap<>();
  /** Users whose registration (on or off, as {@link #watches} says when sent) must be sent. */
  private final Set<String> dirty = new HashSet<>();
  /** Users with a registration on the way; the next waits for its answer. */
  private final Set<String> inFlight = new HashSet<>();
  private int failures;
  private boolean retryScheduled;
  /** The map of the last {@link #viewChanged}; before the first one, the supplier's. */
  private volatile UserMap viewMap;
  private volatile boolean closed;

  /**
   * Serves {@code CHANGED} on {@code rpc}: register it before the endpoint listens.
   *
   * @param self this node's name, for logs
   * @param map this node's current user map (null before the first view), to route by
   */
  public ChangeNotices(String self, RpcEndpoint rpc, Supplier<UserMap> map) {
    this.self = self;
    this.rpc = rpc;
    this.map = map;
    rpc.register(ManagerMessages.CHANGED, (from, event) -> {
      deliver(from, event);
      return null;
    });
  }

  /**
   * Calls {@code listener} with every change to the user's mailboxes published on another node,
   * until the returned handle is closed (closing twice is harmless). Listeners run on RPC threads;
   * one that throws is logged and the others still run.
   */
  public AutoCloseable watch(String user, Consumer<MailboxEvent> listener) {
    String key = Addresses.normalize(user);
    Watch watch = new Watch(listener);
    synchronized (lock) {
      List<Watch> list = watches.computeIfAbsent(key, k -> new ArrayList<>());
      if (list.isEmpty()) {
        dirty.add(key);
      }
      list.add(watch);
    }
    flush();
    AtomicBoolean open = new AtomicBoolean(true);
    return () -> {
      if (open.compareAndSet(true, false)) {
        unwatch(key, watch);
      }
    };
  }

  /**
   * Sends a committed change to the user's manager, which forwards it to the other nodes watching
   * the user. Returns at once; a failure is logged at debug. An event of more than 1,000,000 UIDs
   * goes as several events of the same kind and MODSEQ.
   */
  public void publish(MailboxEvent event) {
    try {
      senders.execute(() -> send(event));
    } catch (RejectedExecutionException e) {
      log.debug("{}: closed, change of {} not published", self, event.user());
    }
  }

  /** Registers every watched user again at its manager in {@code map} (a bucket that moved lost its watches). */
  public void viewChanged(UserMap map) {
    viewMap = map;
    synchronized (lock) {
      dirty.addAll(watches.keySet());
    }
    flush();
  }

  /** Stops sending; the managers forget this node's watches when it leaves the view. */
  @Override
  public void close() {
    closed = true;
    senders.shutdown();
  }

  // ---------------------------------------------------------------- receiving

  private void deliver(String from, MailboxEvent event) {
    String user = Addresses.normalize(event.user());
    List<Watch> targets;
    synchronized (lock) {
      List<Watch> list = watches.get(user);
      targets = list == null ? List.of() : List.copyOf(list);
      if (targets.isEmpty()) {
        dirty.add(user); // a stale registration at the manager: send "off" again
      }
    }
    if (targets.isEmpty()) {
      log.debug("{} <-- {}: CHANGED for {} which nobody here watches", self, from, user);
      flush();
      return;
    }
    for (Watch watch : targets) {
      try {
        watch.listener().accept(event);
      } catch (RuntimeException e) {
        log.warn("{} <-- {}: listener of {} failed on {} of {}: {}", self, from, user, event.kind(), event.mailbox(),
            e.toString());
      }
    }
  }

  // ---------------------------------------------------------------- sending

  private void send(MailboxEvent event) {
    UserMap route = route();
    if (route == null) {
      log.debug("{}: no user map yet, change of {} not published", self, event.user());
      return;
    }
    String manager = route.managerOf(Addresses.normalize(event.user()));
    List<Long> uids = event.uids();
    int step = MailboxEventCodec.MAX_UIDS;
    for (int from = 0; from == 0 || from < uids.size(); from += step) {
      MailboxEvent part = uids.size() <= step ? event : new MailboxEvent(event.user(), event.mailbox(), event.kind(),
          List.copyOf(uids.subList(from, Math.min(uids.size(), from + step))), event.modSeq());
      rpc.call(manager, ManagerMessages.CHANGE_NOTICE, part, CALL_TIMEOUT).whenComplete((answer, failure) -> {
        if (failure != null || !(answer instanceof Answer.Ok<Void>)) {
          log.debug("{} --> {}: CHANGE_NOTICE({} {}) lost: {}", self, manager, event.kind(), event.user(),
              failure != null ? failure.getMessage() : answer.describe());
        }
      });
    }
  }

  private void unwatch(String user, Watch watch) {
    synchronized (lock) {
      List<Watch> list = watches.get(user);
      if (list == null || !list.remove(watch)) {
        return;
      }
      if (list.isEmpty()) {
        watches.remove(user);
        dirty.add(user);
      }
    }
    flush();
  }

  /** Sends the registration of every dirty user that has none on the way, batched per manager and direction. */
  private void flush() {
    Map<String, Map<Boolean, List<String>>> batches = new LinkedHashMap<>();
    synchronized (lock) {
      UserMap route = route();
      if (closed || route == null) {
        return; // still dirty: the first view flushes them
      }
      for (String user : List.copyOf(dirty)) {
        if (inFlight.add(user)) {
          dirty.remove(user);
          batches.computeIfAbsent(route.managerOf(user), m -> new HashMap<>())
              .computeIfAbsent(watches.containsKey(user), on -> new ArrayList<>()).add(user);
        }
      }
    }
    batches.forEach((manager, byDirection) -> byDirection.forEach((on, users) -> {
      for (int i = 0; i < users.size(); i += WatchRequest.MAX_USERS) {
        register(manager, on, users.subList(i, Math.min(users.size(), i + WatchRequest.MAX_USERS)));
      }
    }));
  }

  private void register(String manager, boolean on, List<String> users) {
    rpc.call(manager, ManagerMessages.WATCH, new WatchRequest(on, users), CALL_TIMEOUT)
        .whenComplete((answer, failure) -> {
          boolean ok = answer instanceof Answer.Ok<Void>;
          if (!ok) {
            log.debug("{} --> {}: WATCH({}, {} users) refused, will retry: {}", self, manager, on ? "on" : "off",
                users.size(), failure != null ? failure.getMessage() : answer.describe());
          }
          registered(users, ok);
        });
  }

  /** A registration was answered: the users may be sent again, now if changed meanwhile, later if refused. */
  private void registered(List<String> users, boolean ok) {
    boolean again;
    synchronized (lock) {
      users.forEach(inFlight::remove);
      if (ok) {
        failures = 0;
      } else {
        dirty.addAll(users);
        failures++;
      }
      again = !dirty.isEmpty();
    }
    if (!ok) {
      retryLater();
    } else if (again) {
      flush();
    }
  }

  private void retryLater() {
    long delay;
    synchronized (lock) {
      if (retryScheduled || closed) {
        return;
      }
      retryScheduled = true;
      delay = Math.min(FIRST_RETRY.toMillis() << Math.min(failures - 1, 10), LAST_RETRY.toMillis());
    }
    CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute(() -> {
      synchronized (lock) {
        retryScheduled = false;
      }
      flush();
    });
  }

  private UserMap route() {
    UserMap known = viewMap;
    return known != null ? known : map.get();
  }

  /** One {@link #watch} call: its own identity, so the same listener may watch twice and be closed once. */
  private static final class Watch {
    private final Consumer<MailboxEvent> listener;

    Watch(Consumer<MailboxEvent> listener) {
      this.listener = listener;
    }

    Consumer<MailboxEvent> listener() {
      return listener;
    }
  }
}
