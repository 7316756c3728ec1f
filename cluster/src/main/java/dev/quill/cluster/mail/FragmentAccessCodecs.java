package dev.quill.cluster.mail;

import dev.quill.cluster.manager.Fence;
import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.Frame;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.FragmentRenumbering;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.ToLongFunction;

/**
 * The request bodies of {@link FragmentAccess} and the wire codecs of its requests and answers.
 *
 * <pre>
 * name      string of at most 4,096 UTF-8 bytes (user, mailbox, flag, SPECIAL-USE attribute)
 * uids      varint n (at most 1,000,000) + varint UIDs, each 0..2^32-1
 * flags     varint n (at most 1,000) + names
 * mailbox   varint id, name user, name mailbox, varint UIDVALIDITY (32 bits), varint UIDNEXT
 *           (at most 2^32), varint HIGHESTMODSEQ, varint messages, varint bytes,
 *           flags SPECIAL-USE, boolean subscribed
 * meta      varint UID (32 bits), zig-zag varint seconds, varint nanos (below 10^9), varint size,
 *           flags, varint MODSEQ, varint CRC32C (32 bits, unsigned)
 * loaded    meta, boolean + bytes body, byte derived (0 none, else 1 + bit 2 structure, bit 4 text,
 *           each then bytes), boolean + string problem (at most 65,536 bytes; a longer report is cut)
 * update    byte mode (0 REPLACE, 1 ADD, 2 REMOVE), flags, zig-zag varint UNCHANGEDSINCE (-1 none)
 * </pre>
 *
 * Every count is checked against the bytes left before anything is allocated, and every numeric
 * field against its range, so a garbled body is a {@link WireException}, never another failure.
 * A writer whose body would not fit one frame ({@link Frame#MAX_PAYLOAD}) throws
 * {@link IllegalArgumentException}: on the serving side that is the handler's clear failure.
 */
final class FragmentAccessCodecs {
  /** Longest user, mailbox, flag or attribute, in UTF-8 bytes. */
  static final int MAX_NAME = 4096;
  /** Most flags of one message, or SPECIAL-USE attributes of one mailbox. */
  static final int MAX_FLAGS = 1000;
  /** Most UIDs in one list. */
  static final int MAX_UIDS = 1_000_000;
  /** Longest corruption report of a loaded message, in UTF-8 bytes. */
  static final int MAX_PROBLEM = 65_536;
  private static final long MAX_UID = 0xffff_ffffL;
  private static final int MAX_NANOS = 999_999_999;

  private FragmentAccessCodecs() {}

  // ---- request bodies ------------------------------------------------------------------------

  /** A question about one user. */
  record UserRequest(String user) {
    UserRequest {
      Objects.requireNonNull(user, "user");
    }
  }

  /** A question about one user's mailbox. */
  record MailboxRequest(String user, String mailbox) {
    MailboxRequest {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(mailbox, "mailbox");
    }
  }

  /**
   * {@code FRAGMENT_LOAD}: messages to read, in the order wanted, what to read of them, and (version 2)
   * the UIDVALIDITY the UIDs were taken under, 0 for none: the fragment refuses when it has another.
   */
  record LoadRequest(String user, String mailbox, List<Long> uids, Set<LoadedMessage.Part> parts, long uidValidity) {
    LoadRequest {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(mailbox, "mailbox");
      uids = List.copyOf(uids);
      parts = parts.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(parts));
      if (uidValidity < 0) {
        throw new IllegalArgumentException("negative UIDVALIDITY " + uidValidity);
      }
    }

