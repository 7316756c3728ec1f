package dev.quill.cluster.mail;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import java.util.Objects;

/**
 * The bodies of {@link Rebalancer}'s requests (both version 1).
 *
 * <pre>
 * REBALANCE_MOVE    request  string run, string target, double fraction (IEEE 754 bits, big-endian; 0 &lt; f &lt;= 1)
 *                   answer   none
 * REBALANCE_STATUS  request  none
 *                   answer   string node, string run, string target, byte state (0 IDLE, 1 RUNNING, 2 DONE),
 *                            varint fragments planned, moved, failed, varint messages planned, messages moved,
 *                            bytes moved, string error
 * </pre>
 *
 * Names (node, run, target) are at most 1,024 UTF-8 bytes and the error at most 1,200; counts are
 * non-negative. Anything else is a {@link WireException}.
 */
final class RebalanceCodecs {
  /** Longest node name or run id, in UTF-8 bytes (node names are at most 200 characters). */
  static final int MAX_NAME = 1024;
  /** Longest error, in UTF-8 bytes: {@link RebalanceProgress#MAX_ERROR} characters of up to 4 bytes. */
  static final int MAX_ERROR = 4 * RebalanceProgress.MAX_ERROR;

  private RebalanceCodecs() {}

  /** {@code REBALANCE_MOVE}: move about {@code fraction} of this node's messages to {@code target}. */
  record MoveRequest(String run, String target, double fraction) {
    MoveRequest {
      Objects.requireNonNull(run, "run");
      Objects.requireNonNull(target, "target");
      if (!(fraction > 0 && fraction <= 1)) {
        throw new IllegalArgumentException("fraction " + fraction + " is outside (0, 1]");
      }
    }
  }

  static final Codec<MoveRequest> MOVE = Codec.of(
      (out, r) -> out.writeString(r.run()).writeString(r.target()).writeDouble(r.fraction()),
      in -> {
        String run = in.readString(MAX_NAME);
        String target = in.readString(MAX_NAME);
        double fraction = in.readDouble();
        if (!(fraction > 0 && fraction <= 1)) {
          throw new WireException("rebalance fraction " + fraction + " is outside (0, 1]");
        }
        return new MoveRequest(run, target, fraction);
      });

  static final Codec<RebalanceProgress> PROGRESS = Codec.of(RebalanceCodecs::write, RebalanceCodecs::read);

  private static void write(WireWriter out, RebalanceProgress p) {
    out.writeString(p.node()).writeString(p.run()).writeString(p.target()).writeByte(p.state().ordinal());
    out.writeVarInt(p.fragmentsPlanned()).writeVarInt(p.fragmentsMoved()).writeVarInt(p.fragmentsFailed());
    out.writeVarLong(p.messagesPlanned()).writeVarLong(p.messagesMoved()).writeVarLong(p.bytesMoved());
    out.writeString(p.error());
  }

  private static RebalanceProgress read(WireReader in) throws WireException {
    String node = in.readString(MAX_NAME);
    String run = in.readString(MAX_NAME);
    String target = in.readString(MAX_NAME);
    int state = in.readByte();
    if (state >= RebalanceProgress.State.values().length) {
      throw new WireException("rebalance state " + state + " is not 0..2");
    }
    int planned = in.readVarInt();
    int moved = in.readVarInt();
    int failed = in.readVarInt();
    long messagesPlanned = nonNegative(in, "messages planned");
    long messagesMoved = nonNegative(in, "messages moved");
    long bytesMoved = nonNegative(in, "bytes moved");
    String error = in.readString(MAX_ERROR);
    return new RebalanceProgress(node, run, target, RebalanceProgress.State.values()[state], planned, moved, failed,
        messagesPlanned, messagesMoved, bytesMoved, error);
  }

  private static long nonNegative(WireReader in, String what) throws WireException {
    long value = in.readVarLong();
    if (value < 0) {
      throw new WireException(what + " " + Long.toUnsignedString(value) + " exceeds " + Long.MAX_VALUE);
    }
    return value;
  }
}
