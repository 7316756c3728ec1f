package dev.quill.mail.auth;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * Decodes SASL client responses into credentials: PLAIN (RFC 4616) and the LOGIN mechanism's
 * base64 user name and password. Returns empty for anything malformed; never throws.
 *
 * @param authzid the identity to act as (empty when the client sent none)
 * @param authcid the identity whose password is given
 */
public record SaslCredentials(String authzid, String authcid, char[] password) {

  /** The longest decoded PLAIN message accepted (RFC 4616 allows 255 octets per field). */
  public static final int MAX_PLAIN_OCTETS = 3 * 255 + 2;

  /** Decodes a base64 PLAIN message {@code authzid NUL authcid NUL passwd}. */
  public static Optional<SaslCredentials> plain(String base64) {
    Optional<byte[]> raw = decodeBase64(base64);
    if (raw.isEmpty() || raw.get().length > MAX_PLAIN_OCTETS) {
      return Optional.empty();
    }
    byte[] b = raw.get();
    int first = indexOf(b, 0);
    int second = first < 0 ? -1 : indexOf(b, first + 1);
    if (first < 0 || second < 0 || indexOf(b, second + 1) >= 0) {
      return Optional.empty();
    }
    Optional<String> authz = utf8(b, 0, first);
    Optional<String> authc = utf8(b, first + 1, second);
    Optional<String> pass = utf8(b, second + 1, b.length);
    if (authz.isEmpty() || authc.isEmpty() || pass.isEmpty() || authc.get().isEmpty() || pass.get().isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new SaslCredentials(authz.get(), authc.get(), pass.get().toCharArray()));
  }

  /** Decodes one base64 field of the LOGIN mechanism (user name or password) as UTF-8 text. */
  public static Optional<String> loginField(String base64) {
    return decodeBase64(base64).flatMap(b -> b.length > 255 || indexOf(b, 0) >= 0 ? Optional.empty() : utf8(b, 0, b.length));
  }

  /** Strict base64 decoding; empty for invalid input or the SASL cancel response "*". */
  public static Optional<byte[]> decodeBase64(String s) {
    if (s == null || s.equals("*") || s.length() > 4 * (MAX_PLAIN_OCTETS + 2) / 3 + 4) {
      return Optional.empty();
    }
    try {
      return Optional.of(Base64.getDecoder().decode(s.strip()));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private static int indexOf(byte[] b, int from) {
    for (int i = from; i < b.length; i++) {
      if (b[i] == 0) {
        return i;
      }
    }
    return -1;
  }

  private static Optional<String> utf8(byte[] b, int from, int to) {
    try {
      return Optional.of(StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, from, to - from)).toString());
    } catch (CharacterCodingException e) {
      return Optional.empty();
    }
  }
}
