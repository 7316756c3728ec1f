package dev.quill.store;

import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a node holds of one user's profile, as one replicated object: the profile itself
 * (empty for a deleted user: the image is then a tombstone), the mailbox catalog (names,
 * UIDVALIDITY, SPECIAL-USE, the manager's watermark reservations), the subscriptions, and the
 * stamp of the last change ({@link MailStore#version}). Replicas of a profile are made equal by
 * {@link MailStore#importProfile} of the image with the highest stamp.
 */
public record ProfileImage(String address, long version, Optional<UserProfile> profile, List<Mailbox> mailboxes,
    Set<String> subscriptions) {

  public ProfileImage {
    mailboxes = List.copyOf(mailboxes);
    subscriptions = Set.copyOf(subscriptions);
  }

  /** A mailbox of the catalog; {@code reservedUid}/{@code reservedModSeq} are 0 without a reservation. */
  public record Mailbox(String name, long uidValidity, Set<String> specialUse, long reservedUid, long reservedModSeq) {
    public Mailbox {
      specialUse = Set.copyOf(specialUse);
    }
  }

  /** Whether this image records a deleted user. */
  public boolean tombstone() {
    return profile.isEmpty();
  }
}
