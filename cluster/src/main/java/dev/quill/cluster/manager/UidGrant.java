package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import java.util.List;

/**
 * UIDs {@code firstUid .. firstUid + count - 1} and MODSEQs {@code firstModSeq .. firstModSeq + count - 1}
 * of a mailbox, given to one caller: message i of the batch takes the i-th of each. A UID that is
 * never stored is a gap, never given again. {@code fragmentNodes} are the nodes that held a fragment
 * of the mailbox when the UIDs were given (empty for a mailbox's first delivery). {@code watched}:
 * whether some node's sessions watch the user, so the new messages are worth a change notice.
 *
 * <pre>
 * string mailbox   varint UIDVALIDITY   varint first UID   varint count   varint first MODSEQ
 * varint n + strings: fragment nodes   boolean watched (version 2)   fence (version 3, {@link Fence})
 * </pre>
 *
 * @param fence the manager and view that gave the UIDs: the storing nodes check it ({@link Fencing})
 */
public record UidGrant(String mailbox, long uidValidity, long firstUid, int count, long firstModSeq,
    List<String> fragmentNodes, boolean watched, Fence fence) {
  public UidGrant {
    fragmentNodes = List.copyOf(fragmentNodes);
  }

  /** A grant for a user no node watches, not fenced yet. */
  public UidGrant(String mailbox, long uidValidity, long firstUid, int count, long firstModSeq,
      List<String> fragmentNodes) {
    this(mailbox, uidValidity, firstUid, count, firstModSeq, fragmentNodes, false, Fence.NONE);
  }

  /** This grant given under {@code f}. */
  UidGrant fenced(Fence f) {
    return new UidGrant(mailbox, uidValidity, firstUid, count, firstModSeq, fragmentNodes, watched, f);
  }

  /** The highest UID of the grant. */
  public long lastUid() {
    return firstUid + count - 1;
  }

  static final Codec<UidGrant> CODEC = Codec.of(
      (out, g) -> {
        out.writeString(g.mailbox()).writeVarLong(g.uidValidity()).writeVarLong(g.firstUid()).writeVarInt(g.count())
            .writeVarLong(g.firstModSeq());
        Wire.writeNames(out, g.fragmentNodes());
        out.writeBoolean(g.watched());
        Fence.CODEC.write(out, g.fence());
      },
      in -> new UidGrant(in.readString(Wire.MAX_MAILBOX), Wire.readUint32(in, "UIDVALIDITY"),
          Wire.readUint32(in, "first UID"), in.readVarInt(), Wire.readNonNegative(in, "first MODSEQ"),
          Wire.readNames(in, "fragment nodes"), in.readBoolean(), Fence.CODEC.read(in)));
}
