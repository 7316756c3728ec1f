package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.store.MailboxEvent;

/** The message types managers (and {@link ChangeNotices}) serve; ids in {@link TypeIds}, layouts in each body's javadoc. */
public final class ManagerMessages {
  /** node → manager: what it holds of the manager's moved buckets; answered Ok, Stale or NotManager. */
  public static final MessageType<FragmentReport, Answer<Void>> FRAGMENT_REPORT = new MessageType<>(
      TypeIds.FRAGMENT_REPORT, 4, "FRAGMENT_REPORT", FragmentReport.CODEC, Answer.codec(Codecs.EMPTY));

  /** {@link #FRAGMENT_REPORT} as the previous release sends and serves it, without each fragment's emptiness. */
  public static final MessageType<FragmentReport, Answer<Void>> FRAGMENT_REPORT_V3 = new MessageType<>(
      TypeIds.FRAGMENT_REPORT, 3, "FRAGMENT_REPORT", FragmentReport.CODEC_V3, Answer.codec(Codecs.EMPTY));

  /** {@link #FRAGMENT_REPORT} as an earlier release sends and serves it, without maildrop locks. */
  public static final MessageType<FragmentReport, Answer<Void>> FRAGMENT_REPORT_V2 = new MessageType<>(
      TypeIds.FRAGMENT_REPORT, 2, "FRAGMENT_REPORT", FragmentReport.CODEC_V2, Answer.codec(Codecs.EMPTY));

  /** any node → the user's manager: the user's mail map (request: the address, at most 512 bytes) (never Incomplete: the map says complete or not). */
  public static final MessageType<String, Answer<MailMap>> MAIL_MAP = new MessageType<>(
      TypeIds.MAIL_MAP, 2, "MAIL_MAP", Codec.of(WireWriter::writeString, in -> in.readString(Wire.MAX_USER)), Answer.codec(MailMap.CODEC));

  /** any node → the user's manager: new UIDs of a mailbox; Incomplete until the bucket is complete. */
  public static final MessageType<UidRequest, Answer<UidGrant>> ALLOCATE_UIDS = new MessageType<>(
      TypeIds.ALLOCATE_UIDS, 3, "ALLOCATE_UIDS", UidRequest.CODEC, Answer.codec(UidGrant.CODEC));

  /** any node → the user's manager: a fragment of a mailbox the manager numbered is now on a node. */
  public static final MessageType<StoredFragment, Answer<Void>> FRAGMENT_STORED = new MessageType<>(
      TypeIds.FRAGMENT_STORED, 1, "FRAGMENT_STORED", StoredFragment.CODEC, Answer.codec(Codecs.EMPTY));

  /** any node → the user's manager: the user's profile was created on, or deleted from, a node. */
  public static final MessageType<StoredProfile, Answer<Void>> PROFILE_STORED = new MessageType<>(
      TypeIds.PROFILE_STORED, 1, "PROFILE_STORED", StoredProfile.CODEC, Answer.codec(Codecs.EMPTY));

  /** any node → the user's manager: one MODSEQ of a known mailbox (flag change, expunge); Incomplete until complete. */
  public static final MessageType<ModSeqRequest, Answer<ModSeqGrant>> ALLOCATE_MODSEQ = new MessageType<>(
      TypeIds.ALLOCATE_MODSEQ, 2, "ALLOCATE_MODSEQ", ModSeqRequest.CODEC, Answer.codec(ModSeqGrant.CODEC));

  /** any node → the user's manager: a node created a fragment of a mailbox with a UIDVALIDITY. */
  public static final MessageType<CreatedMailbox, Answer<Void>> MAILBOX_CREATED = new MessageType<>(
      TypeIds.MAILBOX_CREATED, 1, "MAILBOX_CREATED", CreatedMailbox.CODEC, Answer.codec(Codecs.EMPTY));

  /** any node → the user's manager: a node deleted its fragment of a mailbox. */
  public static final MessageType<DroppedFragment, Answer<Void>> FRAGMENT_DROPPED = new MessageType<>(
      TypeIds.FRAGMENT_DROPPED, 1, "FRAGMENT_DROPPED", DroppedFragment.CODEC, Answer.codec(Codecs.EMPTY));

  /** any node → the user's manager: a mailbox and its inferiors were renamed; fails when a target has fragments. */
  public static final MessageType<RenamedMailbox, Answer<Void>> MAILBOX_RENAMED = new MessageType<>(
      TypeIds.MAILBOX_RENAMED, 1, "MAILBOX_RENAMED", RenamedMailbox.CODEC, Answer.codec(Codecs.EMPTY));

  /** a node → the users' manager: the caller starts or stops watching the users' changes. */
  public static final MessageType<WatchRequest, Answer<Void>> WATCH = new MessageType<>(
      TypeIds.WATCH, 1, "WATCH", WatchRequest.CODEC, Answer.codec(Codecs.EMPTY));

  /** the node that made a change → the user's manager, which forwards it as {@link #CHANGED}; nobody waits. */
  public static final MessageType<MailboxEvent, Answer<Void>> CHANGE_NOTICE = new MessageType<>(
      TypeIds.CHANGE_NOTICE, 1, "CHANGE_NOTICE", MailboxEventCodec.CODEC, Answer.codec(Codecs.EMPTY));

  /**
   * a node → the user's manager: take or give back the user's POP3 maildrop lock for one session;
   * answered whether the lock is the caller's (true for every give-back), Incomplete until complete.
   */
  public static final MessageType<MaildropLockRequest, Answer<Boolean>> MAILDROP_LOCK = new MessageType<>(
      TypeIds.MAILDROP_LOCK, 1, "MAILDROP_LOCK", MaildropLockRequest.CODEC, Answer.codec(Codecs.BOOLEAN));

  /**
   * a node → the user's manager: claim a mailbox's messages up to a UID as IMAP {@code \Recent} for
   * one session; answered the highest UID claimed before (soft state, answered also while incomplete).
   */
  public static final MessageType<RecentClaim, Answer<Long>> RECENT_CLAIM = new MessageType<>(
      TypeIds.RECENT_CLAIM, 1, "RECENT_CLAIM", RecentClaim.CODEC, Answer.codec(Codecs.VAR_LONG));

  /**
   * a user's manager → each node holding the user's profile: make these UIDs and MODSEQs durable
   * before they are given, and (version 2) add these nodes to the mailbox's holder record before a
   * message is acknowledged on them (served by every node's {@link ManagerService}); answered once
   * the write is synced, refused ({@code HANDLER_FAILED}) when the profile is not there.
   */
  public static final MessageType<ReservedWatermarks, Void> RESERVE_WATERMARKS = new MessageType<>(
      TypeIds.RESERVE_WATERMARKS, 2, "RESERVE_WATERMARKS", ReservedWatermarks.CODEC, Codecs.EMPTY);

  /** the user's manager → each node watching the user but the publisher (served by {@link ChangeNotices}). */
  public static final MessageType<MailboxEvent, Void> CHANGED = new MessageType<>(
      TypeIds.CHANGED, 1, "CHANGED", MailboxEventCodec.CODEC, Codecs.EMPTY);

  private ManagerMessages() {}
}
