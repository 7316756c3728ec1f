package dev.quill.store;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory state of one user: profile and mailboxes, loaded from the store on first use.
 * In a cluster a node may hold mailbox fragments of a user whose profile lives on another node;
 * then {@link #profile} is null.
 * A deleted user's state stays cached with {@link #deleted} set, so that a delivery that raced
 * with the deletion finds out, and no stale copy can be loaded back in its place.
 */
final class UserState {
  final String address;
  /** The profile, or null when this node holds only fragments of the user's mailboxes. */
  volatile UserProfile profile;
  volatile boolean deleted;
  private final Map<String, MailboxState> mailboxes = new ConcurrentHashMap<>();

  UserState(String address, UserProfile profile, List<MailboxState> boxes) {
    this.address = address;
    this.profile = profile;
    boxes.forEach(b -> mailboxes.put(b.name, b));
  }

  /** The quota in bytes, 0 (unlimited) when the profile, which holds it, is elsewhere. */
  long quotaBytes() {
    UserProfile p = profile;
    return p == null ? 0 : p.quotaBytes();
  }

  /** Names of the mailboxes held. */
  java.util.Set<String> mailboxNames() {
    return java.util.Set.copyOf(mailboxes.keySet());
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
