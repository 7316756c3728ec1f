package dev.quill.mail.mime;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import org.apache.james.mime4j.codec.Base64InputStream;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.QuotedPrintableInputStream;

/**
 * Undoes a Content-Transfer-Encoding (RFC 2045 §6) with mime4j's lenient decoders: base64 skips
 * characters outside its alphabet and stops at padding; quoted-printable passes malformed escapes
 * through. 7bit, 8bit and binary (and an absent header) are the identity.
 */
final class TransferDecoding {
  private TransferDecoding() {}

  /** The decoded bytes, or empty for an encoding this server does not know (x-uuencode, …). */
  static Optional<byte[]> decode(String encoding, byte[] m, int from, int to) {
    String e = encoding == null ? "7bit" : encoding.trim().toLowerCase(Locale.ROOT);
    InputStream raw = new ByteArrayInputStream(m, from, to - from);
    return switch (e) {
      case "7bit", "8bit", "binary", "" -> Optional.of(Arrays.copyOfRange(m, from, to));
      case "base64" -> Optional.of(drain(new Base64InputStream(raw, DecodeMonitor.SILENT), to - from));
      case "quoted-printable" -> Optional.of(drain(new QuotedPrintableInputStream(raw, DecodeMonitor.SILENT), to - from));
      default -> Optional.empty();
    };
  }

  /** Reads what the decoder yields; a decoder failure ends the content where it happened. */
  private static byte[] drain(InputStream in, int sizeHint) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(16, sizeHint));
    byte[] chunk = new byte[8192];
    try {
      for (int n; (n = in.read(chunk)) >= 0; ) {
        out.write(chunk, 0, n);
      }
    } catch (IOException | RuntimeException e) {
      // lenient: keep what was decoded before the failure
    }
    return out.toByteArray();
  }
}
