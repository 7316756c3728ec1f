package dev.quill.cluster.directory;

import java.util.Set;

/** The bodies of requests to a profile node that carry more than the user's address. */
sealed interface ProfileRequest {
  /** The user the request is about. */
  String user();

  /** A user's password, to check or to set; the array is zeroed by whoever made it, after the call. */
  record Credentials(String user, char[] password) implements ProfileRequest {}

  /** A mailbox to create in the user's catalog, with its SPECIAL-USE attributes (RFC 6154). */
  record NewMailbox(String user, String name, Set<String> specialUse) implements ProfileRequest {
    public NewMailbox {
      specialUse = Set.copyOf(specialUse);
    }
  }

  /** A subscription to add ({@code subscribed}) or remove. */
  record Subscription(String user, String name, boolean subscribed) implements ProfileRequest {}

  /** A quota in bytes to set (0 = unlimited; the store refuses negative ones). */
  record Quota(String user, long quotaBytes) implements ProfileRequest {}
}
