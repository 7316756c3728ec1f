package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.mail.RebalanceCodecs.MoveRequest;
import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The bodies of {@link Rebalancer}'s requests: every value round-trips, and no input breaks a decoder. */
class RebalanceCodecsProperties {

  /** One codec with a value it should carry. */
  record Sample(String name, Codec<Object> codec, Object value) {
    @Override
    public String toString() {
      return name + ": " + value;
    }
  }

  static Arbitrary<String> text(int maxLength) {
    return Arbitraries.integers().between(0, Character.MAX_CODE_POINT)
        .filter(cp -> cp < Character.MIN_SURROGATE || cp > Character.MAX_SURROGATE)
        .list().ofMaxSize(maxLength)
        .map(cps -> cps.stream().collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
            .toString());
  }

  static Arbitrary<MoveRequest> moves() {
    Arbitrary<Double> fractions = Arbitraries.oneOf(List.of(Arbitraries.doubles().between(0, false, 1, true)
        .filter(f -> f > 0), Arbitraries.of(1.0, Double.MIN_VALUE, 0.25, 1.0 / 3)));
    return Combinators.combine(text(30), text(30), fractions).as(MoveRequest::new);
  }

  static Arbitrary<RebalanceProgress> progress() {
    Arbitrary<int[]> counts = Arbitraries.integers().greaterOrEqual(0).array(int[].class).ofSize(3);
    Arbitrary<long[]> totals = Arbitraries.longs().greaterOrEqual(0).array(long[].class).ofSize(3);
    // errors up to past the limit: the record cuts them, and the cut value must still round-trip
    return Combinators.combine(text(20), text(20), text(20), Arbitraries.of(RebalanceProgress.State.class), counts,
        totals, text(RebalanceProgress.MAX_ERROR + 20))
        .as((node, run, target, state, c, t, error) -> new RebalanceProgress(node, run, target, state, c[0], c[1], c[2],
            t[0], t[1], t[2], error));
  }

  @SuppressWarnings("unchecked")
  static <T> Arbitrary<Sample> sample(String name, Codec<T> codec, Arbitrary<T> values) {
    return values.map(v -> new Sample(name, (Codec<Object>) codec, v));
  }

  @Provide
  Arbitrary<Sample> samples() {
    return Arbitraries.oneOf(List.of(sample("move", RebalanceCodecs.MOVE, moves()),
        sample("progress", RebalanceCodecs.PROGRESS, progress())));
  }

  @Provide
  Arbitrary<Codec<Object>> codecs() {
    return samples().map(Sample::codec);
  }

  private static byte[] encode(Sample s) {
    WireWriter out = new WireWriter();
    s.codec().write(out, s.value());
    return out.toByteArray();
  }

  private static Object decode(Codec<Object> codec, byte[] bytes) throws WireException {
    WireReader in = new WireReader(bytes);
    Object value = codec.read(in);
    in.expectEnd();
    return value;
  }

  @Property(tries = 2000)
  void everyValue_readsBackAsWritten(@ForAll("samples") Sample s) throws WireException {
    assertThat(decode(s.codec(), encode(s))).isEqualTo(s.value());
  }

  @Property(tries = 2000)
  void anyBytes_giveAValueOrAWireException(@ForAll("codecs") Codec<Object> codec, @ForAll @Size(max = 120) byte[] input) {
    try {
      decode(codec, input);
    } catch (WireException expected) {
      // the decoder's one declared failure
    }
  }

  /** A valid body with one byte changed or cut short: a value or a WireException, nothing else. */
  @Property(tries = 2000)
  void damagedBodies_giveAValueOrAWireException(@ForAll("samples") Sample s, @ForAll @IntRange(min = 0) int where,
      @ForAll byte replacement, @ForAll boolean truncate) {
    byte[] bytes = encode(s);
    int at = where % bytes.length;
    byte[] damaged = truncate ? Arrays.copyOf(bytes, at) : bytes.clone();
    if (!truncate) {
      damaged[at] = replacement;
    }
    try {
      decode(s.codec(), damaged);
    } catch (WireException expected) {
      // the decoder's one declared failure
    }
  }

  @Example
  void fractionOutsideZeroToOne_refused() {
    for (double bad : new double[] {0, -0.5, 1.5, Double.NaN, Double.POSITIVE_INFINITY}) {
      byte[] body = new WireWriter().writeString("r").writeString("n4").writeDouble(bad).toByteArray();
      assertThatThrownBy(() -> decode(castMove(), body)).isInstanceOf(WireException.class)
          .hasMessageContaining("outside (0, 1]");
    }
  }

  @Example
  void unknownState_refused() {
    byte[] body = new WireWriter().writeString("n1").writeString("r").writeString("n4").writeByte(3).toByteArray();
    assertThatThrownBy(() -> decode(castProgress(), body)).isInstanceOf(WireException.class)
        .hasMessageContaining("state 3");
  }

  @Example
  void longError_isCutWithoutSplittingASurrogatePair() {
    String error = "x".repeat(RebalanceProgress.MAX_ERROR - 1) + "\uD83D\uDCEC" + "tail";
    RebalanceProgress p = new RebalanceProgress("n1", "r", "n4", RebalanceProgress.State.DONE, 1, 0, 1, 5, 0, 0, error);
    assertThat(p.error()).hasSize(RebalanceProgress.MAX_ERROR - 1);
  }

  @SuppressWarnings("unchecked")
  private static Codec<Object> castMove() {
    return (Codec<Object>) (Codec<?>) RebalanceCodecs.MOVE;
  }

  @SuppressWarnings("unchecked")
  private static Codec<Object> castProgress() {
    return (Codec<Object>) (Codec<?>) RebalanceCodecs.PROGRESS;
  }
}
