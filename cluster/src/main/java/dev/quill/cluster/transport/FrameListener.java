package dev.quill.cluster.transport;

/**
 * Receives the payload of every message another node sent to this one.
 *
 * <p>Called on a JGroups receiver thread: an implementation decodes and hands off, it never blocks.
 * The bytes are valid only during the call.
 */
@FunctionalInterface
public interface FrameListener {
  void onFrame(String from, byte[] buffer, int offset, int length);
}
