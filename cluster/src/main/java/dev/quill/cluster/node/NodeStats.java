package dev.quill.cluster.node;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;

/**
 * What one node stores locally — its users, mailboxes (fragments), messages and bytes of mail — and
 * how far it is in comparing its copies with the other copies. The mail layer computes it; the
 * cluster layer only carries it, so it does not depend on the store's types.
 *
 * @param users user profiles held on this node
 * @param mailboxes mailbox records (fragments) held on this node
 * @param messages messages held on this node
 * @param bytes bytes of message data held on this node
 * @param sync the state of its catch-up and anti-entropy, in a few words ("idle", "catching up 40/300
 *     fragments", ...); "-" when it keeps no replicas
 */
public record NodeStats(long users, long mailboxes, long messages, long bytes, String sync) {
  /** Longest sync text carried. */
  static final int MAX_SYNC = 200;

  public NodeStats {
    if (users < 0 || mailboxes < 0 || messages < 0 || bytes < 0) {
      throw new IllegalArgumentException("negative count in " + users + "/" + mailboxes + "/" + messages + "/" + bytes);
    }
    sync = sync == null ? "-" : sync.length() > MAX_SYNC ? sync.substring(0, MAX_SYNC) : sync;
  }

  /** Counts without a sync state. */
  public NodeStats(long users, long mailboxes, long messages, long bytes) {
    this(users, mailboxes, messages, bytes, "-");
  }

  /** These counts with {@code sync} as the sync state. */
  public NodeStats withSync(String sync) {
    return new NodeStats(users, mailboxes, messages, bytes, sync);
  }

  /** Wire body (version 2): four unsigned varints, in the order of the components, then the sync string. */
  static final Codec<NodeStats> CODEC = Codec.of(
      (out, s) -> out.writeVarLong(s.users()).writeVarLong(s.mailboxes()).writeVarLong(s.messages())
          .writeVarLong(s.bytes()).writeString(s.sync()),
      in -> {
        long users = in.readVarLong();
        long mailboxes = in.readVarLong();
        long messages = in.readVarLong();
        long bytes = in.readVarLong();
        if (users < 0 || mailboxes < 0 || messages < 0 || bytes < 0) {
          throw new WireException("negative count in NODE_STATS");
        }
        return new NodeStats(users, mailboxes, messages, bytes, in.readString(MAX_SYNC * 4));
      });
}
