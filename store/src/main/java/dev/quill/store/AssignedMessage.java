package dev.quill.store;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A message to store under a UID and MODSEQ that the user's cluster manager allocated
 * ({@link MailStore#storeAssigned}). IMAP UIDs and UIDVALIDITY values are 32-bit unsigned
 * numbers above 0 (RFC 9051 section 2.3.1.1); a MODSEQ is above 0 (RFC 7162).
 *
 * @param message the RFC 5322 bytes, owned by the store from now on (equality is by reference)
 * @param flags may be null or empty; {@code \Recent} is not stored
 * @param internalDate now when null
 * @param derived MIME structure and search text, or null
 */
public record AssignedMessage(String user, String mailbox, long uidValidity, long uid, long modSeq,
    byte[] message, Set<String> flags, Instant internalDate, MessageDerived derived) {
  private static final long MAX_UID = 0xffff_ffffL;

  public AssignedMessage {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(mailbox, "mailbox");
    Objects.requireNonNull(message, "message");
    checkRange("UIDVALIDITY", uidValidity, MAX_UID);
    checkRange("UID", uid, MAX_UID);
    checkRange("MODSEQ", modSeq, Long.MAX_VALUE);
  }

  private static void checkRange(String what, long value, long max) {
    if (value < 1 || value > max) {
      throw new IllegalArgumentException(what + " " + value + " is outside 1.." + max);
    }
  }
}
