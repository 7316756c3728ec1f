package dev.quill.security.policy;

import dev.quill.security.Sid;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds a node's current policy and its decision cache, and replaces both atomically. Versions
 * only go up: {@link #install} refuses a policy whose version is not greater than the current
 * one, so a late or replayed push can never roll the policy back.
 */
public final class PolicyManager {
  private static final Logger log = LoggerFactory.getLogger(PolicyManager.class);

  /** Told after each install, in install order, on the installing thread; keep it quick. */
  @FunctionalInterface
  public interface Listener {
    void installed(Policy previous, Policy current);
  }

  private final int maxSubjects;
  private final CopyOnWriteArrayList<Listener> listeners = new CopyOnWriteArrayList<>();
  /** The policy and its cache as one reference: swapping it is the atomic flush. */
  private volatile DecisionCache current;

  /** Starts with {@code initial} (e.g. {@code Policy.empty(0, Effect.DENY)} before any push) and the default cache bound. */
  public PolicyManager(Policy initial) {
    this(initial, DecisionCache.DEFAULT_MAX_SUBJECTS);
  }

  /** Starts with {@code initial}; each policy's cache holds at most {@code maxSubjects} subjects. */
  public PolicyManager(Policy initial, int maxSubjects) {
    this.maxSubjects = maxSubjects;
    this.current = new DecisionCache(Objects.requireNonNull(initial, "initial"), maxSubjects);
  }

  /** The current policy. */
  public Policy policy() {
    return current.policy();
  }

  /** The current policy's version. */
  public long version() {
    return current.policy().version();
  }

  /** The current policy's decision cache (it changes with every install). */
  public DecisionCache cache() {
    return current;
  }

  /** The current policy's decision, from the cache. */
  public Decision decide(Sid subject, ObjectType object, Permission permission) {
    return current.decide(subject, object, permission);
  }

  /**
   * Makes {@code policy} current, with an empty cache, then tells the listeners. When this
   * returns, every lookup that starts afterwards uses {@code policy}.
   *
   * @throws PolicyException when its version is not greater than the current one
   */
  public void install(Policy policy) throws PolicyException {
    Objects.requireNonNull(policy, "policy");
    Policy previous;
    synchronized (this) {
      previous = current.policy();
      if (policy.version() <= previous.version()) {
        throw new PolicyException("policy version " + policy.version() + " refused: the current version is "
            + previous.version() + " and a new policy needs a greater one");
      }
      current = new DecisionCache(policy, maxSubjects);
      log.info("policy version {} installed ({} rules, default {}), replacing version {}",
          policy.version(), policy.rules().size(), policy.defaultEffect().label(), previous.version());
      for (Listener l : listeners) {
        try {
          l.installed(previous, policy);
        } catch (RuntimeException e) {
          log.warn("policy listener {} failed on version {}", l, policy.version(), e);
        }
      }
    }
  }

  /** Adds a listener told of every later install. */
  public void addListener(Listener listener) {
    listeners.add(Objects.requireNonNull(listener, "listener"));
  }

  /** Removes a listener. */
  public void removeListener(Listener listener) {
    listeners.remove(listener);
  }
}
