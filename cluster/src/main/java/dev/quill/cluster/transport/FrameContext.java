package dev.quill.cluster.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The clear context at the start of a sealed transport frame: which key sealed it, which run of
 * which node sent it, its sequence number, and the sender's policy version. It is the AAD of the
 * frame's AES-GCM tag, so a receiver authenticates the very bytes it read, never a re-encoding.
 *
 * <p>Layout: version (1), key id (4), incarnation (8), sequence (8), policy version (8), origin
 * node name (2 + UTF-8).
 */
record FrameContext(int keyId, long incarnation, long sequence, long policyVersion, String origin, int length) {
  static final byte VERSION = 2;
  /** The fixed part: everything but the origin's bytes. */
  static final int FIXED = 1 + 4 + 8 + 8 + 8 + 2;
  /** Longest origin accepted from the wire: a node name of at most 320 characters in UTF-8. */
  static final int MAX_ORIGIN = 4 * 320;

  /** Writes a context at the start of {@code frame}; returns its length. */
  static int write(byte[] frame, int keyId, long incarnation, long sequence, long policyVersion, byte[] origin) {
    ByteBuffer b = ByteBuffer.wrap(frame);
    b.put(VERSION).putInt(keyId).putLong(incarnation).putLong(sequence).putLong(policyVersion);
    b.putShort((short) origin.length).put(origin);
    return b.position();
  }

  /** The key id of a frame that starts with a sealed context (at least 5 bytes, version checked by the caller). */
  static int keyId(byte[] frame) {
    return ((frame[1] & 0xff) << 24) | ((frame[2] & 0xff) << 16) | ((frame[3] & 0xff) << 8) | (frame[4] & 0xff);
  }

  /** The origin of a frame that was opened, whose context is known to parse. */
  static String origin(byte[] frame) {
    int length = ((frame[FIXED - 2] & 0xff) << 8) | (frame[FIXED - 1] & 0xff);
    return new String(frame, FIXED, length, StandardCharsets.UTF_8);
  }

  /** Parses the context at the start of {@code frame[0, length)}; the bytes came from the wire. */
  static FrameContext read(byte[] frame, int length) throws IOException {
    if (length < FIXED) {
      throw new IOException("frame of " + length + " bytes, shorter than a security context");
    }
    ByteBuffer b = ByteBuffer.wrap(frame, 0, length);
    byte version = b.get();
    if (version != VERSION) {
      throw new IOException("security context version " + version + ", this node speaks " + VERSION);
    }
    int keyId = b.getInt();
    long incarnation = b.getLong();
    long sequence = b.getLong();
    long policyVersion = b.getLong();
    int originLength = Short.toUnsignedInt(b.getShort());
    if (originLength > MAX_ORIGIN || originLength > b.remaining()) {
      throw new IOException("origin of " + originLength + " bytes in a frame of " + length);
    }
    String origin = new String(frame, b.position(), originLength, StandardCharsets.UTF_8);
    return new FrameContext(keyId, incarnation, sequence, policyVersion, origin, FIXED + originLength);
  }
}
