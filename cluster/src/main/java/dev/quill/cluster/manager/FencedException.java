package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.RpcException;
import dev.quill.store.StoreException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A storing node refused a write because the manager that numbered it was deposed by a view change
 * ({@link Fencing}). Nothing was written there; the caller asks the current manager for new numbers
 * and writes again.
 */
public final class FencedException extends StoreException {
  public FencedException(String message) {
    super(message);
  }

  /** The form that crosses the wire: an RPC refusal with code {@code FENCED}, turned back into this by the caller. */
  public RpcException toRpc() {
    return new RpcException(RpcException.Code.FENCED, getMessage());
  }

  /** {@code call}, failing with a {@link FencedException} where the callee refused with {@code FENCED}. */
  public static <T> CompletableFuture<T> translated(CompletableFuture<T> call) {
    return call.exceptionallyCompose(e -> {
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      return CompletableFuture.failedFuture(
          cause instanceof RpcException r && r.code() == RpcException.Code.FENCED ? fromRpc(r) : e);
    });
  }

  /** The exception a caller sees for a {@code FENCED} refusal: the refusing node and its reason. */
  public static FencedException fromRpc(RpcException r) {
    String m = r.getMessage();
    String prefix = RpcException.Code.FENCED + ": ";
    return new FencedException(m.startsWith(prefix) ? m.substring(prefix.length()) : m);
  }
}
