package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import java.util.List;

/**
 * One MODSEQ of a mailbox, above every MODSEQ known or given in it (appends included), for a flag
 * change or an expunge on its fragments. A MODSEQ given but never used is a gap, never given again.
 *
 * <pre>
 * varint UIDVALIDITY   varint MODSEQ   varint n + strings: fragment nodes   fence (version 2, {@link Fence})
 * </pre>
 *
 * @param uidValidity the mailbox's UIDVALIDITY at the manager; a fragment with another one is not this mailbox
 * @param fragmentNodes the nodes holding a fragment of the mailbox when the MODSEQ was given
 * @param fence the manager and view that gave the MODSEQ: the changed nodes check it ({@link Fencing})
 */
public record ModSeqGrant(long uidValidity, long modSeq, List<String> fragmentNodes, Fence fence) {
  public ModSeqGrant {
    fragmentNodes = List.copyOf(fragmentNodes);
  }

  /** A MODSEQ not fenced yet. */
  public ModSeqGrant(long uidValidity, long modSeq, List<String> fragmentNodes) {
    this(uidValidity, modSeq, fragmentNodes, Fence.NONE);
  }

  /** This grant given under {@code f}. */
  ModSeqGrant fenced(Fence f) {
    return new ModSeqGrant(uidValidity, modSeq, fragmentNodes, f);
  }

  static final Codec<ModSeqGrant> CODEC = Codec.of(
      (out, g) -> {
        out.writeVarLong(g.uidValidity()).writeVarLong(g.modSeq());
        Wire.writeNames(out, g.fragmentNodes());
        Fence.CODEC.write(out, g.fence());
      },
      in -> new ModSeqGrant(Wire.readUint32(in, "UIDVALIDITY"), Wire.readNonNegative(in, "MODSEQ"),
          Wire.readNames(in, "fragment nodes"), Fence.CODEC.read(in)));
}
