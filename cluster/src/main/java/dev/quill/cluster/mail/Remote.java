package dev.quill.cluster.mail;

import dev.quill.cluster.manager.FencedException;
import dev.quill.cluster.manager.MailMap;
import dev.quill.cluster.manager.ManagerClient;
import dev.quill.cluster.manager.ManagerException;
import dev.quill.cluster.manager.ModSeqGrant;
import dev.quill.cluster.rpc.RpcException;
import dev.quill.store.StorageUnavailableException;
import dev.quill.store.StoreException;
import dev.quill.store.UidValidityChangedException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Turns the outcome of a cluster call into what a {@code MailStore} caller expects: the value, or
 * a {@link StoreException}. A refusal by the serving node's store (a handler failure) keeps the
 * store's own words, so the protocol layers answer exactly as they would on one node ("no mailbox
 * ...", "... already exists", over quota, and a full or failing disk as a
 * {@link StorageUnavailableException}); anything else says which part of the cluster failed.
 */
public final class Remote {
  private Remote() {}

  /** Waits for {@code call} and returns its value, or throws the {@link StoreException} it amounts to. */
  public static <T> T join(CompletableFuture<T> call, String what) {
    try {
      return call.join();
    } catch (CompletionException e) {
      throw failure(e.getCause() == null ? e : e.getCause(), what);
    }
  }

  /** The {@link StoreException} a failed call amounts to. */
  static RuntimeException failure(Throwable cause, String what) {
    if (cause instanceof CompletionException c && c.getCause() != null) {
      cause = c.getCause();
    }
    return switch (cause) {
      case StoreException s -> s;
      // a full or failing disk there stays a storage refusal here: temporary, answered as such by the protocols
      case RpcException r when r.code() == RpcException.Code.HANDLER_FAILED ->
          StorageUnavailableException.fromMessage(handlerMessage(r)).map(StoreException.class::cast)
              .or(() -> UidValidityChangedException.fromMessage(handlerMessage(r)))
              .orElseGet(() -> new StoreException(handlerMessage(r)));
      case RpcException r -> new StoreException(what + ": " + r.getMessage() + "; try again", r);
      case ManagerException m -> new StoreException(what + ": the cluster is reconfiguring (" + m.getMessage()
          + "); try again", m);
      case RuntimeException r -> r;
      default -> new StoreException(what + ": " + cause, cause);
    };
  }

  /**
   * The user's mail map once every member has reported it (after a view change the managers rebuild
   * it), asking again with a growing pause (10 ms doubling to 320 ms) for at most {@code wait}.
   */
  static MailMap completeMap(ManagerClient managers, String user,
      Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    for (int attempt = 1; ; attempt++) {
      MailMap map = join(managers.mailMap(user), "asking the manager of " + user);
      if (map.complete()) {
        return map;
      }
      if (System.nanoTime() > deadline) {
        throw new StoreException("the mail map of " + user + " is still waiting for " + map.waitingFor());
      }
      try {
        Thread.sleep(10L << Math.min(attempt - 1, 5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StoreException("interrupted while waiting for the mail map of " + user);
      }
    }
  }

  /** Numberings a change goes through before a stale or fenced refusal reaches the caller. */
  static final int MODSEQ_ATTEMPTS = 4;

  /**
   * Runs {@code change} under a MODSEQ from the user's manager, again with a fresh one when a copy
   * found it stale (not above its own) or refused it as a deposed manager's ({@link FencedException});
   * a change is idempotent, so copies that took the old number take the new one too.
   *
   * @param uidValidity the mailbox the change is meant for; 0 for whatever the manager has now
   * @param what what the change is, for errors
   */
  static <T> Numbered<T> withModSeq(ManagerClient managers, String user, String box, long uidValidity, String what,
      java.util.function.Function<ModSeqGrant, CompletableFuture<T>> change) {
    for (int attempt = 1; ; attempt++) {
      ModSeqGrant grant = join(managers.allocateModSeq(user, box), "numbering a change of " + box);
      if (uidValidity != 0 && grant.uidValidity() != uidValidity) {
        throw new UidValidityChangedException(user, box, uidValidity, grant.uidValidity());
      }
      try {
        return new Numbered<>(join(change.apply(grant), what), grant.modSeq());
      } catch (StoreException e) {
        boolean again = e instanceof FencedException
            || (e.getMessage() != null && e.getMessage().contains(StoreException.STALE_MODSEQ));
        if (attempt >= MODSEQ_ATTEMPTS || !again) {
          throw e;
        }
      }
    }
  }

  /** A change's answer and the MODSEQ it was made under. */
  record Numbered<T>(T answer, long modSeq) {}

  /** Whether a call failed because the node did not answer, or said it cannot serve now (as opposed to refusing). */
  static boolean unreachable(Throwable e) {
    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    return cause instanceof RpcException r && switch (r.code()) {
      case TIMEOUT, MEMBER_LEFT, NOT_A_MEMBER, SEND_FAILED, CLOSED, UNAVAILABLE -> true;
      default -> false;
    };
  }

  /** The serving store's message out of "HANDLER_FAILED: node: message". */
  private static String handlerMessage(RpcException r) {
    String m = r.getMessage();
    String prefix = RpcException.Code.HANDLER_FAILED + ": ";
    if (m.startsWith(prefix)) {
      m = m.substring(prefix.length());
      int colon = m.indexOf(": ");
      if (colon >= 0) {
        m = m.substring(colon + 2);
      }
    }
    return m;
  }
}
