package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.rpc.WireWriter;

/** The message types managers serve; ids in {@link TypeIds}, layouts in each body's javadoc. */
public final class ManagerMessages {
  /** node → manager: what it holds of the manager's moved buckets; answered Ok, Stale or NotManager. */
  public static final MessageType<FragmentReport, Answer<Void>> FRAGMENT_REPORT = new MessageType<>(
      TypeIds.FRAGMENT_REPORT, 1, "FRAGMENT_REPORT", FragmentReport.CODEC, Answer.codec(Codecs.EMPTY));

  /** any node → the user's manager: the user's mail map (request: the address, at most 512 bytes) (never Incomplete: the map says complete or not). */
  public static final MessageType<String, Answer<MailMap>> MAIL_MAP = new MessageType<>(
      TypeIds.MAIL_MAP, 1, "MAIL_MAP", Codec.of(WireWriter::writeString, in -> in.readString(Wire.MAX_USER)), Answer.codec(MailMap.CODEC));

  /** any node → the user's manager: new UIDs of a mailbox; Incomplete until the bucket is complete. */
  public static final MessageType<UidRequest, Answer<UidGrant>> ALLOCATE_UIDS = new MessageType<>(
      TypeIds.ALLOCATE_UIDS, 1, "ALLOCATE_UIDS", UidRequest.CODEC, Answer.codec(UidGrant.CODEC));

  /** any node → the user's manager: a fragment of a mailbox the manager numbered is now on a node. */
  public static final MessageType<StoredFragment, Answer<Void>> FRAGMENT_STORED = new MessageType<>(
      TypeIds.FRAGMENT_STORED, 1, "FRAGMENT_STORED", StoredFragment.CODEC, Answer.codec(Codecs.EMPTY));

  /** any node → the user's manager: the user's profile was created on, or deleted from, a node. */
  public static final MessageType<StoredProfile, Answer<Void>> PROFILE_STORED = new MessageType<>(
      TypeIds.PROFILE_STORED, 1, "PROFILE_STORED", StoredProfile.CODEC, Answer.codec(Codecs.EMPTY));

  private ManagerMessages() {}
}
