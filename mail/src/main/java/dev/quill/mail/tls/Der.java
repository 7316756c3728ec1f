package dev.quill.mail.tls;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The few pieces of ASN.1 DER that Quill needs: encoding a self-signed certificate and unwrapping
 * PKCS#1/SEC1 private keys. Kept tiny on purpose, so that no crypto library is needed at run time.
 *
 * <p>Encoders return complete TLVs (tag, length, value) so they compose by nesting calls.
 */
final class Der {
  static final int TAG_BOOLEAN = 0x01;
  static final int TAG_INTEGER = 0x02;
  static final int TAG_BIT_STRING = 0x03;
  static final int TAG_OCTET_STRING = 0x04;
  static final int TAG_NULL = 0x05;
  static final int TAG_OID = 0x06;
  static final int TAG_UTF8_STRING = 0x0C;
  static final int TAG_PRINTABLE_STRING = 0x13;
  static final int TAG_IA5_STRING = 0x16;
  static final int TAG_UTC_TIME = 0x17;
  static final int TAG_GENERALIZED_TIME = 0x18;
  static final int TAG_SEQUENCE = 0x30;
  static final int TAG_SET = 0x31;

  private static final DateTimeFormatter UTC_TIME =
      DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter GENERALIZED_TIME =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);
  /** RFC 5280 §4.1.2.5: UTCTime up to 2049, GeneralizedTime from 2050 on. */
  private static final Instant GENERALIZED_FROM = Instant.parse("2050-01-01T00:00:00Z");

  private Der() {}

  // ---------------------------------------------------------------- encoding

  /** A TLV with the given (single-byte) tag and contents. */
  static byte[] tlv(int tag, byte[] value) {
    byte[] length = encodeLength(value.length);
    byte[] out = new byte[1 + length.length + value.length];
    out[0] = (byte) tag;
    System.arraycopy(length, 0, out, 1, length.length);
    System.arraycopy(value, 0, out, 1 + length.length, value.length);
    return out;
  }

  /**
   * The DER length octets: short form below 128, otherwise 0x80|n followed by n big-endian bytes
   * with no leading zero (DER forbids the non-minimal forms BER allows).
   */
  static byte[] encodeLength(int length) {
    if (length < 0) {
      throw new IllegalArgumentException("negative length " + length);
    }
    if (length < 0x80) {
      return new byte[] {(byte) length};
    }
    int n = (Integer.SIZE - Integer.numberOfLeadingZeros(length) + 7) / 8;
    byte[] out = new byte[1 + n];
    out[0] = (byte) (0x80 | n);
    for (int i = 0; i < n; i++) {
      out[n - i] = (byte) (length >>> (8 * i));
    }
    return out;
  }

  static byte[] sequence(byte[]... elements) {
    return tlv(TAG_SEQUENCE, concat(elements));
  }

  /** A SET; callers pass a single element, so DER's sorting of SET OF members never matters. */
  static byte[] set(byte[]... elements) {
    return tlv(TAG_SET, concat(elements));
  }

  static byte[] integer(BigInteger value) {
    // BigInteger.toByteArray is already minimal two's complement, exactly what DER wants.
    return tlv(TAG_INTEGER, value.toByteArray());
  }

  static byte[] integer(long value) {
    return integer(BigInteger.valueOf(value));
  }

  static byte[] bool(boolean value) {
    return tlv(TAG_BOOLEAN, new byte[] {(byte) (value ? 0xFF : 0x00)});
  }

  static byte[] nullValue() {
    return new byte[] {TAG_NULL, 0};
  }

  /** An OBJECT IDENTIFIER from its dotted form, e.g. "1.2.840.10045.4.3.2". */
  static byte[] oid(String dotted) {
    String[] parts = dotted.split("\\.");
    if (parts.length < 2) {
      throw new IllegalArgumentException("OID needs at least two arcs: " + dotted);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long first = Long.parseLong(parts[0]);
    long second = Long.parseLong(parts[1]);
    if (first > 2 || (first < 2 && second > 39)) {
      throw new IllegalArgumentException("invalid OID " + dotted);
    }
    writeBase128(out, first * 40 + second);
    for (int i = 2; i < parts.length; i++) {
      writeBase128(out, Long.parseLong(parts[i]));
    }
    return tlv(TAG_OID, out.toByteArray());
  }

  private static void writeBase128(ByteArrayOutputStream out, long arc) {
    if (arc < 0) {
      throw new IllegalArgumentException("negative OID arc " + arc);
    }
    int groups = Math.max(1, (Long.SIZE - Long.numberOfLeadingZeros(arc) + 6) / 7);
    for (int g = groups - 1; g >= 0; g--) {
      int bits = (int) ((arc >>> (7 * g)) & 0x7F);
      out.write(g == 0 ? bits : bits | 0x80);
    }
  }

  static byte[] utf8String(String s) {
    return tlv(TAG_UTF8_STRING, s.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] printableString(String s) {
    for (char c : s.toCharArray()) {
      boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || " '()+,-./:=?".indexOf(c) >= 0;
      if (!ok) {
        throw new IllegalArgumentException("not a PrintableString character: " + c);
      }
    }
    return tlv(TAG_PRINTABLE_STRING, s.getBytes(StandardCharsets.US_ASCII));
  }

  /** A certificate validity time: UTCTime before 2050, GeneralizedTime after (RFC 5280). */
  static byte[] time(Instant instant) {
    Instant seconds = instant.truncatedTo(ChronoUnit.SECONDS);
    return seconds.isBefore(GENERALIZED_FROM) ? utcTime(seconds) : generalizedTime(seconds);
  }

  static byte[] utcTime(Instant instant) {
    return tlv(TAG_UTC_TIME, UTC_TIME.format(instant).getBytes(StandardCharsets.US_ASCII));
  }

  static byte[] generalizedTime(Instant instant) {
    return tlv(TAG_GENERALIZED_TIME,
        GENERALIZED_TIME.format(instant).getBytes(StandardCharsets.US_ASCII));
  }

  /** A BIT STRING whose bits fill whole bytes (signatures, keys). */
  static byte[] bitString(byte[] bytes) {
    return bitString(bytes, 0);
  }

  /** A BIT STRING whose last {@code unusedBits} bits are padding (named bits, e.g. keyUsage). */
  static byte[] bitString(byte[] bytes, int unusedBits) {
    byte[] value = new byte[bytes.length + 1];
    value[0] = (byte) unusedBits;
    System.arraycopy(bytes, 0, value, 1, bytes.length);
    return tlv(TAG_BIT_STRING, value);
  }

  static byte[] octetString(byte[] bytes) {
    return tlv(TAG_OCTET_STRING, bytes);
  }

  /** An EXPLICIT context tag [n] (constructed) wrapping one complete element. */
  static byte[] explicit(int tagNumber, byte[] element) {
    return tlv(0xA0 | checkTagNumber(tagNumber), element);
  }

  /** An IMPLICIT context tag [n] on primitive contents, e.g. GeneralName dNSName [2]. */
  static byte[] implicitPrimitive(int tagNumber, byte[] contents) {
    return tlv(0x80 | checkTagNumber(tagNumber), contents);
  }

  private static int checkTagNumber(int n) {
    if (n < 0 || n > 30) {
      throw new IllegalArgumentException("tag number out of the low-tag range: " + n);
    }
    return n;
  }

  static byte[] concat(byte[]... parts) {
    int total = 0;
    for (byte[] p : parts) {
      total += p.length;
    }
    byte[] out = new byte[total];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  // ---------------------------------------------------------------- decoding

  /**
   * One decoded element: its tag byte and where its contents lie in {@code source}. Only
   * low tag numbers (one tag byte) are supported, which covers every structure Quill reads.
   */
  record Element(byte[] source, int tag, int valueOffset, int valueLength) {
    int end() {
      return valueOffset + valueLength;
    }

    byte[] value() {
      byte[] out = new byte[valueLength];
      System.arraycopy(source, valueOffset, out, 0, valueLength);
      return out;
    }

    /** The complete encoding (tag, length and contents). */
    byte[] encoded(int start) {
      byte[] out = new byte[end() - start];
      System.arraycopy(source, start, out, 0, out.length);
      return out;
    }

    /** The elements directly inside a constructed element. */
    List<Element> children() {
      List<Element> out = new ArrayList<>();
      int at = valueOffset;
      while (at < end()) {
        Element child = read(source, at, end());
        out.add(child);
        at = child.end();
      }
      return out;
    }
  }

  /** Reads the element starting at {@code offset}, which must end by {@code limit}. */
  static Element read(byte[] source, int offset, int limit) {
    if (offset + 2 > limit) {
      throw new IllegalArgumentException("truncated DER at offset " + offset);
    }
    int tag = source[offset] & 0xFF;
    if ((tag & 0x1F) == 0x1F) {
      throw new IllegalArgumentException("multi-byte DER tags are not supported");
    }
    long[] decoded = decodeLength(source, offset + 1, limit);
    int valueOffset = (int) decoded[1];
    if (decoded[0] > limit - valueOffset) {
      throw new IllegalArgumentException("DER element at offset " + offset + " overruns its input");
    }
    return new Element(source, tag, valueOffset, (int) decoded[0]);
  }

  /** Reads exactly one element spanning all of {@code source}. */
  static Element readSingle(byte[] source) {
    Element e = read(source, 0, source.length);
    if (e.end() != source.length) {
      throw new IllegalArgumentException(
          (source.length - e.end()) + " trailing bytes after the DER element");
    }
    return e;
  }

  /**
   * Decodes the length octets at {@code offset}; returns {length, offset of the contents}.
   * Rejects the encodings DER forbids (indefinite, non-minimal) so round trips are exact.
   */
  static long[] decodeLength(byte[] source, int offset, int limit) {
    if (offset >= limit) {
      throw new IllegalArgumentException("truncated DER length");
    }
    int first = source[offset] & 0xFF;
    if (first < 0x80) {
      return new long[] {first, offset + 1};
    }
    int n = first & 0x7F;
    if (n == 0) {
      throw new IllegalArgumentException("indefinite length is not DER");
    }
    if (n > 4) {
      throw new IllegalArgumentException("DER length of " + n + " bytes is too long");
    }
    if (offset + 1 + n > limit) {
      throw new IllegalArgumentException("truncated DER length");
    }
    long length = 0;
    for (int i = 0; i < n; i++) {
      length = (length << 8) | (source[offset + 1 + i] & 0xFF);
    }
    if (length < 0x80 || (source[offset + 1] & 0xFF) == 0) {
      throw new IllegalArgumentException("non-minimal DER length");
    }
    if (length > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("DER length too large");
    }
    return new long[] {length, offset + 1 + n};
  }

  /** The dotted form of an OBJECT IDENTIFIER element. */
  static String oidToString(Element e) {
    if (e.tag() != TAG_OID || e.valueLength() == 0) {
      throw new IllegalArgumentException("not an OBJECT IDENTIFIER");
    }
    StringBuilder sb = new StringBuilder();
    long arc = 0;
    boolean firstArc = true;
    for (int i = e.valueOffset(); i < e.end(); i++) {
      int b = e.source()[i] & 0xFF;
      if (arc > (Long.MAX_VALUE >>> 7)) {
        throw new IllegalArgumentException("OID arc too large");
      }
      arc = (arc << 7) | (b & 0x7F);
      if ((b & 0x80) == 0) {
        if (firstArc) {
          long top = Math.min(arc / 40, 2);
          sb.append(top).append('.').append(arc - top * 40);
          firstArc = false;
        } else {
          sb.append('.').append(arc);
        }
        arc = 0;
      }
    }
    if (firstArc || (e.source()[e.end() - 1] & 0x80) != 0) {
      throw new IllegalArgumentException("truncated OBJECT IDENTIFIER");
    }
    return sb.toString();
  }
}
