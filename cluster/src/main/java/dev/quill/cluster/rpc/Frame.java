package dev.quill.cluster.rpc;

import java.util.zip.CRC32C;

/**
 * One inter-node frame: a request, its response or error, or a one-way notice.
 *
 * <p>Wire layout (frame version 1):
 * <pre>
 * offset  size   field
 * 0       1      magic 0xA7
 * 1       1      frame version (1)
 * 2       1      kind: 1 request, 2 response, 3 error, 4 notice (one-way, never answered)
 * 3       1-10   correlation id, varint (the caller's; 0 for notices)
 * .       1-3    type id, varint, 1..65535
 * .       1-2    type version, varint, 1..255
 * .       1-4    payload length, varint, at most {@link #MAX_PAYLOAD}
 * .       n      payload (the type's codec; for errors {@link RpcError})
 * end-4   4      CRC32C of every byte before it, big-endian
 * </pre>
 * The checksum catches a frame garbled on its way (TCP's 16-bit checksum misses some errors) or by
 * a buggy peer, before any field is trusted; it is not authentication, which a transport layer
 * adds (issue 6). A frame must use its whole buffer: bytes after the checksum are refused.
 *
 * @param payload owned by the frame once built; not copied again
 */
public record Frame(Kind kind, long correlationId, int typeId, int typeVersion, byte[] payload) {
  public static final int MAGIC = 0xA7;
  public static final int VERSION = 1;
  /** Largest payload: a 50 MiB message plus its envelope fits. */
  public static final int MAX_PAYLOAD = 64 << 20;
  public static final int MAX_TYPE_ID = 65_535;
  public static final int MAX_TYPE_VERSION = 255;
  private static final int CHECKSUM = 4;
  /** Magic, version, kind, one-byte id, type, version and length. */
  private static final int MIN_HEADER = 7;

  /** What a frame is. */
  public enum Kind {
    REQUEST(1), RESPONSE(2), ERROR(3), NOTICE(4);

    final int wire;

    Kind(int wire) {
      this.wire = wire;
    }

    static Kind fromWire(int wire) throws WireException {
      return switch (wire) {
        case 1 -> REQUEST;
        case 2 -> RESPONSE;
        case 3 -> ERROR;
        case 4 -> NOTICE;
        default -> throw new WireException("unknown frame kind " + wire);
      };
    }
  }

  public Frame {
    if (typeId < 1 || typeId > MAX_TYPE_ID) {
      throw new IllegalArgumentException("type id " + typeId + " is outside 1.." + MAX_TYPE_ID);
    }
    if (typeVersion < 1 || typeVersion > MAX_TYPE_VERSION) {
      throw new IllegalArgumentException("type version " + typeVersion + " is outside 1.." + MAX_TYPE_VERSION);
    }
    if (payload.length > MAX_PAYLOAD) {
      throw new IllegalArgumentException("payload of " + payload.length + " bytes exceeds the maximum " + MAX_PAYLOAD);
    }
  }

  /** The frame's bytes, checksum included. */
  public byte[] encode() {
    WireWriter out = new WireWriter(payload.length + 32);
    out.writeByte(MAGIC).writeByte(VERSION).writeByte(kind.wire)
        .writeVarLong(correlationId).writeVarInt(typeId).writeVarInt(typeVersion)
        .writeVarInt(payload.length).writeRaw(payload, 0, payload.length);
    CRC32C crc = new CRC32C();
    crc.update(out.array(), 0, out.size());
    int sum = (int) crc.getValue();
    out.writeByte(sum >>> 24).writeByte(sum >>> 16).writeByte(sum >>> 8).writeByte(sum);
    return out.toByteArray();
  }

  /**
   * Decodes a whole frame, checksum first; the payload is copied out, so the buffer may be reused.
   *
   * @throws WireException for anything but a well-formed frame of version 1
   */
  public static Frame decode(byte[] buffer, int offset, int length) throws WireException {
    if (length < MIN_HEADER + CHECKSUM) {
      throw new WireException("frame of " + length + " bytes is shorter than the minimum " + (MIN_HEADER + CHECKSUM));
    }
    if ((buffer[offset] & 0xff) != MAGIC) {
      throw new WireException(String.format("bad magic 0x%02x", buffer[offset] & 0xff));
    }
    if ((buffer[offset + 1] & 0xff) != VERSION) {
      throw new WireException("frame version " + (buffer[offset + 1] & 0xff) + " is not " + VERSION);
    }
    int body = length - CHECKSUM;
    CRC32C crc = new CRC32C();
    crc.update(buffer, offset, body);
    int expected = (int) crc.getValue();
    int actual = ((buffer[offset + body] & 0xff) << 24) | ((buffer[offset + body + 1] & 0xff) << 16)
        | ((buffer[offset + body + 2] & 0xff) << 8) | (buffer[offset + body + 3] & 0xff);
    if (expected != actual) {
      throw new WireException("checksum mismatch");
    }
    WireReader in = new WireReader(buffer, offset + 2, body - 2);
    Kind kind = Kind.fromWire(in.readByte());
    long correlationId = in.readVarLong();
    int typeId = in.readVarInt();
    int typeVersion = in.readVarInt();
    if (typeId < 1 || typeId > MAX_TYPE_ID || typeVersion < 1 || typeVersion > MAX_TYPE_VERSION) {
      throw new WireException("type " + typeId + " version " + typeVersion + " is out of range");
    }
    int payloadLength = in.readLength(MAX_PAYLOAD, "payload");
    byte[] payload = in.readRaw(payloadLength);
    in.expectEnd();
    return new Frame(kind, correlationId, typeId, typeVersion, payload);
  }

  public static Frame decode(byte[] buffer) throws WireException {
    return decode(buffer, 0, buffer.length);
  }
}
