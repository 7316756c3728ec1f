package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;

/**
 * Who numbered a write: the manager that gave its UIDs or MODSEQ and the sequence of the view it
 * was the user's manager in. A storing node refuses a fenced write when, in a view at least that
 * recent, the user's manager is another node: the numbering manager was deposed ({@link Fencing}).
 * {@link #NONE} marks writes that copy numbers already given (catch-up, moves, anti-entropy).
 *
 * <pre>
 * string manager ("" for none)   varint view sequence
 * </pre>
 */
public record Fence(String manager, long viewSequence) {
  /** No fence: a copy of a message or change that was numbered and checked before. */
  public static final Fence NONE = new Fence("", 0);

  public Fence {
    if (viewSequence < 0) {
      throw new IllegalArgumentException("view sequence " + viewSequence + " is negative");
    }
  }

  public boolean none() {
    return manager.isEmpty();
  }

  public static final Codec<Fence> CODEC = Codec.of(
      (out, f) -> out.writeString(f.manager()).writeVarLong(f.viewSequence()),
      in -> new Fence(in.readString(Wire.MAX_NAME), Wire.readNonNegative(in, "view sequence")));
}
