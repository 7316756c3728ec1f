package dev.quill.cluster.mail;

import dev.quill.store.MessageMeta;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits messages to copy between fragments into batches that one {@code FRAGMENT_LOAD} answer can
 * carry: at most {@link #MESSAGES} messages and {@link #BYTES} bytes each (a single larger message is a
 * batch of its own, still under the frame's limit for any message the store takes).
 */
final class CopyBatches {
  /** Messages per batch: loaded together, stored by as many calls in flight. */
  static final int MESSAGES = 64;
  /** Bytes per batch at most. */
  static final long BYTES = 16L << 20;

  private CopyBatches() {}

  /** The UIDs of {@code messages}, in their order, cut into batches. */
  static List<List<Long>> of(List<MessageMeta> messages) {
    List<List<Long>> batches = new ArrayList<>();
    List<Long> batch = new ArrayList<>();
    long bytes = 0;
    for (MessageMeta m : messages) {
      if (!batch.isEmpty() && (batch.size() == MESSAGES || bytes + m.size() > BYTES)) {
        batches.add(batch);
        batch = new ArrayList<>();
        bytes = 0;
      }
      batch.add(m.uid());
      bytes += m.size();
    }
    if (!batch.isEmpty()) {
      batches.add(batch);
    }
    return batches;
  }
}
