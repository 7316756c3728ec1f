package dev.quill.store;

/**
 * A registration made by {@link MailStore#watch}: closing it stops the listener, and
 * {@link #commits} counts the user's committed changes.
 *
 * <p>Listeners are called asynchronously, so a session cannot tell from them alone whether a
 * change that completed a moment ago has reached it. The counter can: it advances before the
 * writer's future completes, so a session that remembers the count it last synchronised at knows
 * for certain whether anything changed since, and skips re-reading the mailbox when nothing did.
 */
public interface MailboxWatch extends AutoCloseable {

  /** How many commits changed any mailbox of the user since the first watch of that user; never decreases while watched. */
  long commits();

  /** Stops the listener; never throws. */
  @Override
  void close();
}
