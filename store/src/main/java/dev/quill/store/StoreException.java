package dev.quill.store;

/** A store operation failed: a refused request (message says why) or an engine error. */
public class StoreException extends RuntimeException {
  /**
   * How {@code storeAssigned} says a UID is taken in the fragment: callers across the cluster see
   * only the message, and a mover recognises a replica already on its target by it.
   */
  public static final String UID_TAKEN = "that UID is already stored here";
  /**
   * How {@code storeAssigned} refuses a copy of a UID the fragment expunged lately (a copy that
   * crossed the expunge on its way): callers treat it as they treat {@link #UID_TAKEN}.
   */
  public static final String UID_EXPUNGED = "that UID was expunged here";
  /**
   * How a fragment refuses a change numbered at or below its HIGHESTMODSEQ: callers across the
   * cluster see only the message, and number the change again when they find it.
   */
  public static final String STALE_MODSEQ = "stale MODSEQ";

  /**
   * Whether {@code e} is {@code storeAssigned} refusing a copy because the fragment holds that UID
   * ({@link #UID_TAKEN}) or expunged it lately ({@link #UID_EXPUNGED}): either way the copy is not needed.
   */
  public static boolean copyNotNeeded(Throwable e) {
    return e instanceof StoreException && e.getMessage() != null
        && (e.getMessage().contains(UID_TAKEN) || e.getMessage().contains(UID_EXPUNGED));
  }

  public StoreException(String message) {
    super(message);
  }

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
