package dev.quill.security;

import java.util.concurrent.Callable;

/**
 * The principal on whose behalf the current thread works. A connection's session binds its service
 * ({@link #session}) and becomes the user once the user has logged in ({@link #authenticated}); the
 * request layer binds the remote caller's SID while it runs a handler ({@link #runAs}), so the context
 * flows into and out of inter-node requests without any service passing it by hand. A
 * {@link ScopedValue}: bound for a call's extent, never leaked to other threads' work (a callback run
 * on another thread works as the node).
 */
public final class Principals {
  private static final ScopedValue<Slot> CURRENT = ScopedValue.newInstance();

  /** What a binding holds: fixed for a request's handler, switched once to the user in a session. */
  private static final class Slot {
    private volatile Sid sid;
    private final boolean session;

    Slot(Sid sid, boolean session) {
      this.sid = sid;
      this.session = session;
    }
  }

  private Principals() {}

  /** The bound principal, or {@code fallback} (usually the node's own SID) when none is bound. */
  public static Sid currentOr(Sid fallback) {
    return CURRENT.isBound() ? CURRENT.get().sid : fallback;
  }

  /** Whether a principal is bound. */
  public static boolean bound() {
    return CURRENT.isBound();
  }

  /** Runs {@code task} as {@code principal}. */
  public static void runAs(Sid principal, Runnable task) {
    ScopedValue.where(CURRENT, new Slot(principal, false)).run(task);
  }

  /** Calls {@code task} as {@code principal}. */
  public static <T> T callAs(Sid principal, Callable<T> task) throws Exception {
    return ScopedValue.where(CURRENT, new Slot(principal, false)).call(task::call);
  }

  /**
   * Runs a connection's session as its service ({@code service:imap@n1}); the session becomes its
   * user's principal when {@link #authenticated} is called on its thread.
   */
  public static <T> T session(Sid service, Callable<T> task) throws Exception {
    return ScopedValue.where(CURRENT, new Slot(service, true)).call(task::call);
  }

  /**
   * Makes the current session (if this thread runs one) work as {@code user} from now on: called by
   * the protocols' backends once a login succeeded. Outside a session it does nothing.
   */
  public static void authenticated(String user) {
    if (CURRENT.isBound() && CURRENT.get().session) {
      Slot slot = CURRENT.get();
      slot.sid = Sid.user(user, slot.sid.node());
    }
  }
}
