package dev.quill.store;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory state of one user: profile and mailboxes, loaded from the store on first use.
 * A deleted user's state stays cached with {@link #deleted} set, so that a delivery that raced
 * with the deletion finds out, and no stale copy can be loaded back in its place.
 */
final class UserState {
  final String address;
  volatile UserProfile profile;
  volatile boolean deleted;
  private final Map<String, MailboxState> mailboxes = new ConcurrentHashMap<>();

  UserState(UserProfile profile, List<MailboxState> boxes) {
    this.address = profile.address();
    this.profile = profile;
    boxes.forEach(b -> mailboxes.put(b.name, b));
  }

  /** The named mailbox, or null. */
  MailboxState mailbox(String name) {
    return mailboxes.get(name);
  }

  /** Adds a mailbox created or renamed. */
  void add(MailboxState box) {
    mailboxes.put(box.name, box);
  }

  /** Forgets the mailbox {@code box} under {@code name} (deleted, or renamed away). */
  void remove(String name, MailboxState box) {
    mailboxes.remove(name, box);
  }

  /** All mailboxes in id order, the order in which their locks are taken. */
  List<MailboxState> mailboxes() {
    return mailboxes.values().stream().sorted(Comparator.comparingLong(b -> b.id)).toList();
  }

  /** Bytes held including queued deliveries: what a quota check must count. */
  long reservedBytes() {
    long sum = 0;
    for (MailboxState b : mailboxes.values()) {
      sum += b.next.totalBytes();
    }
    return sum;
  }
}
