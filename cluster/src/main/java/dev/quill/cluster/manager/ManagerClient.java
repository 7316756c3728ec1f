package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.cluster.usermap.UserMap;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Asks users' managers for mail maps, UIDs and MODSEQs, and tells them of mailboxes created, dropped
 * and renamed, routed by this node's current user map. Refusals that pass once views agree,
 * reconstruction ends or the user's profile node is back ("not manager", "incomplete",
 * "unreserved", the manager left) are retried a few times with a short, doubling backoff, within
 * one overall timeout; then the future fails with {@link ManagerException} (or the
 * {@link RpcException} of the last call).
 */
public final class ManagerClient {
  private final RpcEndpoint rpc;
  private final Supplier<UserMap> userMap;
  private final Duration timeout;
  private final int attempts;
  private final Duration backoff;

  /**
   * @param userMap this node's current user map (it changes with views)
   * @param timeout the whole request, retries included
   * @param attempts calls at most, at least 1
   * @param backoff wait before the first retry; doubles with each
   */
  public ManagerClient(RpcEndpoint rpc, Supplier<UserMap> userMap, Duration timeout, int attempts, Duration backoff) {
    if (attempts < 1) {
      throw new IllegalArgumentException("attempts " + attempts + " must be at least 1");
    }
    this.rpc = rpc;
    this.userMap = userMap;
    this.timeout = timeout;
    this.attempts = attempts;
    this.backoff = backoff;
  }

  /** The user's mail map; it may be incomplete (see {@link MailMap#complete()}), which is not retried. */
  public CompletableFuture<MailMap> mailMap(String user) {
    return call(user, ManagerMessages.MAIL_MAP, user);
  }

  /** {@code count} new UIDs (and MODSEQs) of the user's mailbox. */
  public CompletableFuture<UidGrant> allocateUids(String user, String mailbox, int count) {
    return call(user, ManagerMessages.ALLOCATE_UIDS, new UidRequest(user, mailbox, count));
  }

  /** Records at the user's manager that {@code node} holds a fragment of the mailbox. */
  public CompletableFuture<Void> fragmentStored(String user, String mailbox, String node) {
    return call(user, ManagerMessages.FRAGMENT_STORED, new StoredFragment(user, mailbox, node));
  }

  /** Records at the user's manager that {@code node} holds the user's profile, or no longer does. */
  public CompletableFuture<Void> profileStored(String user, String node, boolean present) {
    return call(user, ManagerMessages.PROFILE_STORED, new StoredProfile(user, node, present));
  }

  /**
   * One MODSEQ of a known mailbox, above every MODSEQ known or given there, for a flag change or an
   * expunge. Fails with {@link RpcException} ({@code HANDLER_FAILED}) when the manager does not know
   * the mailbox.
   */
  public CompletableFuture<ModSeqGrant> allocateModSeq(String user, String mailbox) {
    return call(user, ManagerMessages.ALLOCATE_MODSEQ, new ModSeqRequest(user, mailbox));
  }

  /**
   * Records at the user's manager that {@code node} created a fragment of the mailbox with
   * {@code uidValidity}; its UIDs continue in that UIDVALIDITY (from 1 when it replaces another one
   * of a deleted mailbox).
   */
  public CompletableFuture<Void> mailboxCreated(String user, String mailbox, long uidValidity, String node) {
    return call(user, ManagerMessages.MAILBOX_CREATED, new CreatedMailbox(user, mailbox, uidValidity, node));
  }

  /** Records at the user's manager that {@code node} deleted its fragment of the mailbox. */
  public CompletableFuture<Void> fragmentDropped(String user, String mailbox, String node) {
    return call(user, ManagerMessages.FRAGMENT_DROPPED, new DroppedFragment(user, mailbox, node));
  }

  /**
   * Moves the manager's entries of mailbox {@code from} and its inferiors to {@code to}. Fails with
   * {@link RpcException} ({@code HANDLER_FAILED}) when a target mailbox has fragments, or for INBOX
   * (its rename creates a mailbox: use {@link #mailboxCreated}).
   */
  public CompletableFuture<Void> mailboxRenamed(String user, String from, String to) {
    return call(user, ManagerMessages.MAILBOX_RENAMED, new RenamedMailbox(user, from, to));
  }

