package dev.quill.cluster.rpc;

/** Codecs of the simplest bodies, for types whose request or response is one value or none. */
public final class Codecs {
  /** Longest string a one-string body may hold. */
  public static final int MAX_STRING = 1 << 20;

  private Codecs() {}

  /** No body at all (an acknowledgement); reads as {@code null}. */
  public static final Codec<Void> EMPTY = Codec.of((out, value) -> {}, in -> null);

  /** One boolean. */
  public static final Codec<Boolean> BOOLEAN = Codec.of(WireWriter::writeBoolean, WireReader::readBoolean);

  public static final Codec<String> STRING = Codec.of(WireWriter::writeString, in -> in.readString(MAX_STRING));

  public static final Codec<Long> VAR_LONG = Codec.of(WireWriter::writeSignedVarLong, WireReader::readSignedVarLong);

  public static final Codec<byte[]> BYTES = Codec.of(WireWriter::writeBytes, in -> in.readBytes(Frame.MAX_PAYLOAD));

  /** A list of strings: its length (at most {@code maxCount}), then each string (at most {@code maxBytes} bytes). */
  public static Codec<java.util.List<String>> strings(int maxCount, int maxBytes) {
    return Codec.of(
        (out, list) -> {
          out.writeVarInt(list.size());
          list.forEach(out::writeString);
        },
        in -> {
          int n = in.readLength(maxCount, "strings");
          java.util.List<String> list = new java.util.ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            list.add(in.readString(maxBytes));
          }
          return list;
        });
  }
}
