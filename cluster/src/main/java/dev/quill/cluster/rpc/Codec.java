package dev.quill.cluster.rpc;

/** Writes and reads one message body; a codec knows one version of one type's layout. */
public interface Codec<T> {
  void write(WireWriter out, T value);

  /** Reads a value; the caller checks that nothing is left over. */
  T read(WireReader in) throws WireException;

  /** Reads a value from a byte body: a functional reader, for codecs written as two lambdas. */
  @FunctionalInterface
  interface Reader<T> {
    T read(WireReader in) throws WireException;
  }

  /** A writer function for {@link #of}. */
  @FunctionalInterface
  interface Writer<T> {
    void write(WireWriter out, T value);
  }

  static <T> Codec<T> of(Writer<T> writer, Reader<T> reader) {
    return new Codec<>() {
      @Override
      public void write(WireWriter out, T value) {
        writer.write(out, value);
      }

      @Override
      public T read(WireReader in) throws WireException {
        return reader.read(in);
      }
    };
  }
}
