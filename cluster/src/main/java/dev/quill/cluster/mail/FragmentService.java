package dev.quill.cluster.mail;

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
 * durable here — so the accepting node can say 250 after the answer and not before.
 */
public final class FragmentService {
  /** Store one message under its assigned UID; answered after the local sync. */
  public static final MessageType<AssignedMessage, AppendResult> STORE_MESSAGE = new MessageType<>(
      TypeIds.STORE_MESSAGE, 1, "STORE_MESSAGE", FragmentCodecs.ASSIGNED, FragmentCodecs.RESULT);

  private final RpcEndpoint endpoint;
  private final MailStore store;

  public FragmentService(RpcEndpoint endpoint, MailStore store) {
    this.endpoint = endpoint;
    this.store = store;
    endpoint.register(STORE_MESSAGE, (from, message) -> {
      try {
        return store.storeAssigned(message).join();
      } catch (CompletionException e) {
        // the store's refusal (duplicate UID, UIDVALIDITY mismatch, quota) is the caller's answer
        throw e.getCause() instanceof Exception cause ? cause : e;
      }
    });
  }

  /** Stores {@code message} on {@code node} (this node included); completes when it is durable there. */
  public CompletableFuture<AppendResult> store(String node, AssignedMessage message, Duration timeout) {
    if (node.equals(endpoint.self())) {
      // no encoding and copying of the message for a store on this very node
      return store.storeAssigned(message);
    }
    return endpoint.call(node, STORE_MESSAGE, message, timeout);
  }
}
