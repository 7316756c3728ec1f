package dev.quill.store;

/**
 * A range of {@link UserHash} values, {@code [from, toExclusive)}, both read as unsigned 64-bit
 * numbers. The end of the hash space, 2^64, does not fit in a long and is written as 0: so
 * {@code toExclusive == 0} means "to the end", and {@code new HashRange(0, 0)} is every hash.
 * Otherwise {@code from} must not be above {@code toExclusive}.
 */
public record HashRange(long from, long toExclusive) {
  /** Every hash. */
  public static final HashRange ALL = new HashRange(0, 0);

  public HashRange {
    if (toExclusive != 0 && Long.compareUnsigned(from, toExclusive) > 0) {
      throw new IllegalArgumentException("hash range start " + Long.toUnsignedString(from)
          + " is above its end " + Long.toUnsignedString(toExclusive));
    }
  }

  /** Whether {@code hash} lies in this range. */
  public boolean contains(long hash) {
    return Long.compareUnsigned(hash, from) >= 0 && (toExclusive == 0 || Long.compareUnsigned(hash, toExclusive) < 0);
  }

  @Override
  public String toString() {
    return "[" + Long.toUnsignedString(from) + ", " + (toExclusive == 0 ? "2^64" : Long.toUnsignedString(toExclusive)) + ")";
  }
}