    LoadRequest(String user, String mailbox, List<Long> uids, Set<LoadedMessage.Part> parts) {
      this(user, mailbox, uids, parts, 0);
    }
  }

  /**
   * {@code FRAGMENT_FLAGS}: a flag change under a manager-allocated MODSEQ, who gave it, and (version
   * 3) the UIDVALIDITY the UIDs were taken under, 0 for none: the fragment refuses when it has another.
   */
  record FlagsRequest(String user, String mailbox, List<Long> uids, FlagUpdate update, long modSeq, Fence fence,
      long uidValidity) {
    FlagsRequest {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(mailbox, "mailbox");
      uids = List.copyOf(uids);
      Objects.requireNonNull(update, "update");
      Objects.requireNonNull(update.mode(), "update mode");
      Objects.requireNonNull(fence, "fence");
      if (uidValidity < 0) {
        throw new IllegalArgumentException("negative UIDVALIDITY " + uidValidity);
      }
    }

    FlagsRequest(String user, String mailbox, List<Long> uids, FlagUpdate update, long modSeq) {
      this(user, mailbox, uids, update, modSeq, Fence.NONE, 0);
    }
  }

  /**
   * {@code FRAGMENT_EXPUNGE}: an expunge under a manager-allocated MODSEQ, who gave it, and (version 3)
   * the UIDVALIDITY the UIDs were taken under, 0 for none: the fragment refuses when it has another.
   */
  record ExpungeRequest(String user, String mailbox, List<Long> uids, long modSeq, Fence fence, long uidValidity) {
    ExpungeRequest {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(mailbox, "mailbox");
      uids = List.copyOf(uids);
      Objects.requireNonNull(fence, "fence");
      if (uidValidity < 0) {
        throw new IllegalArgumentException("negative UIDVALIDITY " + uidValidity);
      }
    }

    ExpungeRequest(String user, String mailbox, List<Long> uids, long modSeq) {
      this(user, mailbox, uids, modSeq, Fence.NONE, 0);
    }
  }

  /** {@code FRAGMENT_EXPUNGED_SINCE}: UIDs expunged above a MODSEQ. */
  record SinceRequest(String user, String mailbox, long modSeq) {
    SinceRequest {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(mailbox, "mailbox");
    }
  }

  /**
   * {@code FRAGMENT_RENAME}: a mailbox's new name; {@code fragmentsOnly} renames only the fragments
   * held there, creating no superiors even on a copy of the profile (version 2; version 1 requests
   * are whole renames).
   */
  record RenameRequest(String user, String from, String to, boolean fragmentsOnly) {
    RenameRequest {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
    }
  }

  // ---- request codecs ------------------------------------------------------------------------

  static final Codec<UserRequest> USER = Codec.of(
      (out, r) -> out.writeString(r.user()),
      in -> new UserRequest(in.readString(MAX_NAME)));

  static final Codec<MailboxRequest> MAILBOX = Codec.of(
      (out, r) -> out.writeString(r.user()).writeString(r.mailbox()),
      in -> new MailboxRequest(in.readString(MAX_NAME), in.readString(MAX_NAME)));

  /** Version 1: no UIDVALIDITY (nodes of an earlier release; read as 0, nothing checked). */
  static final Codec<LoadRequest> LOAD_V1 = Codec.of(
      (out, r) -> {
        out.writeString(r.user()).writeString(r.mailbox());
        writeUids(out, r.uids());
        int parts = 0;
        for (LoadedMessage.Part p : r.parts()) {
          parts |= partBit(p);
        }
        out.writeByte(parts);
      },
      in -> {
        String user = in.readString(MAX_NAME);
        String mailbox = in.readString(MAX_NAME);
        List<Long> uids = readUids(in);
        int bits = in.readByte();
        Set<LoadedMessage.Part> parts = EnumSet.noneOf(LoadedMessage.Part.class);
        for (LoadedMessage.Part p : LoadedMessage.Part.values()) {
          if ((bits & partBit(p)) != 0) {
            parts.add(p);
            bits &= ~partBit(p);
          }
        }
        if (bits != 0) {
          throw new WireException("unknown parts to load: bits " + Integer.toBinaryString(bits));
        }
        return new LoadRequest(user, mailbox, uids, parts);
      });

  static final Codec<LoadRequest> LOAD = withUidValidity(LOAD_V1, LoadRequest::uidValidity,
      (r, uidValidity) -> new LoadRequest(r.user(), r.mailbox(), r.uids(), r.parts(), uidValidity));

  /** Version 2: no UIDVALIDITY (nodes of an earlier release; read as 0, nothing checked). */
  static final Codec<FlagsRequest> FLAGS_V2 = Codec.of(
      (out, r) -> {
        out.writeString(r.user()).writeString(r.mailbox());
        writeUids(out, r.uids());
        writeUpdate(out, r.update());
        out.writeSignedVarLong(r.modSeq());
        Fence.CODEC.write(out, r.fence());
      },
      in -> new FlagsRequest(in.readString(MAX_NAME), in.readString(MAX_NAME), readUids(in), readUpdate(in),
          in.readSignedVarLong(), Fence.CODEC.read(in), 0));

  static final Codec<FlagsRequest> FLAGS = withUidValidity(FLAGS_V2, FlagsRequest::uidValidity,
      (r, uidValidity) -> new FlagsRequest(r.user(), r.mailbox(), r.uids(), r.update(), r.modSeq(), r.fence(),
          uidValidity));

  /** Version 2: no UIDVALIDITY (nodes of an earlier release; read as 0, nothing checked). */
  static final Codec<ExpungeRequest> EXPUNGE_V2 = Codec.of(
      (out, r) -> {
        out.writeString(r.user()).writeString(r.mailbox());
        writeUids(out, r.uids());
        out.writeSignedVarLong(r.modSeq());
        Fence.CODEC.write(out, r.fence());
      },
      in -> new ExpungeRequest(in.readString(MAX_NAME), in.readString(MAX_NAME), readUids(in), in.readSignedVarLong(),
          Fence.CODEC.read(in), 0));

  static final Codec<ExpungeRequest> EXPUNGE = withUidValidity(EXPUNGE_V2, ExpungeRequest::uidValidity,
      (r, uidValidity) -> new ExpungeRequest(r.user(), r.mailbox(), r.uids(), r.modSeq(), r.fence(), uidValidity));

  /**
   * A request's next version: the {@code earlier} layout followed by the UIDVALIDITY its UIDs were
   * taken under (a varint; the earlier layout reads as 0, nothing checked).
   */
  private static <T> Codec<T> withUidValidity(Codec<T> earlier, ToLongFunction<T> uidValidity,
      BiFunction<T, Long, T> with) {
    return Codec.of(
        (out, r) -> {
          earlier.write(out, r);
          out.writeVarLong(uidValidity.applyAsLong(r));
        },
        in -> with.apply(earlier.read(in), in.readVarLong()));
  }

  /** {@code FRAGMENT_RENUMBER}: the order, and the manager and view that gave its UIDs. */
  record RenumberRequest(FragmentRenumbering order, Fence fence) {
    RenumberRequest {
      Objects.requireNonNull(order, "order");
      Objects.requireNonNull(fence, "fence");
    }
  }

  /**
   * A renumbering order: user, mailbox, from and to UIDVALIDITY (varlongs), the old UIDs (a UID
   * list), the first new UID and the MODSEQ (varlongs), then a boolean and, when true, the
   * reservation: UID, MODSEQ (varlongs) and holders (names).
   */
  static final Codec<FragmentRenumbering> RENUMBERING = Codec.of(
      (out, r) -> {
        out.writeString(r.user()).writeString(r.mailbox()).writeVarLong(r.fromUidValidity())
            .writeVarLong(r.toUidValidity());
        writeUids(out, r.oldUids());
        out.writeVarLong(r.firstUid()).writeVarLong(r.modSeq()).writeBoolean(r.reservation().isPresent());
        r.reservation().ifPresent(v -> {
          out.writeVarLong(v.uid()).writeVarLong(v.modSeq());
          writeNames(out, v.holders());
        });
      },
      in -> {
        String user = in.readString(MAX_NAME);
        String mailbox = in.readString(MAX_NAME);
        long from = readUid(in, "UIDVALIDITY");
        long to = readUid(in, "UIDVALIDITY");
        List<Long> oldUids = readUids(in);
        long first = readUid(in, "first UID");
        long modSeq = readNonNegative(in, "MODSEQ");
        Optional<FragmentRenumbering.Reservation> reservation = Optional.empty();
        if (in.readBoolean()) {
          reservation = Optional.of(new FragmentRenumbering.Reservation(readNonNegative(in, "reserved UID"),
              readNonNegative(in, "reserved MODSEQ"), readNames(in, "holder")));
        }
        try {
          return new FragmentRenumbering(user, mailbox, from, to, oldUids, first, modSeq, reservation);
        } catch (IllegalArgumentException e) {
          throw new WireException(e.getMessage());
        }
      });

  /** {@code FRAGMENT_RENUMBER}: the fence ({@link Fence}), then the order ({@link #RENUMBERING}). */
  static final Codec<RenumberRequest> RENUMBER = Codec.of(
      (out, r) -> {
        Fence.CODEC.write(out, r.fence());
        RENUMBERING.write(out, r.order());
      },
      in -> {
        Fence fence = Fence.CODEC.read(in);
        return new RenumberRequest(RENUMBERING.read(in), fence);
      });

  static final Codec<SinceRequest> SINCE = Codec.of(
      (out, r) -> out.writeString(r.user()).writeString(r.mailbox()).writeSignedVarLong(r.modSeq()),
      in -> new SinceRequest(in.readString(MAX_NAME), in.readString(MAX_NAME), in.readSignedVarLong()));

  /** Version 1: user, from, to; a whole rename. */
  static final Codec<RenameRequest> RENAME_V1 = Codec.of(
      (out, r) -> out.writeString(r.user()).writeString(r.from()).writeString(r.to()),
      in -> new RenameRequest(in.readString(MAX_NAME), in.readString(MAX_NAME), in.readString(MAX_NAME), false));

  /** Version 2: then whether only the fragments held there move (boolean). */
  static final Codec<RenameRequest> RENAME = Codec.of(
      (out, r) -> {
        RENAME_V1.write(out, r);
        out.writeBoolean(r.fragmentsOnly());
      },
      in -> {
        RenameRequest v1 = RENAME_V1.read(in);
        return new RenameRequest(v1.user(), v1.from(), v1.to(), in.readBoolean());
      });

  // ---- answer codecs -------------------------------------------------------------------------

  static final Codec<MailboxInfo> MAILBOX_INFO = Codec.of(FragmentAccessCodecs::writeMailbox,
      FragmentAccessCodecs::readMailbox);

  static final Codec<MessageMeta> MESSAGE_META = Codec.of(FragmentAccessCodecs::writeMeta,
      FragmentAccessCodecs::readMeta);

  static final Codec<LoadedMessage> LOADED_MESSAGE = Codec.of(FragmentAccessCodecs::writeLoaded,
      FragmentAccessCodecs::readLoaded);

  static final Codec<FlagUpdate> FLAG_UPDATE = Codec.of(FragmentAccessCodecs::writeUpdate,
      FragmentAccessCodecs::readUpdate);

  static final Codec<FragmentListing> LISTING = Codec.of(
      (out, l) -> {
        out.writeBoolean(l.mailbox().isPresent());
        l.mailbox().ifPresent(b -> writeMailbox(out, b));
        out.writeVarInt(l.messages().size());
        l.messages().forEach(m -> writeMeta(out, m));
        checkFits(out, "fragment listing of " + l.messages().size() + " messages");
      },
      in -> {
        Optional<MailboxInfo> box = in.readBoolean() ? Optional.of(readMailbox(in)) : Optional.empty();
        int n = count(in, "message");
        List<MessageMeta> messages = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          messages.add(readMeta(in));
        }
        return new FragmentListing(box, messages);
      });

  static final Codec<List<MailboxInfo>> MAILBOXES = Codec.of(
      (out, list) -> {
        out.writeVarInt(list.size());
        list.forEach(b -> writeMailbox(out, b));
        checkFits(out, list.size() + " mailboxes");
      },
      in -> {
        int n = count(in, "mailbox");
        List<MailboxInfo> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          list.add(readMailbox(in));
        }
        return list;
      });

  static final Codec<List<LoadedMessage>> LOADED = Codec.of(
      (out, list) -> {
        out.writeVarInt(list.size());
        list.forEach(m -> writeLoaded(out, m));
        checkFits(out, "load answer of " + list.size() + " messages");
      },
      in -> {
        int n = count(in, "loaded message");
        List<LoadedMessage> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          list.add(readLoaded(in));
        }
        return list;
      });

  static final Codec<FlagResult> FLAG_RESULT = Codec.of(
      (out, r) -> {
        out.writeVarInt(r.updated().size());
        r.updated().forEach(m -> writeMeta(out, m));
        writeUids(out, r.modified());
        checkFits(out, "flag result of " + r.updated().size() + " messages");
      },
      in -> {
        int n = count(in, "updated message");
        List<MessageMeta> updated = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          updated.add(readMeta(in));
        }
        return new FlagResult(updated, Set.copyOf(readUids(in)));
      });

  static final Codec<List<Long>> UIDS = Codec.of(FragmentAccessCodecs::writeUids, FragmentAccessCodecs::readUids);

  static final Codec<Boolean> BOOLEAN = Codec.of(WireWriter::writeBoolean, WireReader::readBoolean);

  /** A count of bytes, never negative. */
  static final Codec<Long> BYTES_USED = Codec.of(
      (out, v) -> out.writeVarLong(nonNegative(v, "usage")),
      in -> readNonNegative(in, "usage"));

  // ---- fields --------------------------------------------------------------------------------

  private static void writeMailbox(WireWriter out, MailboxInfo b) {
    out.writeVarLong(b.id()).writeString(b.user()).writeString(b.name()).writeVarLong(b.uidValidity())
        .writeVarLong(b.uidNext()).writeVarLong(b.highestModSeq()).writeVarInt(b.messageCount())
        .writeVarLong(b.totalBytes());
    writeNames(out, b.specialUse());
    out.writeBoolean(b.subscribed());
  }

  private static MailboxInfo readMailbox(WireReader in) throws WireException {
    long id = readNonNegative(in, "mailbox id");
    String user = in.readString(MAX_NAME);
    String name = in.readString(MAX_NAME);
    long uidValidity = readUid(in, "UIDVALIDITY");
    long uidNext = readNonNegative(in, "UIDNEXT");
    if (uidNext > MAX_UID + 1) {
      throw new WireException("UIDNEXT " + uidNext + " exceeds 2^32");
    }
    long highestModSeq = readNonNegative(in, "HIGHESTMODSEQ");
    int messageCount = in.readVarInt();
    long totalBytes = readNonNegative(in, "mailbox bytes");
    Set<String> specialUse = readNames(in, "SPECIAL-USE attribute");
    boolean subscribed = in.readBoolean();
    return new MailboxInfo(id, user, name, uidValidity, uidNext, highestModSeq, messageCount, totalBytes, specialUse,
        subscribed);
  }

  private static void writeMeta(WireWriter out, MessageMeta m) {
    out.writeVarLong(uid(m.uid()));
    out.writeSignedVarLong(m.internalDate().getEpochSecond()).writeVarInt(m.internalDate().getNano());
    out.writeVarLong(m.size());
    writeNames(out, m.flags());
    out.writeVarLong(m.modSeq()).writeVarLong(Integer.toUnsignedLong(m.crc32c()));
  }

  private static MessageMeta readMeta(WireReader in) throws WireException {
    long uid = readUid(in, "UID");
    long seconds = in.readSignedVarLong();
    int nanos = in.readVarInt();
    if (nanos > MAX_NANOS) {
      throw new WireException("nanoseconds " + nanos + " exceed " + MAX_NANOS);
    }
    Instant date;
    try {
      date = Instant.ofEpochSecond(seconds, nanos);
    } catch (DateTimeException e) {
      throw new WireException("internal date of " + seconds + " seconds is out of range");
    }
    long size = readNonNegative(in, "message size");
    Set<String> flags = readNames(in, "flag");
    long modSeq = readNonNegative(in, "MODSEQ");
    int crc = (int) readUid(in, "CRC32C");
    return new MessageMeta(uid, date, size, flags, modSeq, crc);
  }

  private static void writeLoaded(WireWriter out, LoadedMessage m) {
    writeMeta(out, m.meta());
    out.writeBoolean(m.body() != null);
    if (m.body() != null) {
      out.writeBytes(m.body());
    }
    MessageDerived d = m.derived();
    if (d == null) {
      out.writeByte(0);
    } else {
      out.writeByte(1 | (d.structure() != null ? 2 : 0) | (d.searchText() != null ? 4 : 0));
      if (d.structure() != null) {
        out.writeBytes(d.structure());
      }
      if (d.searchText() != null) {
        out.writeBytes(d.searchText());
      }
    }
    out.writeBoolean(m.problem() != null);
    if (m.problem() != null) {
      out.writeString(shortened(m.problem()));
    }
  }

  /** A corruption report short enough for {@link #MAX_PROBLEM} bytes (a UTF-16 unit takes at most 3). */
  private static String shortened(String problem) {
    int max = MAX_PROBLEM / 3;
    if (problem.length() <= max) {
      return problem;
    }
    int end = Character.isHighSurrogate(problem.charAt(max - 1)) ? max - 1 : max;
    return problem.substring(0, end);
  }

  private static LoadedMessage readLoaded(WireReader in) throws WireException {
    MessageMeta meta = readMeta(in);
    byte[] body = in.readBoolean() ? in.readBytes(Frame.MAX_PAYLOAD) : null;
    int derivedBits = in.readByte();
    MessageDerived derived = null;
    if (derivedBits != 0) {
      if ((derivedBits & ~7) != 0 || (derivedBits & 1) == 0) {
        throw new WireException("bad derived-data byte " + derivedBits);
      }
      byte[] structure = (derivedBits & 2) != 0 ? in.readBytes(Frame.MAX_PAYLOAD) : null;
      byte[] text = (derivedBits & 4) != 0 ? in.readBytes(Frame.MAX_PAYLOAD) : null;
      derived = new MessageDerived(structure, text);
    }
    String problem = in.readBoolean() ? in.readString(MAX_PROBLEM) : null;
    return new LoadedMessage(meta, body, derived, problem);
  }

  private static void writeUpdate(WireWriter out, FlagUpdate u) {
    out.writeByte(u.mode().ordinal());
    writeNames(out, u.flags() == null ? Set.of() : u.flags());
    out.writeSignedVarLong(u.unchangedSince());
  }

  private static FlagUpdate readUpdate(WireReader in) throws WireException {
    int mode = in.readByte();
    FlagUpdate.Mode[] modes = FlagUpdate.Mode.values();
    if (mode >= modes.length) {
      throw new WireException("unknown flag update mode " + mode);
    }
    return new FlagUpdate(modes[mode], readNames(in, "flag"), in.readSignedVarLong());
  }

  private static void writeUids(WireWriter out, Collection<Long> uids) {
    if (uids.size() > MAX_UIDS) {
      throw new IllegalArgumentException(uids.size() + " UIDs exceed the maximum " + MAX_UIDS + " of one list");
    }
    out.writeVarInt(uids.size());
    for (long uid : uids) {
      out.writeVarLong(uid(uid));
    }
  }

  private static List<Long> readUids(WireReader in) throws WireException {
    int n = in.readLength(MAX_UIDS, "UID list");
    List<Long> uids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      uids.add(readUid(in, "UID"));
    }
    return uids;
  }

  private static void writeNames(WireWriter out, Set<String> names) {
    if (names.size() > MAX_FLAGS) {
      throw new IllegalArgumentException(names.size() + " flags exceed the maximum " + MAX_FLAGS);
    }
    out.writeVarInt(names.size());
    names.forEach(out::writeString);
  }

  private static Set<String> readNames(WireReader in, String what) throws WireException {
    int n = in.readLength(MAX_FLAGS, what + " count");
    List<String> names = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      names.add(in.readString(MAX_NAME));
    }
    return Set.copyOf(names);
  }

  /** A list count, which cannot exceed the bytes left since every element takes at least one. */
  private static int count(WireReader in, String what) throws WireException {
    return in.readLength(Integer.MAX_VALUE, what + " count");
  }

  private static long readUid(WireReader in, String what) throws WireException {
    long value = in.readVarLong();
    if (value < 0 || value > MAX_UID) {
      throw new WireException(what + " " + Long.toUnsignedString(value) + " is not a 32-bit unsigned number");
    }
    return value;
  }

  private static long readNonNegative(WireReader in, String what) throws WireException {
    long value = in.readVarLong();
    if (value < 0) {
      throw new WireException(what + " " + Long.toUnsignedString(value) + " exceeds " + Long.MAX_VALUE);
    }
    return value;
  }

  private static long uid(long uid) {
    if (uid < 0 || uid > MAX_UID) {
      throw new IllegalArgumentException("UID " + uid + " is not a 32-bit unsigned number");
    }
    return uid;
  }

  private static long nonNegative(long value, String what) {
    if (value < 0) {
      throw new IllegalArgumentException(what + " " + value + " is negative");
    }
    return value;
  }

  /** Refuses a body that would not fit one frame, naming both sizes. */
  private static void checkFits(WireWriter out, String what) {
    if (out.size() > Frame.MAX_PAYLOAD) {
      throw new IllegalArgumentException(what + " takes " + out.size() + " bytes, more than the "
          + Frame.MAX_PAYLOAD + " of one frame; ask for fewer at once");
    }
  }

  private static int partBit(LoadedMessage.Part p) {
    return switch (p) {
      case BODY -> 1;
      case DERIVED -> 2;
    };
  }
}
