package dev.quill.cluster.rpc;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads what {@link WireWriter} wrote, trusting nothing: every read checks the bytes left, varints
 * may not be longer than their type allows, and every length is checked against both a caller's
 * limit and the bytes actually present <em>before</em> anything is allocated, so a hostile length
 * cannot make the reader allocate more than the input's own size. Every failure is a
 * {@link WireException}.
 */
public final class WireReader {
  private final byte[] buffer;
  private final int end;
  private int position;

  public WireReader(byte[] buffer) {
    this(buffer, 0, buffer.length);
  }

  public WireReader(byte[] buffer, int offset, int length) {
    if (offset < 0 || length < 0 || offset > buffer.length - length) {
      throw new IndexOutOfBoundsException("offset " + offset + " length " + length + " of " + buffer.length);
    }
    this.buffer = buffer;
    this.position = offset;
    this.end = offset + length;
  }

  public int remaining() {
    return end - position;
  }

  public int readByte() throws WireException {
    need(1, "byte");
    return buffer[position++] & 0xff;
  }

  public boolean readBoolean() throws WireException {
    int b = readByte();
    if (b > 1) {
      throw new WireException("boolean byte is " + b + ", not 0 or 1");
    }
    return b == 1;
  }

  /** A varint that must fit a non-negative int. */
  public int readVarInt() throws WireException {
    long value = readVarLong();
    if (value < 0 || value > Integer.MAX_VALUE) {
      throw new WireException("varint " + Long.toUnsignedString(value) + " exceeds " + Integer.MAX_VALUE);
    }
    return (int) value;
  }

  /** An unsigned varint of at most 10 bytes whose last byte holds no bits beyond 64. */
  public long readVarLong() throws WireException {
    long value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      int b = readByte();
      if (shift == 63 && (b & 0xfe) != 0) {
        throw new WireException("varint longer than 64 bits");
      }
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    throw new WireException("varint longer than 10 bytes");
  }

  public long readSignedVarLong() throws WireException {
    long raw = readVarLong();
    return (raw >>> 1) ^ -(raw & 1);
  }

  public long readLong() throws WireException {
    need(8, "long");
    long value = 0;
    for (int i = 0; i < 8; i++) {
      value = (value << 8) | (buffer[position++] & 0xff);
    }
    return value;
  }

  public double readDouble() throws WireException {
    return Double.longBitsToDouble(readLong());
  }

  /** A string of at most {@code maxBytes} UTF-8 bytes; malformed UTF-8 is refused, not replaced. */
  public String readString(int maxBytes) throws WireException {
    int length = readLength(maxBytes, "string");
    try {
      String value = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(buffer, position, length))
          .toString();
      position += length;
      return value;
    } catch (CharacterCodingException e) {
      throw new WireException("string is not valid UTF-8");
    }
  }

  /** A byte array of at most {@code maxBytes}. */
  public byte[] readBytes(int maxBytes) throws WireException {
    int length = readLength(maxBytes, "byte array");
    return readRaw(length);
  }

  /** {@code length} bytes without a length prefix (already checked against the input by the caller or here). */
  byte[] readRaw(int length) throws WireException {
    need(length, "bytes");
    byte[] value = Arrays.copyOfRange(buffer, position, position + length);
    position += length;
    return value;
  }

  /** A varint length checked against a limit and against the bytes left. */
  public int readLength(int max, String what) throws WireException {
    int length = readVarInt();
    if (length > max) {
      throw new WireException(what + " length " + length + " exceeds the maximum " + max);
    }
    need(length, what);
    return length;
  }

  /** Refuses bytes left over: a value that does not use its whole input was not written by us. */
  public void expectEnd() throws WireException {
    if (position != end) {
      throw new WireException(remaining() + " bytes left over after the value");
    }
  }

  private void need(int count, String what) throws WireException {
    if (count > end - position) {
      throw new WireException("truncated: " + what + " needs " + count + " bytes, " + (end - position) + " left");
    }
  }
}
