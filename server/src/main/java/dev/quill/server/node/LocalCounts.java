package dev.quill.server.node;

import dev.quill.cluster.node.NodeStats;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import dev.quill.store.UserProfile;

/** Counts what this node's store holds, for {@code cluster status}. */
final class LocalCounts {
  private LocalCounts() {}

  /**
   * Walks every user's mailbox records: a cost proportional to users plus mailboxes, paid only when
   * an operator asks for status (mailbox records carry their message count and bytes).
   */
  static NodeStats of(MailStore store) {
    long users = 0;
    long mailboxes = 0;
    long messages = 0;
    long bytes = 0;
    for (UserProfile user : store.users()) {
      users++;
      for (MailboxInfo box : store.mailboxes(user.address())) {
        mailboxes++;
        messages += box.messageCount();
        bytes += box.totalBytes();
      }
    }
    return new NodeStats(users, mailboxes, messages, bytes);
  }
}
