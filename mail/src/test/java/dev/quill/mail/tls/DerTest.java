package dev.quill.mail.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HexFormat;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

class DerTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void lengthsHaveTheirKnownDerForms() {
    assertThat(HEX.formatHex(Der.encodeLength(0))).isEqualTo("00");
    assertThat(HEX.formatHex(Der.encodeLength(127))).isEqualTo("7f");
    assertThat(HEX.formatHex(Der.encodeLength(128))).isEqualTo("8180");
    assertThat(HEX.formatHex(Der.encodeLength(255))).isEqualTo("81ff");
    assertThat(HEX.formatHex(Der.encodeLength(256))).isEqualTo("820100");
    assertThat(HEX.formatHex(Der.encodeLength(65535))).isEqualTo("82ffff");
    assertThat(HEX.formatHex(Der.encodeLength(65536))).isEqualTo("83010000");
    assertThat(HEX.formatHex(Der.encodeLength(1 << 24))).isEqualTo("8401000000");
  }

  @Property(tries = 2000)
  void lengthRoundTrips(@ForAll("lengths") int length) {
    byte[] encoded = Der.encodeLength(length);
    long[] decoded = Der.decodeLength(encoded, 0, encoded.length);
    assertThat(decoded[0]).isEqualTo(length);
    assertThat(decoded[1]).isEqualTo(encoded.length); // consumed every octet, no more
    // Minimal: short form below 128, otherwise exactly as many bytes as the value needs.
    int expectedSize = length < 128 ? 1 : 1 + (32 - Integer.numberOfLeadingZeros(length) + 7) / 8;
    assertThat(encoded).hasSize(expectedSize);
  }

  /** Edges of every length-of-length step are the likely bugs, so they are drawn often. */
  @Provide
  Arbitrary<Integer> lengths() {
    return Arbitraries.oneOf(
        Arbitraries.integers().between(0, 1 << 24),
        Arbitraries.of(0, 1, 127, 128, 129, 255, 256, 257, 65535, 65536, 65537,
            (1 << 24) - 1, 1 << 24));
  }

  @Property(tries = 300)
  void elementRoundTrips(@ForAll @IntRange(min = 0, max = 70_000) int size) {
    byte[] value = new byte[size];
    for (int i = 0; i < size; i++) {
      value[i] = (byte) i;
    }
    byte[] tlv = Der.octetString(value);
    Der.Element e = Der.readSingle(tlv);
    assertThat(e.tag()).isEqualTo(Der.TAG_OCTET_STRING);
    assertThat(e.value()).isEqualTo(value);
  }

  @Test
  void decoderRejectsWhatDerForbids() {
    assertThatThrownBy(() -> Der.decodeLength(HEX.parseHex("80"), 0, 1))
        .hasMessageContaining("indefinite");
    assertThatThrownBy(() -> Der.decodeLength(HEX.parseHex("817f"), 0, 2))
        .hasMessageContaining("non-minimal");
    assertThatThrownBy(() -> Der.decodeLength(HEX.parseHex("820080"), 0, 3))
        .hasMessageContaining("non-minimal");
    assertThatThrownBy(() -> Der.readSingle(HEX.parseHex("0405aabb")))
        .hasMessageContaining("overruns");
    assertThatThrownBy(() -> Der.readSingle(HEX.parseHex("0400ff")))
        .hasMessageContaining("trailing");
  }

  @Test
  void primitivesMatchKnownEncodings() {
    assertThat(HEX.formatHex(Der.oid("1.2.840.10045.4.3.2"))).isEqualTo("06082a8648ce3d040302");
    assertThat(HEX.formatHex(Der.oid("2.5.29.17"))).isEqualTo("0603551d11");
    assertThat(HEX.formatHex(Der.integer(0))).isEqualTo("020100");
    assertThat(HEX.formatHex(Der.integer(128))).isEqualTo("02020080");
    assertThat(HEX.formatHex(Der.integer(-1))).isEqualTo("0201ff");
    assertThat(HEX.formatHex(Der.nullValue())).isEqualTo("0500");
    assertThat(HEX.formatHex(Der.bool(true))).isEqualTo("0101ff");
    assertThat(HEX.formatHex(Der.bitString(new byte[] {(byte) 0x80}, 7))).isEqualTo("03020780");
    assertThat(HEX.formatHex(Der.explicit(0, Der.integer(2)))).isEqualTo("a003020102");
    assertThat(HEX.formatHex(Der.implicitPrimitive(7, new byte[] {127, 0, 0, 1})))
        .isEqualTo("87047f000001");
    assertThat(HEX.formatHex(Der.printableString("Quill"))).isEqualTo("13055175696c6c");
    // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
    assertThat(HEX.formatHex(Der.time(Instant.parse("2049-12-31T23:59:59.9Z"))))
        .isEqualTo("170d" + HEX.formatHex("491231235959Z".getBytes(StandardCharsets.US_ASCII)));
    assertThat(HEX.formatHex(Der.time(Instant.parse("2050-01-01T00:00:00Z"))))
        .isEqualTo("180f" + HEX.formatHex("20500101000000Z".getBytes(StandardCharsets.US_ASCII)));
  }

  @Property(tries = 500)
  void oidRoundTrips(@ForAll @IntRange(min = 0, max = 2) int first,
      @ForAll @IntRange(min = 0, max = 39) int second,
      @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int third,
      @ForAll @IntRange(min = 0, max = 200) int fourth) {
    String dotted = first + "." + second + "." + third + "." + fourth;
    assertThat(Der.oidToString(Der.readSingle(Der.oid(dotted)))).isEqualTo(dotted);
  }
}
