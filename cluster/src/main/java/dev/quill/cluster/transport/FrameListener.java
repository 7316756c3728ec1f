package dev.quill.cluster.transport;

import dev.quill.security.Sid;

/**
 * Receives the payload of every message another node sent to this one.
 *
 * <p>Called on a JGroups receiver thread: an implementation decodes and hands off, it never blocks.
 * The bytes are valid only during the call.
 */
@FunctionalInterface
public interface FrameListener {
  /**
   * @param from the sending node's name
   * @param principal the principal the frame was sent for, verified by the security layer (when on)
   */
  void onFrame(String from, Sid principal, byte[] buffer, int offset, int length);
}
