package dev.quill.cluster.transport;

import dev.quill.security.keys.PublicCredential;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;

/**
 * The three clear frames with which a node that missed a key rotation gets the cluster's current
 * traffic key on the transport's own connections, before it can open anything sealed:
 * <ul>
 *   <li>{@link Request}: "my newest key is {@code keyId}; here is my credential";
 *   <li>{@link Grant}: the current key, sealed for the requester's credential and authenticated as
 *       coming from the granting member's, whose credential travels with it;
 *   <li>{@link Current}: "you have the current key already".
 * </ul>
 *
 * <p>Layout: kind (1: {@code 0x51}, {@code 0x52}, {@code 0x53} — never the first byte of a sealed
 * frame), format version (1, = 1), key id (4), then for a request the credential, for a grant the
 * credential and the sealed key (2 + bytes). A credential is its node name (2 + UTF-8), serial (8),
 * issue time (2 + ISO-8601 text), X25519 public key, CA public key and signature (each 2 + bytes).
 */
sealed interface KeyCatchUpFrame {
  byte REQUEST = 0x51;
  byte GRANT = 0x52;
  byte CURRENT = 0x53;
  byte FORMAT = 1;
  /** Longest frame of this kind accepted: three keys and a signature of a few hundred bytes, a name, a sealed key. */
  int MAX_LENGTH = 8192;

  int keyId();

  record Request(int keyId, PublicCredential credential) implements KeyCatchUpFrame {}

  record Grant(int keyId, PublicCredential granter, byte[] sealedKey) implements KeyCatchUpFrame {}

  record Current(int keyId) implements KeyCatchUpFrame {}

  /** Whether a frame read from a connection is one of these (and not a sealed one, version 2). */
  static boolean isCatchUp(byte[] frame, int length) {
    return length > 0 && (frame[0] == REQUEST || frame[0] == GRANT || frame[0] == CURRENT);
  }

  static byte[] encode(KeyCatchUpFrame f) {
    ByteBuffer b = ByteBuffer.allocate(MAX_LENGTH);
    byte kind = switch (f) {
      case Request r -> REQUEST;
      case Grant g -> GRANT;
      case Current c -> CURRENT;
    };
    b.put(kind).put(FORMAT).putInt(f.keyId());
    switch (f) {
      case Request r -> credential(b, r.credential());
      case Grant g -> {
        credential(b, g.granter());
        bytes(b, g.sealedKey());
      }
      case Current c -> {}
    }
    byte[] out = new byte[b.position()];
    b.flip().get(out);
    return out;
  }

  /** Parses a frame that came from the wire; anything but a well-formed frame of format 1 is an {@link IOException}. */
  static KeyCatchUpFrame decode(byte[] frame, int length) throws IOException {
    if (length > MAX_LENGTH) {
      throw new IOException("key catch-up frame of " + length + " bytes, above " + MAX_LENGTH);
    }
    try {
      ByteBuffer b = ByteBuffer.wrap(frame, 0, length);
      byte kind = b.get();
      byte format = b.get();
      if (format != FORMAT) {
        throw new IOException("key catch-up format " + format + ", this node speaks " + FORMAT);
      }
      int keyId = b.getInt();
      KeyCatchUpFrame f = switch (kind) {
        case REQUEST -> new Request(keyId, credential(b));
        case GRANT -> new Grant(keyId, credential(b), bytes(b, 1024));
        case CURRENT -> new Current(keyId);
        default -> throw new IOException("not a key catch-up frame (kind " + kind + ")");
      };
      if (b.hasRemaining()) {
        throw new IOException(b.remaining() + " bytes after the end of a key catch-up frame");
      }
      return f;
    } catch (BufferUnderflowException e) {
      throw new IOException("key catch-up frame cut short at " + length + " bytes");
    }
  }

  private static void credential(ByteBuffer b, PublicCredential c) {
    bytes(b, c.node().getBytes(StandardCharsets.UTF_8));
    b.putLong(c.serial());
    bytes(b, c.issued().toString().getBytes(StandardCharsets.US_ASCII));
    bytes(b, c.x25519Public());
    bytes(b, c.caPublic());
    bytes(b, c.signature());
  }

  private static PublicCredential credential(ByteBuffer b) throws IOException {
    String node = text(b, 1280);
    long serial = b.getLong();
    String issued = text(b, 64);
    Instant at;
    try {
      at = Instant.parse(issued);
    } catch (DateTimeException e) {
      throw new IOException("credential issue time does not parse");
    }
    return new PublicCredential(node, serial, at, bytes(b, 256), bytes(b, 256), bytes(b, 256));
  }

  private static void bytes(ByteBuffer b, byte[] value) {
    b.putShort((short) value.length).put(value);
  }

  private static byte[] bytes(ByteBuffer b, int max) throws IOException {
    int n = Short.toUnsignedInt(b.getShort());
    if (n > max) {
      throw new IOException("field of " + n + " bytes, above " + max);
    }
    byte[] out = new byte[n];
    b.get(out);
    return out;
  }

  private static String text(ByteBuffer b, int max) throws IOException {
    byte[] raw = bytes(b, max);
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
    } catch (CharacterCodingException e) {
      throw new IOException("text field is not UTF-8");
    }
  }
}
