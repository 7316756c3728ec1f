package dev.quill.cluster.rpc;

import java.util.ArrayList;
import java.util.List;

/**
 * The payload of an error frame: a code, a short message and, for an unsupported version, the
 * versions the callee serves.
 *
 * <pre>
 * varint  code (RpcException.Code wire value)
 * string  message, at most 1,000 bytes
 * varint  count of supported versions (at most 255), then each as a varint
 * </pre>
 */
record RpcError(RpcException.Code code, String message, List<Integer> supportedVersions) {
  static final int MAX_MESSAGE = 1000;

  static final Codec<RpcError> CODEC = Codec.of(
      (out, e) -> {
        out.writeVarInt(e.code().wire).writeString(e.message());
        out.writeVarInt(e.supportedVersions().size());
        e.supportedVersions().forEach(out::writeVarInt);
      },
      in -> {
        RpcException.Code code = RpcException.Code.fromWire(in.readVarInt());
        String message = in.readString(MAX_MESSAGE);
        int count = in.readVarInt();
        if (count > Frame.MAX_TYPE_VERSION) {
          throw new WireException("error lists " + count + " versions, more than " + Frame.MAX_TYPE_VERSION);
        }
        List<Integer> versions = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
          versions.add(in.readVarInt());
        }
        return new RpcError(code, message, versions);
      });

  RpcError {
    // Cut to fit, on a character boundary well inside the byte limit (a char is at most 3 UTF-8 bytes).
    if (message.length() > MAX_MESSAGE / 3) {
      message = message.substring(0, MAX_MESSAGE / 3 - 1) + "…";
    }
    supportedVersions = List.copyOf(supportedVersions);
  }
}
