package dev.quill.cluster.rpc;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes the compact binary encoding of inter-node messages into a growing array.
 *
 * <p>Integers that are usually small (lengths, ids, counts) are unsigned LEB128 varints: 7 bits a
 * byte, low group first, high bit set on every byte but the last. Signed values that may be
 * negative use zig-zag first. Strings are a varint byte length and strict UTF-8; byte arrays a
 * varint length and the bytes. {@link WireReader} reads the same.
 */
public final class WireWriter {
  private byte[] buffer;
  private int size;

  public WireWriter() {
    this(64);
  }

  public WireWriter(int initialCapacity) {
    buffer = new byte[Math.max(16, initialCapacity)];
  }

  public WireWriter writeByte(int value) {
    ensure(1);
    buffer[size++] = (byte) value;
    return this;
  }

  public WireWriter writeBoolean(boolean value) {
    return writeByte(value ? 1 : 0);
  }

  /** An unsigned varint of a non-negative int (1 to 5 bytes). */
  public WireWriter writeVarInt(int value) {
    if (value < 0) {
      throw new IllegalArgumentException("varint must not be negative: " + value);
    }
    return writeVarLong(value);
  }

  /** An unsigned varint (1 to 10 bytes); negative values take all 10. */
  public WireWriter writeVarLong(long value) {
    ensure(10);
    while ((value & ~0x7fL) != 0) {
      buffer[size++] = (byte) ((value & 0x7f) | 0x80);
      value >>>= 7;
    }
    buffer[size++] = (byte) value;
    return this;
  }

  /** A zig-zag varint, so that small negative numbers stay short too. */
  public WireWriter writeSignedVarLong(long value) {
    return writeVarLong((value << 1) ^ (value >> 63));
  }

  /** Eight bytes, big-endian (hashes, timestamps with all bits used). */
  public WireWriter writeLong(long value) {
    ensure(8);
    for (int shift = 56; shift >= 0; shift -= 8) {
      buffer[size++] = (byte) (value >>> shift);
    }
    return this;
  }

  public WireWriter writeDouble(double value) {
    return writeLong(Double.doubleToRawLongBits(value));
  }

  /**
   * A varint byte length and the UTF-8 bytes.
   *
   * @throws IllegalArgumentException if the string has an unpaired surrogate (it has no UTF-8 form;
   *     silently replacing it would change the value)
   */
  public WireWriter writeString(String value) {
    ByteBuffer encoded;
    try {
      encoded = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(value));
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("string is not valid Unicode (unpaired surrogate)", e);
    }
    int length = encoded.remaining();
    writeVarInt(length);
    ensure(length);
    encoded.get(buffer, size, length);
    size += length;
    return this;
  }

  /** A varint length and the bytes. */
  public WireWriter writeBytes(byte[] value) {
    return writeBytes(value, 0, value.length);
  }

  public WireWriter writeBytes(byte[] value, int offset, int length) {
    writeVarInt(length);
    return writeRaw(value, offset, length);
  }

  /** Bytes without a length (the frame writes its payload and checksum this way). */
  WireWriter writeRaw(byte[] value, int offset, int length) {
    ensure(length);
    System.arraycopy(value, offset, buffer, size, length);
    size += length;
    return this;
  }

  /** Bytes written so far. */
  public int size() {
    return size;
  }

  /** The bytes written so far (a copy). */
  public byte[] toByteArray() {
    return Arrays.copyOf(buffer, size);
  }

  /** The internal array, valid up to {@link #size()}; for the frame encoder, which avoids one copy. */
  byte[] array() {
    return buffer;
  }

  private void ensure(int more) {
    if (size + more > buffer.length) {
      long wanted = Math.max((long) buffer.length * 2, (long) size + more);
      if (wanted > Integer.MAX_VALUE - 16) {
        throw new IllegalArgumentException("encoded value exceeds 2 GiB");
      }
      buffer = Arrays.copyOf(buffer, (int) wanted);
    }
  }
}
