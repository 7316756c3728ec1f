package dev.quill.cluster.transport;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.jgroups.Header;

/**
 * The clear security context of a secured message: who sends, for whom, under which key, which
 * sequence number. Kept as the exact bytes that travel, because they are the AAD of the message's
 * AES-GCM tag: a receiver authenticates what it read, never a re-encoding of it.
 *
 * <p>Layout: version (1), key id (4), incarnation (8), sequence (8), policy version (8), origin
 * (2 + UTF-8), principal SID (2 + UTF-8).
 */
public final class SecureHeader extends Header {
  static final short MAGIC = 1101;
  static final byte VERSION = 1;
  /** Longest context accepted from the wire: two names of at most 320 characters, in UTF-8, and the numbers. */
  static final int MAX_LENGTH = 2 * (2 + 4 * 320) + 29;

  private byte[] bytes;

  /** For JGroups, which creates a header before reading it. */
  public SecureHeader() {}

  SecureHeader(byte[] bytes) {
    this.bytes = bytes;
  }

  /** The context's bytes (the AAD). */
  byte[] bytes() {
    return bytes;
  }

  /** The context as it travels. */
  static byte[] encode(int keyId, long incarnation, long sequence, long policyVersion, byte[] origin, byte[] principal) {
    ByteBuffer b = ByteBuffer.allocate(29 + 2 + origin.length + 2 + principal.length);
    b.put(VERSION).putInt(keyId).putLong(incarnation).putLong(sequence).putLong(policyVersion);
    b.putShort((short) origin.length).put(origin);
    b.putShort((short) principal.length).put(principal);
    return b.array();
  }

  /** The parsed fields of a context; thrown away after one message. */
  record Fields(int keyId, long incarnation, long sequence, long policyVersion, String origin, String principal) {}

  /** Parses the bytes; they came from the wire, so anything may be wrong with them. */
  Fields parse() throws IOException {
    try {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      byte version = b.get();
      if (version != VERSION) {
        throw new IOException("security context version " + version + ", this node speaks " + VERSION);
      }
      Fields f = new Fields(b.getInt(), b.getLong(), b.getLong(), b.getLong(), string(b), string(b));
      if (b.hasRemaining()) {
        throw new IOException(b.remaining() + " bytes after the security context");
      }
      return f;
    } catch (RuntimeException e) { // underflow, bad lengths
      throw new IOException("security context does not parse: " + e, e);
    }
  }

  private static String string(ByteBuffer b) {
    int length = Short.toUnsignedInt(b.getShort());
    return new String(bytes(b, length), StandardCharsets.UTF_8);
  }

  private static byte[] bytes(ByteBuffer b, int length) {
    byte[] out = new byte[length];
    b.get(out);
    return out;
  }

  @Override
  public short getMagicId() {
    return MAGIC;
  }

  @Override
  public Supplier<? extends Header> create() {
    return SecureHeader::new;
  }

  @Override
  public int serializedSize() {
    return 2 + bytes.length;
  }

  @Override
  public void writeTo(DataOutput out) throws IOException {
    out.writeShort(bytes.length);
    out.write(bytes);
  }

  @Override
  public void readFrom(DataInput in) throws IOException {
    int length = in.readUnsignedShort();
    if (length > MAX_LENGTH) {
      throw new IOException("security context of " + length + " bytes, at most " + MAX_LENGTH + " expected");
    }
    bytes = new byte[length];
    in.readFully(bytes);
  }

  @Override
  public String toString() {
    return "SecureHeader[" + (bytes == null ? 0 : bytes.length) + " bytes]";
  }
}
