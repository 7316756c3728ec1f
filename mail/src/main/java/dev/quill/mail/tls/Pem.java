package dev.quill.mail.tls;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes PEM ("-----BEGIN X-----" base64 "-----END X-----") blocks. Text outside the
 * blocks is ignored because real-world files often carry it (openssl's "Bag Attributes", the
 * human-readable dump of {@code openssl x509 -text}, comments).
 */
final class Pem {
  /** One block: its label (e.g. "CERTIFICATE") and decoded bytes; headers are kept for checks. */
  record Block(String label, List<String> headers, byte[] der) {}

  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END ([A-Z0-9 ]+)-----", Pattern.DOTALL);

  private Pem() {}

  /**
   * All blocks in {@code text}. Throws IllegalArgumentException with a human-readable reason for
   * mismatched labels or bad base64; the caller adds the file name.
   */
  static List<Block> parse(String text) {
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String label = m.group(1).strip();
      if (!label.equals(m.group(3).strip())) {
        throw new IllegalArgumentException(
            "PEM block BEGIN " + label + " ends with END " + m.group(3).strip());
      }
      List<String> headers = new ArrayList<>();
      StringBuilder base64 = new StringBuilder();
      for (String line : m.group(2).split("\\R")) {
        String l = line.strip();
        if (l.contains(":")) {
          // RFC 1421 headers, e.g. "Proc-Type: 4,ENCRYPTED" on passphrase-protected old keys.
          headers.add(l);
        } else {
          base64.append(l);
        }
      }
      byte[] der;
      try {
        der = Base64.getMimeDecoder().decode(base64.toString());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "PEM block " + label + " is not valid base64: " + e.getMessage(), e);
      }
      // The MIME decoder silently skips foreign characters, so re-check the alphabet ourselves.
      if (!base64.toString().matches("[A-Za-z0-9+/]*={0,2}")) {
        throw new IllegalArgumentException(
            "PEM block " + label + " contains non-base64 characters");
      }
      if (der.length == 0) {
        throw new IllegalArgumentException("PEM block " + label + " is empty");
      }
      blocks.add(new Block(label, List.copyOf(headers), der));
    }
    int begins = text.split("-----BEGIN ", -1).length - 1;
    if (begins > blocks.size()) {
      // Otherwise a truncated copy-paste would be reported as "no certificate found".
      throw new IllegalArgumentException(
          "a '-----BEGIN' line has no matching '-----END' line (truncated file?)");
    }
    return blocks;
  }

  /** One PEM block with the customary 64-column lines. */
  static String encode(String label, byte[] der) {
    byte[] newline = "\n".getBytes(StandardCharsets.US_ASCII);
    String body = Base64.getMimeEncoder(64, newline).encodeToString(der);
    return "-----BEGIN " + label + "-----\n" + body + "\n-----END " + label + "-----\n";
  }
}
