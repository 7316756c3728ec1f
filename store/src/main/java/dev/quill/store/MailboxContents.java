package dev.quill.store;

import java.util.List;
import java.util.Objects;

/**
 * A mailbox's counters and its messages (in UID order, without their bytes), read by one call:
 * what a POP3 login and an IMAP SELECT or resynchronisation need together.
 */
public record MailboxContents(MailboxInfo info, List<MessageMeta> messages) {
  public MailboxContents {
    Objects.requireNonNull(info, "info");
    messages = List.copyOf(messages);
  }
}
