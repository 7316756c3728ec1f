package dev.quill.cluster.node;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.cluster.transport.SecurityCounters;
import dev.quill.security.SecurityEvents.Reason;
import java.util.EnumMap;
import java.util.Map;

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
 * @param security its transport security layer's counts: key in use, messages sealed, opened and
 *     dropped by reason (all zero from a member too old to report them)
 */
public record NodeStats(long users, long mailboxes, long messages, long bytes, String sync,
    SecurityCounters security) {
  /** Longest sync text carried. */
  static final int MAX_SYNC = 200;

  public NodeStats {
    if (users < 0 || mailboxes < 0 || messages < 0 || bytes < 0) {
      throw new IllegalArgumentException("negative count in " + users + "/" + mailboxes + "/" + messages + "/" + bytes);
    }
    sync = sync == null ? "-" : sync.length() > MAX_SYNC ? sync.substring(0, MAX_SYNC) : sync;
    security = security == null ? SecurityCounters.off() : security;
  }

  /** Counts with a sync state and no security counts (the cluster layer adds them). */
  public NodeStats(long users, long mailboxes, long messages, long bytes, String sync) {
    this(users, mailboxes, messages, bytes, sync, null);
  }

  /** Counts without a sync state. */
  public NodeStats(long users, long mailboxes, long messages, long bytes) {
    this(users, mailboxes, messages, bytes, "-");
  }

  /** These counts with {@code sync} as the sync state. */
  public NodeStats withSync(String sync) {
    return new NodeStats(users, mailboxes, messages, bytes, sync, security);
  }

  /** These counts with {@code counters} as the security layer's. */
  public NodeStats withSecurity(SecurityCounters counters) {
    return new NodeStats(users, mailboxes, messages, bytes, sync, counters);
  }

  /** Wire body (version 2): four unsigned varints, in the order of the components, then the sync string. */
  static final Codec<NodeStats> CODEC_V2 = Codec.of(NodeStats::writeCounts, NodeStats::readCounts);

  /**
   * Wire body (version 3): version 2's, then the security counts: enabled (0 or 1), key id, sealed,
   * opened as unsigned varints, then the number of reasons and for each its name and count (by name,
   * so that a reason added later is skipped by an older reader rather than misread).
   */
  static final Codec<NodeStats> CODEC = Codec.of(
      (out, s) -> {
        writeCounts(out, s);
        SecurityCounters c = s.security();
        out.writeVarInt(c.enabled() ? 1 : 0).writeVarInt(c.keyId()).writeVarLong(c.sealed()).writeVarLong(c.opened());
        out.writeVarInt(c.dropped().size());
        c.dropped().forEach((reason, n) -> out.writeString(reason.name()).writeVarLong(n));
      },
      in -> {
        NodeStats counts = readCounts(in);
        boolean enabled = in.readVarInt() == 1;
        int keyId = in.readVarInt();
        long sealed = in.readVarLong();
        long opened = in.readVarLong();
        int reasons = in.readLength(64, "drop reasons");
        Map<Reason, Long> dropped = new EnumMap<>(Reason.class);
        for (Reason r : Reason.values()) {
          dropped.put(r, 0L);
        }
        for (int i = 0; i < reasons; i++) {
          String name = in.readString(64);
          long n = in.readVarLong();
          for (Reason r : Reason.values()) {
            if (r.name().equals(name)) {
              dropped.put(r, n);
            }
          }
        }
        return counts.withSecurity(new SecurityCounters(enabled, keyId, sealed, opened, dropped));
      });

  private static void writeCounts(WireWriter out, NodeStats s) {
    out.writeVarLong(s.users()).writeVarLong(s.mailboxes()).writeVarLong(s.messages()).writeVarLong(s.bytes())
        .writeString(s.sync());
  }

  private static NodeStats readCounts(WireReader in) throws WireException {
    long users = in.readVarLong();
    long mailboxes = in.readVarLong();
    long messages = in.readVarLong();
    long bytes = in.readVarLong();
    if (users < 0 || mailboxes < 0 || messages < 0 || bytes < 0) {
      throw new WireException("negative count in NODE_STATS");
    }
    return new NodeStats(users, mailboxes, messages, bytes, in.readString(MAX_SYNC * 4));
  }
}
