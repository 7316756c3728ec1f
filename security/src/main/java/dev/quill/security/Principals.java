package dev.quill.security;

import java.util.concurrent.Callable;

/**
 * The principal on whose behalf the current thread works. Sessions bind it (the service, then the
 * logged-in user) and the request layer binds the remote caller's SID while it runs a handler, so
 * the context flows into and out of inter-node requests without any service passing it by hand.
 * A {@link ScopedValue}: bound for a call's extent, inherited by structured subtasks, never leaked.
 */
public final class Principals {
  private static final ScopedValue<Sid> CURRENT = ScopedValue.newInstance();

  private Principals() {}

  /** The bound principal, or {@code fallback} (usually the node's own SID) when none is bound. */
  public static Sid currentOr(Sid fallback) {
    return CURRENT.orElse(fallback);
  }

  /** Whether a principal is bound. */
  public static boolean bound() {
    return CURRENT.isBound();
  }

  /** Runs {@code task} as {@code principal}. */
  public static void runAs(Sid principal, Runnable task) {
    ScopedValue.where(CURRENT, principal).run(task);
  }

  /** Calls {@code task} as {@code principal}. */
  public static <T> T callAs(Sid principal, Callable<T> task) throws Exception {
    return ScopedValue.where(CURRENT, principal).call(task::call);
  }
}
