package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import java.util.Optional;
import java.util.Set;

/**
 * A manager asks the node holding a user's profile to make durable that UIDs up to {@code uid} and
 * MODSEQs up to {@code modSeq} of the mailbox may be given out under {@code uidValidity}, and that
 * every node in {@code holders} may hold messages of it ({@code MailStore.reserveWatermarks}), so
 * that every later manager of the user hears of them.
 *
 * <pre>
 * string user   string mailbox   varint UIDVALIDITY (1 .. 2^32-1)   varint UID (0 .. 2^32-1)   varint MODSEQ
 * (version 2) varint 0 when no holders are recorded, else holders + 1, then that many node names
 * </pre>
 */
public record ReservedWatermarks(String user, String mailbox, long uidValidity, long uid, long modSeq,
    Optional<Set<String>> holders) {
  /** A reservation that records no holders. */
  public ReservedWatermarks(String user, String mailbox, long uidValidity, long uid, long modSeq) {
    this(user, mailbox, uidValidity, uid, modSeq, Optional.empty());
  }

  public ReservedWatermarks {
    holders = holders.map(Set::copyOf);
    if (uidValidity < 1 || uidValidity > 0xffff_ffffL || uid < 0 || uid > 0xffff_ffffL || modSeq < 0) {
      throw new IllegalArgumentException("reservation of UIDVALIDITY " + uidValidity + ", UID " + uid + ", MODSEQ "
          + modSeq + " is out of range");
    }
  }

  static final Codec<ReservedWatermarks> CODEC = Codec.of(
      (out, r) -> {
        out.writeString(r.user()).writeString(r.mailbox()).writeVarLong(r.uidValidity()).writeVarLong(r.uid())
            .writeVarLong(r.modSeq());
        Wire.writeOptionalNames(out, r.holders());
      },
      in -> {
        String user = in.readString(Wire.MAX_USER);
        String mailbox = in.readString(Wire.MAX_MAILBOX);
        long uidValidity = Wire.readUint32(in, "UIDVALIDITY");
        if (uidValidity == 0) {
          throw new WireException("UIDVALIDITY 0 is not a valid IMAP UIDVALIDITY");
        }
        return new ReservedWatermarks(user, mailbox, uidValidity, Wire.readUint32(in, "reserved UID"),
            Wire.readNonNegative(in, "reserved MODSEQ"), Wire.readOptionalNames(in, "holder"));
      });
}
