package dev.quill.mail.pop3;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive-access locks on maildrops of one node: RFC 1939 section 4 lets one POP3
 * session at a time hold a user's maildrop, so that message numbers and deletions of two
 * sessions never interfere. Shared by every POP3 listener of the node.
 *
 * <p>Per node: in a cluster, a session that got the lock here then takes the maildrop at the user's
 * manager too ({@code MailStore.lockMaildrop}), so one session in the cluster holds it.
 */
public final class MaildropLocks {
  private final Map<String, Lease> held = new ConcurrentHashMap<>();

  /** Creates an empty lock table. */
  public MaildropLocks() {}

  /** One held lock; closing it releases the lock (idempotent). */
  public final class Lease implements AutoCloseable {
    private final String user;

    private Lease(String user) {
      this.user = user;
    }

    /** The canonical user whose maildrop is locked. */
    public String user() {
      return user;
    }

    @Override
    public void close() {
      held.remove(user, this);
    }
  }

  /**
   * Locks {@code user}'s maildrop, or returns empty when another session holds it.
   *
   * @param user the canonical (lower-cased) user address
   */
  public Optional<Lease> tryLock(String user) {
    Lease lease = new Lease(user);
    return held.putIfAbsent(user, lease) == null ? Optional.of(lease) : Optional.empty();
  }

  /** Whether {@code user}'s maildrop is locked now. */
  public boolean isLocked(String user) {
    return held.containsKey(user);
  }

  /** How many maildrops are locked now (for the admin API). */
  public int size() {
    return held.size();
  }
}
