package dev.quill.cluster.rpc;

import java.util.Objects;

/**
 * One kind of inter-node request and its response: an id from {@link TypeIds}, a version that
 * changes whenever either body's encoding changes, a name for logs, and the two codecs.
 *
 * <p>A node may serve several versions of one id (register one handler per version) while a
 * cluster is upgraded; a request for a version it does not serve is answered with
 * {@link RpcException.Code#UNSUPPORTED_VERSION} and the list of versions it does.
 */
public record MessageType<Q, R>(int id, int version, String name, Codec<Q> request, Codec<R> response) {
  public MessageType {
    if (id < 1 || id > Frame.MAX_TYPE_ID) {
      throw new IllegalArgumentException("type id " + id + " is outside 1.." + Frame.MAX_TYPE_ID);
    }
    if (version < 1 || version > Frame.MAX_TYPE_VERSION) {
      throw new IllegalArgumentException("type version " + version + " is outside 1.." + Frame.MAX_TYPE_VERSION);
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("type " + id + " needs a name");
    }
    Objects.requireNonNull(request, "request codec");
    Objects.requireNonNull(response, "response codec");
  }

  @Override
  public String toString() {
    return name + "(" + id + "v" + version + ")";
  }
}
