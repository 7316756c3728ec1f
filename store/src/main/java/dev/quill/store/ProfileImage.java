package dev.quill.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

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

  /**
   * A SHA-256 of what every copy of the profile must agree on once replication has settled: the
   * profile (password hash, quota, creation), the catalog (names, UIDVALIDITY, SPECIAL-USE) and the
   * subscriptions, in a canonical order. Not the stamp (compared on its own) and not the watermark
   * reservations, which a holder that was down when the manager reserved lacks until the next
   * change, by design. Lowercase hex.
   */
  public String digest() {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    // Each field is length-prefixed, so that no two different images hash the same text.
    StringBuilder text = new StringBuilder();
    java.util.function.Consumer<Object> field = v -> {
      String s = String.valueOf(v);
      text.append(s.length()).append(':').append(s).append(';');
    };
    field.accept(address);
    profile.ifPresentOrElse(p -> {
      field.accept(p.passwordHash());
      field.accept(p.quotaBytes());
      field.accept(p.created());
    }, () -> field.accept("deleted"));
    mailboxes.stream().sorted(java.util.Comparator.comparing(Mailbox::name)).forEach(m -> {
      field.accept(m.name());
      field.accept(m.uidValidity());
      field.accept(new TreeSet<>(m.specialUse()));
    });
    field.accept("subscriptions");
    new TreeSet<>(subscriptions).forEach(field);
    return HexFormat.of().formatHex(sha.digest(text.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /** Whether this image records a deleted user. */
  public boolean tombstone() {
    return profile.isEmpty();
  }
}
