package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;

/**
 * A session claims a mailbox's messages up to {@code upTo} as {@code \Recent} (IMAP4rev1, RFC 3501
 * section 2.3.2) at the user's manager, so that each message is recent in one session of the whole
 * cluster; {@code upTo} 0 only asks how far the claims go (EXAMINE, STATUS). Answered with the
 * highest UID claimed before, under {@code uidValidity}.
 *
 * <pre>
 * string user   string mailbox   varint uidValidity   varint upTo
 * </pre>
 */
public record RecentClaim(String user, String mailbox, long uidValidity, long upTo) {
  public RecentClaim {
    if (uidValidity < 0 || upTo < 0) {
      throw new IllegalArgumentException("UIDVALIDITY " + uidValidity + " or UID " + upTo + " is negative");
    }
  }

  static final Codec<RecentClaim> CODEC = Codec.of(
      (out, r) -> out.writeString(r.user()).writeString(r.mailbox()).writeVarLong(r.uidValidity())
          .writeVarLong(r.upTo()),
      in -> {
        String user = in.readString(Wire.MAX_USER);
        String mailbox = in.readString(Wire.MAX_MAILBOX);
        long uidValidity = in.readVarLong();
        long upTo = in.readVarLong();
        if (uidValidity < 0 || upTo < 0) {
          throw new WireException("UIDVALIDITY " + uidValidity + " or UID " + upTo + " is negative");
        }
        return new RecentClaim(user, mailbox, uidValidity, upTo);
      });
}
