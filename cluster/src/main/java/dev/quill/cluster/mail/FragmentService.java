package dev.quill.cluster.mail;

import dev.quill.cluster.manager.Fence;
import dev.quill.cluster.manager.FencedException;
import dev.quill.cluster.manager.Fencing;
import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.MailStore;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The storing side of a cluster delivery: stores, in this node's {@link MailStore}, messages that
 * another node accepted and the user's manager numbered, and answers only once the write is
 * durable here — so the accepting node can say 250 after the answer and not before. A message
 * numbered by a manager this node knows is deposed is refused before anything is written ({@link Fencing}).
 */
public final class FragmentService {
  /** A message to store under its assigned UID, and who numbered it. */
  record FencedMessage(AssignedMessage message, Fence fence) {}

  private static final Codec<FencedMessage> FENCED_MESSAGE = Codec.of(
      (out, m) -> {
        Fence.CODEC.write(out, m.fence());
        FragmentCodecs.ASSIGNED.write(out, m.message());
      },
      in -> {
        Fence fence = Fence.CODEC.read(in);
        return new FencedMessage(FragmentCodecs.ASSIGNED.read(in), fence);
      });

  /** Store one message under its assigned UID; answered after the local sync. Version 2: with its fence. */
  public static final MessageType<FencedMessage, AppendResult> STORE_MESSAGE = new MessageType<>(
      TypeIds.STORE_MESSAGE, 2, "STORE_MESSAGE", FENCED_MESSAGE, FragmentCodecs.RESULT);

  private final RpcEndpoint endpoint;
  private final MailStore store;
  private final Fencing fencing;

  /** A service that stores every message it is sent (tests of the layers below the managers). */
  public FragmentService(RpcEndpoint endpoint, MailStore store) {
    this(endpoint, store, Fencing.NONE);
  }

  public FragmentService(RpcEndpoint endpoint, MailStore store, Fencing fencing) {
    this.endpoint = endpoint;
    this.store = store;
    this.fencing = fencing;
    endpoint.register(STORE_MESSAGE, (from, m) -> {
      try {
        fencing.check(m.message().user(), m.fence());
        return store.storeAssigned(m.message()).join();
      } catch (FencedException e) {
        throw e.toRpc();
      } catch (CompletionException e) {
        // the store's refusal (duplicate UID, UIDVALIDITY mismatch, quota) is the caller's answer
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    });
  }

  /** Stores a copy of a message numbered and checked before (catch-up, moves): no fence. */
  public CompletableFuture<AppendResult> store(String node, AssignedMessage message, Duration timeout) {
    return store(node, message, Fence.NONE, timeout);
  }

  /**
   * Stores {@code message}, numbered under {@code fence}, on {@code node} (this node included);
   * completes when it is durable there, or fails with {@link FencedException} when its manager was deposed.
   */
  public CompletableFuture<AppendResult> store(String node, AssignedMessage message, Fence fence, Duration timeout) {
    if (node.equals(endpoint.self())) {
      try {
        fencing.check(message.user(), fence);
      } catch (FencedException e) {
        return CompletableFuture.failedFuture(e);
      }
      // no encoding and copying of the message for a store on this very node
      return store.storeAssigned(message);
    }
    return FencedException.translated(endpoint.call(node, STORE_MESSAGE, new FencedMessage(message, fence), timeout));
  }
}
