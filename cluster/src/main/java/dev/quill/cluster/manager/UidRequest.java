package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;

/**
 * A request for {@code count} new UIDs (and as many MODSEQs) in one mailbox of one user.
 *
 * <pre>
 * string user   string mailbox   varint count (1..MAX_COUNT)
 * </pre>
 */
public record UidRequest(String user, String mailbox, int count) {
  /** Most UIDs one request may take (a delivery asks for one per recipient mailbox, an APPEND batch a few). */
  public static final int MAX_COUNT = 10_000;

  public UidRequest {
    if (count < 1 || count > MAX_COUNT) {
      throw new IllegalArgumentException("UID count " + count + " is outside 1.." + MAX_COUNT);
    }
  }

  static final Codec<UidRequest> CODEC = Codec.of(
      (out, r) -> out.writeString(r.user()).writeString(r.mailbox()).writeVarInt(r.count()),
      in -> {
        String user = in.readString(Wire.MAX_USER);
        String mailbox = in.readString(Wire.MAX_MAILBOX);
        int count = in.readVarInt();
        if (count < 1 || count > MAX_COUNT) {
          throw new WireException("UID count " + count + " is outside 1.." + MAX_COUNT);
        }
        return new UidRequest(user, mailbox, count);
      });
}