  /**
   * Takes the user's POP3 maildrop lock for this node's session {@code token}: true when it is the
   * session's, false while a session on another node holds it.
   */
  public CompletableFuture<Boolean> lockMaildrop(String user, long token) {
    return call(user, ManagerMessages.MAILDROP_LOCK, new MaildropLockRequest(user, token, true));
  }

  /** Gives back the maildrop lock of this node's session {@code token}; nothing changes if it is not held. */
  public CompletableFuture<Void> unlockMaildrop(String user, long token) {
    return call(user, ManagerMessages.MAILDROP_LOCK, new MaildropLockRequest(user, token, false))
        .thenApply(granted -> null);
  }

  /**
   * Claims {@code mailbox}'s messages up to {@code upTo} as IMAP {@code \Recent} for one session of
   * this node (0: only reads); the highest UID claimed before, in the whole cluster.
   */
  public CompletableFuture<Long> claimRecent(String user, String mailbox, long uidValidity, long upTo) {
    return call(user, ManagerMessages.RECENT_CLAIM, new RecentClaim(user, mailbox, uidValidity, upTo));
  }

  private <Q, R> CompletableFuture<R> call(String user, MessageType<Q, Answer<R>> type, Q request) {
    return attempt(user, type, request, 1, System.nanoTime() + timeout.toNanos());
  }

  private <Q, R> CompletableFuture<R> attempt(String user, MessageType<Q, Answer<R>> type, Q request, int attempt,
      long deadline) {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      return CompletableFuture.failedFuture(new RpcException(RpcException.Code.TIMEOUT,
          "no answer to " + type + " for " + user + " within " + timeout.toMillis() + " ms"));
    }
    String manager = userMap.get().managerOf(user);
    return rpc.call(manager, type, request, Duration.ofNanos(left)).handle((answer, failure) -> {
      if (answer instanceof Answer.Ok<R> ok) {
        return CompletableFuture.completedFuture(ok.value());
      }
      Refusal refusal = answer == null ? Refusal.of(failure) : switch (answer) {
        case Answer.NotManager<R> n -> new Refusal(
            new ManagerException(ManagerException.Reason.NOT_MANAGER, manager + ": " + n.describe()), true);
        case Answer.Incomplete<R> i -> new Refusal(
            new ManagerException(ManagerException.Reason.INCOMPLETE, manager + ": " + i.describe()), true);
        case Answer.Unreserved<R> u -> new Refusal(
            new ManagerException(ManagerException.Reason.UNRESERVED, manager + ": " + u.describe()), true);
        case Answer.Stale<R> s -> new Refusal(
            new IllegalStateException(manager + " answered " + type + " with: " + s.describe()), false);
        case Answer.Ok<R> ok -> throw new AssertionError("handled above");
      };
      if (!refusal.retry() || attempt >= attempts) {
        return CompletableFuture.<R>failedFuture(refusal.error());
      }
      long wait = Math.min(backoff.toNanos() << Math.min(attempt - 1, 16), Math.max(0, deadline - System.nanoTime()));
      Executor later = CompletableFuture.delayedExecutor(wait, TimeUnit.NANOSECONDS);
      return CompletableFuture.runAsync(() -> {}, later)
          .thenCompose(v -> attempt(user, type, request, attempt + 1, deadline));
    }).thenCompose(f -> f);
  }

  /** Why one call did not give a value, and whether another attempt may. */
  private record Refusal(RuntimeException error, boolean retry) {
    /**
     * A call that failed: retried when the manager left or is not in this node's view yet (the
     * user map catches up with the view); anything else ends the request.
     */
    static Refusal of(Throwable failure) {
      Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
      RuntimeException error = cause instanceof RuntimeException r ? r : new CompletionException(cause);
      return new Refusal(error, cause instanceof RpcException e
          && (e.code() == RpcException.Code.MEMBER_LEFT || e.code() == RpcException.Code.NOT_A_MEMBER));
    }
  }
}
