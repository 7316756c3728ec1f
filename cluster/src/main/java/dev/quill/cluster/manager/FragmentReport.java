package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * What one node holds of the buckets it reports to one manager after a view change: every listed
 * bucket, even one of which it holds nothing (so that the manager knows this member has reported it),
 * and per user of those buckets whether the profile is here, each mailbox fragment's UIDVALIDITY,
 * highest UID and HIGHESTMODSEQ, and the POP3 maildrop lock a session here holds or is taking.
 *
 * <pre>
 * string  view id (at most 200 bytes)      varint  view sequence
 * varint  bucket count of the user map     varint  n, then n bucket numbers, ascending
 * varint  users, each: string address, boolean profile held here,
 *         varint fragments, each: string mailbox, varint UIDVALIDITY, varint highest UID, varint HIGHESTMODSEQ,
 *         (version 2) varint 0 when no holder record, else holders + 1, then that many node names,
 *         (version 4) boolean: the fragment holds no message,
 *         (version 3, after the fragments) varint 0 when no maildrop lock, else its token + 1
 * </pre>
 *
 * @param viewId the view the reporter computed the managers from; a manager in another view ignores the report
 * @param bucketCount the user map's bucket count; managers with another count refuse the report
 */
public record FragmentReport(String viewId, long viewSequence, int bucketCount, List<Integer> buckets,
    List<ReportedUser> users) {
  public FragmentReport {
    buckets = List.copyOf(buckets);
    users = List.copyOf(users);
  }

  /**
   * One user of a reported bucket as the reporter holds it; {@code maildropLock} is the token of the
   * reporter's session that holds (or is taking) the user's POP3 maildrop lock.
   */
  public record ReportedUser(String user, boolean holdsProfile, List<ReportedFragment> fragments,
      OptionalLong maildropLock) {
    public ReportedUser {
      fragments = List.copyOf(fragments);
    }

    /** A user whose maildrop no session of the reporter locks. */
    public ReportedUser(String user, boolean holdsProfile, List<ReportedFragment> fragments) {
      this(user, holdsProfile, fragments, OptionalLong.empty());
    }
  }

  /**
   * One mailbox fragment held by the reporter; {@code highestUid} is 0 when it never held a message.
   * On a node managers reserve on (the profile nodes, and members making up a majority), both numbers
   * include the managers' reservation there, and {@code holders} is the managers' record of the nodes
   * that may hold messages of the mailbox. {@code empty}: the fragment holds no message now (false
   * when the reporter's release does not say).
   */
  public record ReportedFragment(String mailbox, long uidValidity, long highestUid, long highestModSeq,
      Optional<Set<String>> holders, boolean empty) {
    public ReportedFragment {
      holders = holders.map(Set::copyOf);
    }

    /** A fragment that holds mail, or of which the reporter does not say. */
    public ReportedFragment(String mailbox, long uidValidity, long highestUid, long highestModSeq,
        Optional<Set<String>> holders) {
      this(mailbox, uidValidity, highestUid, highestModSeq, holders, false);
    }

    /** A fragment without a holder record. */
    public ReportedFragment(String mailbox, long uidValidity, long highestUid, long highestModSeq) {
      this(mailbox, uidValidity, highestUid, highestModSeq, Optional.empty());
    }
  }

  /** Version 4: with each fragment's emptiness. */
  static final Codec<FragmentReport> CODEC = codec(4);
  /** Version 3, with the maildrop locks but not the emptiness: what a node of the previous release sends and takes. */
  static final Codec<FragmentReport> CODEC_V3 = codec(3);
  /**
   * Version 2, without the maildrop locks: what a node of an earlier release sends and takes, so that
   * a cluster can be upgraded one node at a time (the locks of its reports are left out).
   */
  static final Codec<FragmentReport> CODEC_V2 = codec(2);

  private static Codec<FragmentReport> codec(int version) {
    boolean locks = version >= 3;
    boolean emptiness = version >= 4;
    return Codec.of(
      (out, r) -> {
        out.writeString(r.viewId()).writeVarLong(r.viewSequence()).writeVarInt(r.bucketCount());
        out.writeVarInt(r.buckets().size());
        r.buckets().forEach(out::writeVarInt);
        out.writeVarInt(r.users().size());
        for (ReportedUser u : r.users()) {
          out.writeString(u.user()).writeBoolean(u.holdsProfile()).writeVarInt(u.fragments().size());
          for (ReportedFragment f : u.fragments()) {
            out.writeString(f.mailbox()).writeVarLong(f.uidValidity()).writeVarLong(f.highestUid())
                .writeVarLong(f.highestModSeq());
            Wire.writeOptionalNames(out, f.holders());
            if (emptiness) {
              out.writeBoolean(f.empty());
            }
          }
          if (locks) {
            out.writeVarLong(u.maildropLock().isPresent() ? u.maildropLock().getAsLong() + 1 : 0);
          }
        }
      },
      in -> {
        String viewId = in.readString(Wire.MAX_NAME);
        long sequence = Wire.readNonNegative(in, "view sequence");
        int bucketCount = in.readVarInt();
        int n = Wire.count(in, "bucket");
        List<Integer> buckets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          int bucket = in.readVarInt();
          if (bucket >= bucketCount || (i > 0 && bucket <= buckets.getLast())) {
            throw new WireException("bucket " + bucket + " is out of order or not below the count " + bucketCount);
          }
          buckets.add(bucket);
        }
        int userCount = Wire.count(in, "user");
        List<ReportedUser> users = new ArrayList<>(userCount);
        for (int i = 0; i < userCount; i++) {
          String user = in.readString(Wire.MAX_USER);
          boolean profile = in.readBoolean();
          int fragmentCount = Wire.count(in, "fragment");
          List<ReportedFragment> fragments = new ArrayList<>(fragmentCount);
          for (int j = 0; j < fragmentCount; j++) {
            fragments.add(new ReportedFragment(in.readString(Wire.MAX_MAILBOX), Wire.readUint32(in, "UIDVALIDITY"),
                Wire.readUint32(in, "highest UID"), Wire.readNonNegative(in, "HIGHESTMODSEQ"),
                Wire.readOptionalNames(in, "holder"), emptiness && in.readBoolean()));
          }
          long lock = locks ? in.readVarLong() : 0;
          if (lock < 0) {
            throw new WireException("maildrop lock token of " + user + " is out of range");
          }
          users.add(new ReportedUser(user, profile, fragments, lock == 0 ? OptionalLong.empty() : OptionalLong.of(lock - 1)));
        }
        return new FragmentReport(viewId, sequence, bucketCount, buckets, users);
      });
  }
}
