package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import java.util.List;

/**
 * One MODSEQ of a mailbox, above every MODSEQ known or given in it (appends included), for a flag
 * change or an expunge on its fragments. A MODSEQ given but never used is a gap, never given again.
 *
 * <pre>
 * varint UIDVALIDITY   varint MODSEQ   varint n + strings: fragment nodes
 * </pre>
 *
 * @param uidValidity the mailbox's UIDVALIDITY at the manager; a fragment with another one is not this mailbox
 * @param fragmentNodes the nodes holding a fragment of the mailbox when the MODSEQ was given
 */
public record ModSeqGrant(long uidValidity, long modSeq, List<String> fragmentNodes) {
  public ModSeqGrant {
    fragmentNodes = List.copyOf(fragmentNodes);
  }

  static final Codec<ModSeqGrant> CODEC = Codec.of(
      (out, g) -> {
        out.writeVarLong(g.uidValidity()).writeVarLong(g.modSeq());
        Wire.writeNames(out, g.fragmentNodes());
      },
      in -> new ModSeqGrant(Wire.readUint32(in, "UIDVALIDITY"), Wire.readNonNegative(in, "MODSEQ"),
          Wire.readNames(in, "fragment nodes")));
}
