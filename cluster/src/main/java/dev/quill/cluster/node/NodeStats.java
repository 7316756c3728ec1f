package dev.quill.cluster.node;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;

/**
 * What one node stores locally: its users, mailboxes (fragments), messages and bytes of mail. The
 * mail layer computes it; the cluster layer only carries it, so it does not depend on the store's
 * types.
 *
 * @param users user profiles held on this node
 * @param mailboxes mailbox records (fragments) held on this node
 * @param messages messages held on this node
 * @param bytes bytes of message data held on this node
 */
public record NodeStats(long users, long mailboxes, long messages, long bytes) {
  public NodeStats {
    if (users < 0 || mailboxes < 0 || messages < 0 || bytes < 0) {
      throw new IllegalArgumentException("negative count in " + users + "/" + mailboxes + "/" + messages + "/" + bytes);
    }
  }

  /** Wire body (version 1): four unsigned varints, in the order of the components. */
  static final Codec<NodeStats> CODEC = Codec.of(
      (out, s) -> out.writeVarLong(s.users()).writeVarLong(s.mailboxes()).writeVarLong(s.messages())
          .writeVarLong(s.bytes()),
      in -> {
        long users = in.readVarLong();
        long mailboxes = in.readVarLong();
        long messages = in.readVarLong();
        long bytes = in.readVarLong();
        if (users < 0 || mailboxes < 0 || messages < 0 || bytes < 0) {
          throw new WireException("negative count in NODE_STATS");
        }
        return new NodeStats(users, mailboxes, messages, bytes);
      });
}
