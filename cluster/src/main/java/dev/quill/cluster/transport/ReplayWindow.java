package dev.quill.cluster.transport;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The sequence numbers one sender node's messages already used, so that a captured message played
 * again is refused. Each run of the sender picks a random incarnation and counts from 1, so there is
 * one sliding window of {@link #WIDTH} numbers per incarnation: a restarted node is accepted at once,
 * and for a moment two runs may both be live (a restart before the old run is excluded, or two
 * processes given one name). The oldest runs are forgotten beyond {@link #LIVE_RUNS} and then refused.
 */
final class ReplayWindow {
  static final int WIDTH = 1024;
  private static final int LIVE_RUNS = 4;
  /** Forgotten runs still refused; older ones are dead once the key they used retires. */
  private static final int DEAD_RUNS = 64;

  private final Map<Long, Run> live = new LinkedHashMap<>();
  private final ArrayDeque<Long> dead = new ArrayDeque<>();

  /** Records {@code sequence} of run {@code incarnation}; false if it was seen, is too old, or the run is forgotten. */
  synchronized boolean accept(long incarnation, long sequence) {
    if (sequence <= 0) {
      return false;
    }
    Run run = live.get(incarnation);
    if (run == null) {
      if (dead.contains(incarnation)) {
        return false;
      }
      run = new Run();
      live.put(incarnation, run);
      if (live.size() > LIVE_RUNS) {
        Iterator<Long> oldest = live.keySet().iterator();
        dead.addLast(oldest.next());
        oldest.remove();
        if (dead.size() > DEAD_RUNS) {
          dead.removeFirst();
        }
      }
    }
    return run.accept(sequence);
  }

  /** One run's window: the highest number seen and a bitmap of the {@link #WIDTH} below it. */
  private static final class Run {
    private long highest;
    private final long[] seen = new long[WIDTH / 64];

    boolean accept(long sequence) {
      if (sequence > highest) {
        if (sequence - highest >= WIDTH) {
          Arrays.fill(seen, 0);
        } else {
          for (long s = highest + 1; s < sequence; s++) {
            flip(s, false);
          }
        }
        highest = sequence;
        flip(sequence, true);
        return true;
      }
      if (highest - sequence >= WIDTH || isSet(sequence)) {
        return false;
      }
      flip(sequence, true);
      return true;
    }

    private void flip(long s, boolean on) {
      int bit = (int) (s % WIDTH);
      if (on) {
        seen[bit >>> 6] |= 1L << (bit & 63);
      } else {
        seen[bit >>> 6] &= ~(1L << (bit & 63));
      }
    }

    private boolean isSet(long s) {
      int bit = (int) (s % WIDTH);
      return (seen[bit >>> 6] & (1L << (bit & 63))) != 0;
    }
  }
}
