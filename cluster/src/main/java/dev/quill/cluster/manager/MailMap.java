package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import java.util.ArrayList;
import java.util.List;

/**
 * A user's mail map as the manager knows it: where the profile lives and, per mailbox, the nodes
 * holding a fragment with the mailbox's UIDVALIDITY, highest UID and highest MODSEQ known or given.
 * Complete only when every current member has reported the user's bucket; until then it lists
 * what has been reported so far. The highest UID and MODSEQ may include the profile node's
 * reservation (a block above what was given, after the manager was rebuilt): a bound for UIDNEXT,
 * never a client's HIGHESTMODSEQ.
 *
 * <pre>
 * string  user        varint n + strings: members not yet reported (empty: complete)
 * varint n + strings: nodes holding the profile
 * varint  mailboxes, each: string name, varint UIDVALIDITY, varint highest UID, varint highest MODSEQ,
 *         boolean UIDVALIDITY conflict, varint n + strings: nodes holding a fragment,
 *         varint n + strings: holders that left the view (version 2)
 * </pre>
 */
public record MailMap(String user, List<String> waitingFor, List<String> profileNodes, List<MailboxLocation> mailboxes) {
  public MailMap {
    waitingFor = List.copyOf(waitingFor);
    profileNodes = List.copyOf(profileNodes);
    mailboxes = List.copyOf(mailboxes);
  }

  /**
   * One mailbox of the user; {@code conflict} when fragments disagree about UIDVALIDITY;
   * {@code missing}: nodes that held a fragment and left the view (down, or leaving for good) since
   * this manager took the bucket — their messages are out of reach until they return.
   */
  public record MailboxLocation(String name, long uidValidity, long highestUid, long highestModSeq, boolean conflict,
      List<String> nodes, List<String> missing) {
    public MailboxLocation {
      nodes = List.copyOf(nodes);
      missing = List.copyOf(missing);
    }

    /** A location with no missing holders. */
    public MailboxLocation(String name, long uidValidity, long highestUid, long highestModSeq, boolean conflict,
        List<String> nodes) {
      this(name, uidValidity, highestUid, highestModSeq, conflict, nodes, List.of());
    }
  }

  /** Whether every member has reported this user's bucket, so the map is the whole truth. */
  public boolean complete() {
    return waitingFor.isEmpty();
  }

  /** Whether any mailbox's fragments disagree about UIDVALIDITY. */
  public boolean conflict() {
    return mailboxes.stream().anyMatch(MailboxLocation::conflict);
  }

  static final Codec<MailMap> CODEC = Codec.of(
      (out, m) -> {
        out.writeString(m.user());
        Wire.writeNames(out, m.waitingFor());
        Wire.writeNames(out, m.profileNodes());
        out.writeVarInt(m.mailboxes().size());
        for (MailboxLocation b : m.mailboxes()) {
          out.writeString(b.name()).writeVarLong(b.uidValidity()).writeVarLong(b.highestUid())
              .writeVarLong(b.highestModSeq()).writeBoolean(b.conflict());
          Wire.writeNames(out, b.nodes());
          Wire.writeNames(out, b.missing());
        }
      },
      in -> {
        String user = in.readString(Wire.MAX_USER);
        List<String> waiting = Wire.readNames(in, "waiting members");
        List<String> profiles = Wire.readNames(in, "profile nodes");
        int n = Wire.count(in, "mailbox");
        List<MailboxLocation> mailboxes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          mailboxes.add(new MailboxLocation(in.readString(Wire.MAX_MAILBOX), Wire.readUint32(in, "UIDVALIDITY"),
              Wire.readUint32(in, "highest UID"), Wire.readNonNegative(in, "highest MODSEQ"), in.readBoolean(),
              Wire.readNames(in, "fragment nodes"), Wire.readNames(in, "missing fragment nodes")));
        }
        return new MailMap(user, waiting, profiles, mailboxes);
      });
}
