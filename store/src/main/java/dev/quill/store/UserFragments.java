package dev.quill.store;

import java.time.Instant;
import java.util.List;

/**
 * What one node holds of one user, as reported to the user's manager after a view change: the
 * profile (its creation time, or null when the profile lives elsewhere) and the mailbox fragments,
 * in the order of their names'
 * UTF-8 bytes. {@code hash} is the user's {@link UserHash}.
 */
public record UserFragments(long hash, String user, Instant profileCreated, List<FragmentSummary> fragments) {
  public UserFragments {
    fragments = List.copyOf(fragments);
  }

  /** Whether this node holds the user's profile. */
  public boolean holdsProfile() {
    return profileCreated != null;
  }
}
