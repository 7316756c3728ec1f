package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;

/**
 * Tells a user's manager that {@code node} created a fragment of a mailbox with {@code uidValidity}
 * (IMAP CREATE, a new user's default mailboxes), so that the mail map holds it before its first
 * delivery and its UIDs continue in that UIDVALIDITY.
 *
 * <pre>
 * string user   string mailbox   varint UIDVALIDITY (1 .. 2^32-1)   string node
 * </pre>
 */
public record CreatedMailbox(String user, String mailbox, long uidValidity, String node) {
  public CreatedMailbox {
    if (uidValidity < 1 || uidValidity > 0xffff_ffffL) {
      throw new IllegalArgumentException("UIDVALIDITY " + uidValidity + " is outside 1..4294967295");
    }
  }

  static final Codec<CreatedMailbox> CODEC = Codec.of(
      (out, c) -> out.writeString(c.user()).writeString(c.mailbox()).writeVarLong(c.uidValidity())
          .writeString(c.node()),
      in -> {
        String user = in.readString(Wire.MAX_USER);
        String mailbox = in.readString(Wire.MAX_MAILBOX);
        long uidValidity = Wire.readUint32(in, "UIDVALIDITY");
        if (uidValidity == 0) {
          throw new WireException("UIDVALIDITY 0 is not a valid IMAP UIDVALIDITY");
        }
        return new CreatedMailbox(user, mailbox, uidValidity, in.readString(Wire.MAX_NAME));
      });
}
