package dev.quill.cluster.mail;

import dev.quill.store.MailStore;
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

  /**
   * {@code store}'s fragment, its record and messages read together ({@link MailStore#contents}: one
   * durable view of a node's store, so they agree however fast the fragment changes). Reading them
   * apart and retrying while the record changed gave up under a steady stream of deliveries on a busy
   * machine.
   */
  static FragmentListing of(MailStore store, String user, String mailbox) {
    return store.contents(user, mailbox)
        .map(c -> new FragmentListing(Optional.of(c.info()), c.messages()))
        .orElseGet(() -> new FragmentListing(Optional.empty(), List.of()));
  }
}
