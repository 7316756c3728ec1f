package dev.quill.cluster.rpc;

/**
 * Serves one message type. Runs on a virtual thread of its own, so it may block (disk, other calls);
 * whatever it throws goes back to the caller as {@link RpcException.Code#HANDLER_FAILED}.
 */
@FunctionalInterface
public interface RequestHandler<Q, R> {
  /**
   * @param from the calling node's name
   * @return the response; ignored for notices
   */
  R handle(String from, Q request) throws Exception;
}
