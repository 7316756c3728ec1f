package dev.quill.cluster.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class WireProperties {
  /** Valid Unicode strings (any code point, surrogate pairs included, no lone surrogates). */
  @Provide
  Arbitrary<String> unicode() {
    return Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
        .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
        .list().ofMaxSize(40)
        .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString());
  }

  @Property
  void everyValue_readsBackAsWritten(
      @ForAll long varLong, @ForAll long signed, @ForAll @IntRange(min = 0) int varInt, @ForAll long fixed,
      @ForAll double real, @ForAll boolean flag, @ForAll("unicode") String text, @ForAll @Size(max = 300) byte[] bytes,
      @ForAll byte single) throws WireException {
    WireWriter out = new WireWriter(1);
    out.writeVarLong(varLong).writeSignedVarLong(signed).writeVarInt(varInt).writeLong(fixed).writeDouble(real)
        .writeBoolean(flag).writeString(text).writeBytes(bytes).writeByte(single);
    WireReader in = new WireReader(out.toByteArray());
    assertThat(in.readVarLong()).isEqualTo(varLong);
    assertThat(in.readSignedVarLong()).isEqualTo(signed);
    assertThat(in.readVarInt()).isEqualTo(varInt);
    assertThat(in.readLong()).isEqualTo(fixed);
    assertThat(Double.doubleToRawLongBits(in.readDouble())).isEqualTo(Double.doubleToRawLongBits(real));
    assertThat(in.readBoolean()).isEqualTo(flag);
    assertThat(in.readString(1000)).isEqualTo(text);
    assertThat(in.readBytes(1000)).isEqualTo(bytes);
    assertThat((byte) in.readByte()).isEqualTo(single);
    in.expectEnd();
  }

  @Property
  void smallNumbers_stayShort(@ForAll @IntRange(min = -64, max = 63) int small) {
    assertThat(new WireWriter().writeSignedVarLong(small).size()).isEqualTo(1);
    assertThat(new WireWriter().writeVarInt(Math.abs(small)).size()).isEqualTo(1);
  }

  /** Whatever the bytes, every read either returns or throws WireException; nothing else escapes. */
  @Property
  void arbitraryBytes_readAnyWay_throwOnlyWireException(@ForAll @Size(max = 64) byte[] input,
      @ForAll @Size(max = 12) List<@IntRange(min = 0, max = 9) Integer> reads) {
    WireReader in = new WireReader(input);
    try {
      for (int read : reads) {
        switch (read) {
          case 0 -> in.readByte();
          case 1 -> in.readBoolean();
          case 2 -> in.readVarInt();
          case 3 -> in.readVarLong();
          case 4 -> in.readSignedVarLong();
          case 5 -> in.readLong();
          case 6 -> in.readDouble();
          case 7 -> in.readString(Integer.MAX_VALUE);
          case 8 -> in.readBytes(Integer.MAX_VALUE);
          default -> in.expectEnd();
        }
      }
    } catch (WireException expected) {
      // the reader's own, declared failure
    }
  }

  @Property
  void hostileLength_isRefusedBeforeAllocating(@ForAll @IntRange(min = 65, max = Integer.MAX_VALUE) int claimed) {
    byte[] input = new WireWriter().writeVarInt(claimed).writeRaw(new byte[64], 0, 64).toByteArray();
    assertThatThrownBy(() -> new WireReader(input).readBytes(Integer.MAX_VALUE))
        .isInstanceOf(WireException.class).hasMessageContaining("truncated");
    assertThatThrownBy(() -> new WireReader(input).readString(64))
        .isInstanceOf(WireException.class).hasMessageContaining("exceeds the maximum 64");
  }

  @Property
  void overlongVarint_isRefused(@ForAll @IntRange(min = 11, max = 20) int length) {
    byte[] input = new byte[length];
    java.util.Arrays.fill(input, (byte) 0x80);
    assertThatThrownBy(() -> new WireReader(input).readVarLong()).isInstanceOf(WireException.class);
  }

  @Property(tries = 50)
  void loneSurrogate_isRefusedByTheWriter(@ForAll @IntRange(min = 0xD800, max = 0xDFFF) int surrogate) {
    assertThatThrownBy(() -> new WireWriter().writeString("a" + (char) surrogate))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
