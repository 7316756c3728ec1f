package dev.quill.mail.imap.codec;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;

/**
 * An IMAP sequence-set (RFC 9051 §9 {@code sequence-set}): ranges of message sequence numbers or
 * UIDs, where {@code *} stands for the largest number in use ({@link #STAR}).
 */
public record SequenceSet(List<Range> ranges) {

  /** The value of {@code *} before it is resolved against a mailbox. */
  public static final long STAR = Long.MAX_VALUE;

  /** One range, ends inclusive and in either order as sent ({@code 4:2} is {@code 2:4}). */
  public record Range(long from, long to) {
    /** The lower end, with {@code *} resolved to {@code max}. */
    public long low(long max) {
      return Math.min(resolve(from, max), resolve(to, max));
    }

    /** The upper end, with {@code *} resolved to {@code max}. */
    public long high(long max) {
      return Math.max(resolve(from, max), resolve(to, max));
    }

    private static long resolve(long v, long max) {
      return v == STAR ? max : v;
    }
  }

  public SequenceSet {
    ranges = List.copyOf(ranges);
  }

  /** Whether {@code n} is in the set, {@code *} meaning {@code max}. */
  public boolean contains(long n, long max) {
    for (Range r : ranges) {
      if (n >= r.low(max) && n <= r.high(max)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The compact form of a set of numbers ({@code 1:3,7,9:10}), for ESEARCH ALL, COPYUID, APPENDUID
   * and VANISHED; keeps the order of {@code numbers} when {@code sorted} is false (COPYUID pairs).
   */
  public static String format(Collection<Long> numbers, boolean sorted) {
    List<Long> list = sorted ? new ArrayList<>(new TreeSet<>(numbers)) : new ArrayList<>(numbers);
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (i < list.size()) {
      long start = list.get(i);
      int j = i;
      while (j + 1 < list.size() && list.get(j + 1) == list.get(j) + 1) {
        j++;
      }
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(start);
      if (j > i) {
        b.append(':').append(list.get(j));
      }
      i = j + 1;
    }
    return b.toString();
  }
}
