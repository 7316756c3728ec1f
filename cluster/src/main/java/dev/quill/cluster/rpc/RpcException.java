package dev.quill.cluster.rpc;

import java.util.List;

/**
 * Why a call failed: an error frame from the callee, or a local condition (timeout, the callee left).
 * The {@link Code} says which; the message says the node, the type and the detail.
 */
public final class RpcException extends RuntimeException {
  /** Failure kinds; those with a wire value travel in error frames, the others arise locally. */
  public enum Code {
    /** The callee has no handler for the type id. */
    UNKNOWN_TYPE(1),
    /** The callee knows the type id but not this version; {@link #supportedVersions()} says which it has. */
    UNSUPPORTED_VERSION(2),
    /** The request body did not decode with the callee's codec; the handler did not run. */
    BAD_REQUEST(3),
    /** The handler threw; the message is the handler's. */
    HANDLER_FAILED(4),
    /**
     * The callee cannot serve this request now (it is catching up after being away, say): the
     * caller treats it as a node that did not answer, and asks another copy or later.
     */
    UNAVAILABLE(5),
    /**
     * The callee refused a write numbered by a manager it knows is deposed (issue 5's fencing): the
     * caller numbers the write again with the current manager.
     */
    FENCED(6),
    /** The callee's policy does not let the caller's principal make this request; the handler did not run. */
    DENIED(7),
    /** An error frame with a code this node does not know (a newer peer). */
    UNKNOWN_ERROR(0),
    /** No answer within the call's timeout. */
    TIMEOUT(-1),
    /** The callee left the view before answering. */
    MEMBER_LEFT(-1),
    /** The callee is not in the current view. */
    NOT_A_MEMBER(-1),
    /** The transport refused to send, or the request did not encode. */
    SEND_FAILED(-1),
    /** The answer did not decode with the caller's codec. */
    BAD_RESPONSE(-1),
    /** This endpoint is closed. */
    CLOSED(-1);

    final int wire;

    Code(int wire) {
      this.wire = wire;
    }

    static Code fromWire(int wire) {
      for (Code code : values()) {
        if (code.wire == wire && wire > 0) {
          return code;
        }
      }
      return UNKNOWN_ERROR;
    }
  }

  private final Code code;
  private final List<Integer> supportedVersions;

  public RpcException(Code code, String message) {
    this(code, message, List.of());
  }

  public RpcException(Code code, String message, List<Integer> supportedVersions) {
    super(code + ": " + message);
    this.code = code;
    this.supportedVersions = List.copyOf(supportedVersions);
  }

  public Code code() {
    return code;
  }

  /** For {@link Code#UNSUPPORTED_VERSION}: the versions of the type the callee serves; otherwise empty. */
  public List<Integer> supportedVersions() {
    return supportedVersions;
  }
}
