package dev.quill.store;

/** The outcome of one recipient's copy of a delivery: its UID when stored. */
public record DeliveryResult(String user, Status status, long uid) {

  /** Why a copy was or was not stored. */
  public enum Status {
    /** Durable in the mailbox under {@link #uid}. */
    STORED,
    /** Not stored: the user's quota would be exceeded. */
    OVER_QUOTA,
    /** Not stored: no such user (deleted since RCPT). */
    NO_SUCH_USER
  }
}
