package dev.quill.cluster.mail;

import dev.quill.store.MailboxInfo;
import dev.quill.store.MessageMeta;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One node's fragment of a mailbox: its counters (empty when the node holds no such fragment) and
 * its messages in UID order.
 */
public record FragmentListing(Optional<MailboxInfo> mailbox, List<MessageMeta> messages) {
  public FragmentListing {
    Objects.requireNonNull(mailbox, "mailbox");
    messages = List.copyOf(messages);
  }
}
