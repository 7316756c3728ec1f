package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;

/**
 * The calling node takes ({@code lock}) or gives back a user's POP3 maildrop lock at the user's
 * manager, for one session named by {@code token} (unique on the calling node). RFC 1939 section 4
 * gives one session at a time the maildrop; across a cluster the manager decides which.
 *
 * <pre>
 * boolean lock   string user   varint token (non-negative)
 * </pre>
 */
public record MaildropLockRequest(String user, long token, boolean lock) {
  public MaildropLockRequest {
    if (token < 0) {
      throw new IllegalArgumentException("maildrop lock token " + token + " is negative");
    }
  }

  static final Codec<MaildropLockRequest> CODEC = Codec.of(
      (out, r) -> out.writeBoolean(r.lock()).writeString(r.user()).writeVarLong(r.token()),
      in -> {
        boolean lock = in.readBoolean();
        String user = in.readString(Wire.MAX_USER);
        long token = in.readVarLong();
        if (token < 0) {
          throw new WireException("maildrop lock token " + token + " is negative");
        }
        return new MaildropLockRequest(user, token, lock);
      });
}
