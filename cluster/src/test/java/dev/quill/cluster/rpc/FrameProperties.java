package dev.quill.cluster.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.management.ManagementFactory;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

class FrameProperties {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  @Provide
  Arbitrary<Frame> frames() {
    return Combinators.combine(
        Arbitraries.of(Frame.Kind.class),
        Arbitraries.longs(),
        Arbitraries.integers().between(1, Frame.MAX_TYPE_ID),
        Arbitraries.integers().between(1, Frame.MAX_TYPE_VERSION),
        Arbitraries.bytes().array(byte[].class).ofMaxSize(200)).as(Frame::new);
  }

  @Property
  void frame_roundTrips(@ForAll("frames") Frame frame) throws WireException {
    Frame back = Frame.decode(frame.encode());
    assertThat(back.kind()).isEqualTo(frame.kind());
    assertThat(back.correlationId()).isEqualTo(frame.correlationId());
    assertThat(back.typeId()).isEqualTo(frame.typeId());
    assertThat(back.typeVersion()).isEqualTo(frame.typeVersion());
    assertThat(back.payload()).isEqualTo(frame.payload());
  }

  /** Any bytes at all: a frame or WireException, never another exception, never a large allocation. */
  @Property(tries = 2000)
  void arbitraryBytes_decodeOrWireException(@ForAll @Size(max = 300) byte[] input) {
    decodeWithinAllocationBound(input);
  }

  /** The same, with a valid header so that the decoder gets past the magic and version. */
  @Property(tries = 2000)
  void arbitraryBytesAfterAValidHeader_decodeOrWireException(@ForAll @Size(max = 300) byte[] tail) {
    byte[] input = new byte[tail.length + 2];
    input[0] = (byte) Frame.MAGIC;
    input[1] = Frame.VERSION;
    System.arraycopy(tail, 0, input, 2, tail.length);
    decodeWithinAllocationBound(input);
  }

  @Property
  void everyTruncation_isRejected(@ForAll("frames") Frame frame, @ForAll @IntRange(min = 0, max = 10_000) int cut) {
    byte[] bytes = frame.encode();
    int length = cut % bytes.length;
    assertThatThrownBy(() -> Frame.decode(bytes, 0, length)).isInstanceOf(WireException.class);
  }

  /** CRC32C detects every error confined to 32 consecutive bits, so any one changed byte. */
  @Property
  void anyChangedByte_isRejected(@ForAll("frames") Frame frame, @ForAll @IntRange(min = 0) int where,
      @ForAll @IntRange(min = 1, max = 255) int flip) {
    byte[] bytes = frame.encode();
    bytes[where % bytes.length] ^= (byte) flip;
    assertThatThrownBy(() -> Frame.decode(bytes)).isInstanceOf(WireException.class);
  }

  @Property(tries = 200)
  void hostilePayloadLength_withAValidChecksum_isRejectedWithoutAllocating(
      @ForAll @IntRange(min = 1000, max = Integer.MAX_VALUE) int claimed) {
    // A well-formed header whose length field lies, sealed with a correct checksum.
    WireWriter out = new WireWriter();
    out.writeByte(Frame.MAGIC).writeByte(Frame.VERSION).writeByte(1).writeVarLong(7).writeVarInt(1).writeVarInt(1)
        .writeVarInt(claimed).writeRaw(new byte[20], 0, 20);
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(out.array(), 0, out.size());
    out.writeLong(crc.getValue() << 32);
    byte[] bytes = java.util.Arrays.copyOf(out.toByteArray(), out.size() - 4);
    decodeWithinAllocationBound(bytes);
    assertThatThrownBy(() -> Frame.decode(bytes)).isInstanceOf(WireException.class);
  }

  private static void decodeWithinAllocationBound(byte[] input) {
    long before = THREADS.getCurrentThreadAllocatedBytes();
    try {
      Frame.decode(input);
    } catch (WireException expected) {
      // the decoder's own, declared failure
    }
    long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
    // The payload copy is at most the input; the rest is a few small objects and exception text.
    assertThat(allocated).isLessThan(2L * input.length + 64 * 1024);
  }
}
