package dev.quill.server.node;

import dev.quill.cluster.node.NodeStats;
import dev.quill.store.FragmentSummary;
import dev.quill.store.MailStore;
import dev.quill.store.UserFragments;

/** Counts what this node's store holds, for {@code cluster status}. */
final class LocalCounts {
  private LocalCounts() {}

  /**
   * Walks the store's hash index of profiles and mailbox fragments: a cost proportional to users
   * plus fragments, paid only when an operator asks for status. Counts every fragment held here,
   * also those of users whose profile is on another node.
   */
  static NodeStats of(MailStore store) {
    long users = 0;
    long mailboxes = 0;
    long messages = 0;
    long bytes = 0;
    for (UserFragments user : store.fragments(0, 0)) {
      users += user.holdsProfile() ? 1 : 0;
      for (FragmentSummary box : user.fragments()) {
        mailboxes++;
        messages += box.messageCount();
        bytes += box.totalBytes();
      }
    }
    return new NodeStats(users, mailboxes, messages, bytes);
  }
}
