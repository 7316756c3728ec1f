package dev.quill.cluster.manager;

/** A manager refused a request, and retrying within the client's limits did not help. */
public final class ManagerException extends RuntimeException {
  /** Why the manager refused. */
  public enum Reason {
    /** The node asked does not manage the user in its view (views still differ after the retries). */
    NOT_MANAGER,
    /** The user's bucket has not heard from every member yet. */
    INCOMPLETE,
    /** The manager could not reserve the numbers on the user's profile node (down, unknown or not answering). */
    UNRESERVED
  }

  private final Reason reason;

  public ManagerException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
