package dev.quill.cluster.directory;

import dev.quill.cluster.directory.ProfileRequest.Credentials;
import dev.quill.cluster.directory.ProfileRequest.NewMailbox;
import dev.quill.cluster.directory.ProfileRequest.Quota;
import dev.quill.cluster.directory.ProfileRequest.Subscription;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.store.MailStore;
import dev.quill.store.MailboxInfo;
import dev.quill.store.StoreException;
import dev.quill.store.UserProfile;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Requests served by the node that holds a user's profile (the node that created the user; the
 * user's manager knows which): authentication, the profile itself, the mailbox catalog with its
 * subscriptions, password, quota and deletion. Any node may serve IMAP, POP3 and SMTP for any user,
 * so it asks the profile node through this class; the profile node itself goes through the same
 * path (the endpoint calls itself without the network).
 *
 * <p>Each handler calls the same {@link MailStore} method on the serving node. The store's refusal
 * ({@link StoreException}: "... already exists", unknown user, negative quota) fails the caller's
 * future with an {@link RpcException} of code {@link RpcException.Code#HANDLER_FAILED} whose message
 * carries the store's. Handlers run on the endpoint's virtual threads, so the password hashing of
 * {@code authenticate} and {@code setPassword} (at least 50 ms) blocks no shared thread.
 *
 * <p><b>Security:</b> passwords (UTF-8) and, in {@link #user} answers, password hashes cross the
 * network inside sealed frames that only admitted members can open (docs/SECURITY.md), and the
 * policy decides which principals may call these handlers. This class zeroes the copies it makes of
 * a password, but not the caller's array, the encoded frame or the transport's buffers.
 *
 * <p>Nodes cache profiles (their location and quota are read at every RCPT); {@link #announceChanged}
 * tells every other member to forget a user's entry after an add, a change or a delete
 * ({@link TypeIds#PROFILE_CHANGED}, a one-way notice).
 *
 * <p>Wire: types {@link TypeIds#PROFILE_AUTHENTICATE} .. {@link TypeIds#PROFILE_CHANGED}, version
 * 1; the layouts are in {@link ProfileCodecs}.
 */
public final class ProfileAccess {
  static final MessageType<Credentials, Boolean> AUTHENTICATE = new MessageType<>(
      TypeIds.PROFILE_AUTHENTICATE, 1, "PROFILE_AUTHENTICATE", ProfileCodecs.CREDENTIALS, ProfileCodecs.BOOLEAN);
  static final MessageType<String, Optional<UserProfile>> USER = new MessageType<>(
      TypeIds.PROFILE_USER, 1, "PROFILE_USER", ProfileCodecs.USER, ProfileCodecs.PROFILE);
  static final MessageType<NewMailbox, MailboxInfo> CREATE_MAILBOX = new MessageType<>(
      TypeIds.PROFILE_CREATE_MAILBOX, 1, "PROFILE_CREATE_MAILBOX", ProfileCodecs.NEW_MAILBOX, ProfileCodecs.MAILBOX);
  static final MessageType<Subscription, Void> SUBSCRIBE = new MessageType<>(
      TypeIds.PROFILE_SUBSCRIBE, 1, "PROFILE_SUBSCRIBE", ProfileCodecs.SUBSCRIPTION, Codecs.EMPTY);
  static final MessageType<String, Set<String>> SUBSCRIPTIONS = new MessageType<>(
      TypeIds.PROFILE_SUBSCRIPTIONS, 1, "PROFILE_SUBSCRIPTIONS", ProfileCodecs.USER, ProfileCodecs.SUBSCRIPTIONS);
  static final MessageType<Credentials, Void> PASSWORD = new MessageType<>(
      TypeIds.PROFILE_PASSWORD, 1, "PROFILE_PASSWORD", ProfileCodecs.CREDENTIALS, Codecs.EMPTY);
  static final MessageType<Quota, Void> QUOTA = new MessageType<>(
      TypeIds.PROFILE_QUOTA, 1, "PROFILE_QUOTA", ProfileCodecs.QUOTA, Codecs.EMPTY);
  static final MessageType<String, Boolean> DELETE_USER = new MessageType<>(
      TypeIds.PROFILE_DELETE_USER, 1, "PROFILE_DELETE_USER", ProfileCodecs.USER, ProfileCodecs.BOOLEAN);
  static final MessageType<String, Void> CHANGED = new MessageType<>(
      TypeIds.PROFILE_CHANGED, 1, "PROFILE_CHANGED", ProfileCodecs.USER, Codecs.EMPTY);

  private final RpcEndpoint endpoint;
  private volatile Consumer<String> onChanged = user -> { };

  /** Registers the profile handlers on {@code endpoint}, served from {@code store}; call before it listens. */
  public ProfileAccess(RpcEndpoint endpoint, MailStore store) {
    this.endpoint = endpoint;
    endpoint.register(CHANGED, (from, user) -> {
      onChanged.accept(user);
      return null;
    });
    endpoint.register(AUTHENTICATE, (from, c) -> {
      try {
        return store.authenticate(c.user(), c.password());
      } finally {
        Arrays.fill(c.password(), '\0');
      }
    });
    endpoint.register(USER, (from, user) -> store.user(user));
    endpoint.register(CREATE_MAILBOX, (from, m) -> store.createMailbox(m.user(), m.name(), m.specialUse()));
    endpoint.register(SUBSCRIBE, (from, s) -> {
      store.setSubscribed(s.user(), s.name(), s.subscribed());
      return null;
    });
    endpoint.register(SUBSCRIPTIONS, (from, user) -> store.subscriptions(user));
    endpoint.register(PASSWORD, (from, c) -> {
      try {
        store.setPassword(c.user(), c.password());
        return null;
      } finally {
        Arrays.fill(c.password(), '\0');
      }
    });
    endpoint.register(QUOTA, (from, q) -> {
      store.setQuota(q.user(), q.quotaBytes());
      return null;
    });
    endpoint.register(DELETE_USER, (from, user) -> store.deleteUser(user));
  }

  /** Called with the user of every PROFILE_CHANGED notice another node sends. */
  public void onChanged(Consumer<String> listener) {
    this.onChanged = listener;
  }

  /**
   * Tells every other member that {@code user}'s profile was added, changed or deleted, without
   * waiting. A member that misses it (it joins later, or the notice is lost with a leaving node)
   * forgets its cache at the next view change or when the entry expires.
   */
  public void announceChanged(String user) {
    endpoint.broadcast(CHANGED, user);
  }

  /**
   * Checks {@code user}'s password on {@code node}: true when it matches, false when it does not or
   * the user has no profile there (the profile node spends the full hashing cost either way). A null
   * password is false without a call, as in the store. The caller's array is not changed.
   */
  public CompletableFuture<Boolean> authenticate(String node, String user, char[] password, Duration timeout) {
    if (password == null) {
      return CompletableFuture.completedFuture(false);
    }
    return endpoint.call(node, AUTHENTICATE, new Credentials(user, password), timeout);
  }

  /** {@code user}'s profile on {@code node}, or empty when that node holds none. */
  public CompletableFuture<Optional<UserProfile>> user(String node, String user, Duration timeout) {
    return endpoint.call(node, USER, user, timeout);
  }

  /**
   * Creates a mailbox in {@code user}'s catalog on {@code node} ({@link MailStore#createMailbox});
   * fails with the store's message when it exists, the name is invalid or the user is unknown there.
   */
  public CompletableFuture<MailboxInfo> createMailbox(String node, String user, String name, Set<String> specialUse,
      Duration timeout) {
    return endpoint.call(node, CREATE_MAILBOX, new NewMailbox(user, name, specialUse), timeout);
  }

  /** Subscribes {@code user} to {@code name}, or unsubscribes, on {@code node}. */
  public CompletableFuture<Void> setSubscribed(String node, String user, String name, boolean subscribed,
      Duration timeout) {
    return endpoint.call(node, SUBSCRIBE, new Subscription(user, name, subscribed), timeout);
  }

  /** The names {@code user} is subscribed to on {@code node}, existing or not, in the store's (sorted) order. */
  public CompletableFuture<Set<String>> subscriptions(String node, String user, Duration timeout) {
    return endpoint.call(node, SUBSCRIPTIONS, user, timeout);
  }

  /** Replaces {@code user}'s password on {@code node}; the caller's array is not changed. */
  public CompletableFuture<Void> setPassword(String node, String user, char[] password, Duration timeout) {
    Objects.requireNonNull(password, "password");
    return endpoint.call(node, PASSWORD, new Credentials(user, password), timeout);
  }

  /** Sets {@code user}'s quota in bytes (0 = unlimited) on {@code node}. */
  public CompletableFuture<Void> setQuota(String node, String user, long quotaBytes, Duration timeout) {
    return endpoint.call(node, QUOTA, new Quota(user, quotaBytes), timeout);
  }

  /**
   * Deletes {@code user} on {@code node} with the mail and the aliases pointing at it held there;
   * false when that node holds neither profile nor fragments of the user.
   */
  public CompletableFuture<Boolean> deleteUser(String node, String user, Duration timeout) {
    return endpoint.call(node, DELETE_USER, user, timeout);
  }
}
