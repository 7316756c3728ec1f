package dev.quill.store;

import java.io.EOFException;
import java.io.IOException;
import java.io.UTFDataFormatException;
import java.nio.charset.StandardCharsets;

/**
 * Reads the big-endian, modified-UTF-8 layout that {@link java.io.DataOutputStream} writes,
 * straight from a byte array. Store records are decoded on every SELECT and FETCH, and a
 * {@code DataInputStream} over a {@code ByteArrayInputStream} spent most of that time in
 * per-call stream plumbing; this reader does bounds checks and nothing else.
 */
final class RecordInput {
  private final byte[] b;
  private int pos;
  private final int end;

  RecordInput(byte[] bytes, int offset) {
    this.b = bytes;
    this.pos = offset;
    this.end = bytes.length;
  }

  int remaining() {
    return end - pos;
  }

  private void need(int n) throws EOFException {
    if (end - pos < n) {
      throw new EOFException("record truncated: " + n + " bytes needed, " + (end - pos) + " left");
    }
  }

  boolean readBoolean() throws IOException {
    need(1);
    return b[pos++] != 0;
  }

  int readUnsignedShort() throws IOException {
    need(2);
    int v = ((b[pos] & 0xff) << 8) | (b[pos + 1] & 0xff);
    pos += 2;
    return v;
  }

  int readInt() throws IOException {
    need(4);
    int v = ((b[pos] & 0xff) << 24) | ((b[pos + 1] & 0xff) << 16) | ((b[pos + 2] & 0xff) << 8) | (b[pos + 3] & 0xff);
    pos += 4;
    return v;
  }

  long readLong() throws IOException {
    long hi = readInt();
    long lo = readInt() & 0xffffffffL;
    return (hi << 32) | lo;
  }

  byte[] readNBytes(int length) throws IOException {
    need(length);
    byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + length);
    pos += length;
    return out;
  }

  /** A string as {@link java.io.DataOutputStream#writeUTF} wrote it: ASCII without a copy loop, the rest decoded. */
  String readUTF() throws IOException {
    int length = readUnsignedShort();
    need(length);
    int start = pos;
    int stop = pos + length;
    boolean ascii = true;
    for (int i = start; i < stop; i++) {
      if (b[i] < 0) {
        ascii = false;
        break;
      }
    }
    pos = stop;
    if (ascii) {
      return new String(b, start, length, StandardCharsets.ISO_8859_1); // ASCII: a plain copy
    }
    return decodeModifiedUtf8(start, stop);
  }

  private String decodeModifiedUtf8(int start, int stop) throws UTFDataFormatException {
    char[] chars = new char[stop - start];
    int n = 0;
    int i = start;
    while (i < stop) {
      int c = b[i] & 0xff;
      if (c < 0x80) {
        chars[n++] = (char) c;
        i++;
      } else if ((c & 0xe0) == 0xc0) {
        if (i + 1 >= stop || (b[i + 1] & 0xc0) != 0x80) {
          throw new UTFDataFormatException("malformed input around byte " + (i - start));
        }
        chars[n++] = (char) (((c & 0x1f) << 6) | (b[i + 1] & 0x3f));
        i += 2;
      } else if ((c & 0xf0) == 0xe0) {
        if (i + 2 >= stop || (b[i + 1] & 0xc0) != 0x80 || (b[i + 2] & 0xc0) != 0x80) {
          throw new UTFDataFormatException("malformed input around byte " + (i - start));
        }
        chars[n++] = (char) (((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f));
        i += 3;
      } else {
        throw new UTFDataFormatException("malformed input around byte " + (i - start));
      }
    }
    return new String(chars, 0, n);
  }
}
