package dev.quill.cluster.directory;

import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Passwords on the wire: UTF-8 bytes, strictly encoded and decoded, with every intermediate copy
 * this class makes zeroed after use. (The frame itself and the transport's buffers still hold the
 * bytes until they are garbage; see {@link ProfileAccess}.)
 */
final class Passwords {
  /** Longest password on the wire, in UTF-8 bytes. */
  static final int MAX_BYTES = 4096;

  private Passwords() {}

  /**
   * Writes {@code password} as a varint length and its UTF-8 bytes.
   *
   * @throws IllegalArgumentException if it has an unpaired surrogate or exceeds {@link #MAX_BYTES}
   */
  static void write(WireWriter out, char[] password) {
    CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
        .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer bytes = ByteBuffer.allocate(3 * password.length);
    try {
      CoderResult result = encoder.encode(CharBuffer.wrap(password), bytes, true);
      if (result.isError() || encoder.flush(bytes).isError()) {
        throw new IllegalArgumentException("password is not valid Unicode (unpaired surrogate)");
      }
      if (bytes.position() > MAX_BYTES) {
        throw new IllegalArgumentException("password of " + bytes.position() + " UTF-8 bytes exceeds the maximum "
            + MAX_BYTES);
      }
      out.writeBytes(bytes.array(), 0, bytes.position());
    } finally {
      Arrays.fill(bytes.array(), (byte) 0);
    }
  }

  /** Reads a password; the caller zeroes the array when done. Malformed UTF-8 is refused. */
  static char[] read(WireReader in) throws WireException {
    byte[] bytes = in.readBytes(MAX_BYTES);
    CharBuffer chars = CharBuffer.allocate(bytes.length); // UTF-8 never has more chars than bytes
    try {
      CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
      CoderResult result = decoder.decode(ByteBuffer.wrap(bytes), chars, true);
      if (result.isError() || decoder.flush(chars).isError()) {
        throw new WireException("password is not valid UTF-8");
      }
      return Arrays.copyOf(chars.array(), chars.position());
    } finally {
      Arrays.fill(bytes, (byte) 0);
      Arrays.fill(chars.array(), '\0');
    }
  }
}
