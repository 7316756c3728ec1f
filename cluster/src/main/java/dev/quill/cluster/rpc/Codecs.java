package dev.quill.cluster.rpc;

/** Codecs of the simplest bodies, for types whose request or response is one value or none. */
public final class Codecs {
  /** Longest string a one-string body may hold. */
  public static final int MAX_STRING = 1 << 20;

  private Codecs() {}

  /** No body at all (an acknowledgement); reads as {@code null}. */
  public static final Codec<Void> EMPTY = Codec.of((out, value) -> {}, in -> null);

  public static final Codec<String> STRING = Codec.of(WireWriter::writeString, in -> in.readString(MAX_STRING));

  public static final Codec<Long> VAR_LONG = Codec.of(WireWriter::writeSignedVarLong, WireReader::readSignedVarLong);

  public static final Codec<byte[]> BYTES = Codec.of(WireWriter::writeBytes, in -> in.readBytes(Frame.MAX_PAYLOAD));
}
