package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.store.MailboxEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * The wire form of a {@link MailboxEvent}, as change notices carry it. Kinds have fixed codes of
 * their own rather than enum ordinals, so reordering the enum cannot change the wire.
 *
 * <pre>
 * string user   string mailbox   byte kind: 0 APPENDED, 1 EXPUNGED, 2 FLAGS, 3 CREATED, 4 DELETED, 5 RENAMED
 * varint n (0 .. MAX_UIDS) + varints: UIDs (32-bit)   varint MODSEQ
 * </pre>
 */
final class MailboxEventCodec {
  /** Most UIDs one event may carry on the wire; {@link ChangeNotices#publish} splits larger ones. */
  static final int MAX_UIDS = 1_000_000;

  static final Codec<MailboxEvent> CODEC = Codec.of(MailboxEventCodec::write, MailboxEventCodec::read);

  private MailboxEventCodec() {}

  private static void write(WireWriter out, MailboxEvent e) {
    if (e.uids().size() > MAX_UIDS) {
      throw new IllegalArgumentException("event of " + e.uids().size() + " UIDs exceeds the maximum " + MAX_UIDS);
    }
    out.writeString(e.user()).writeString(e.mailbox()).writeByte(code(e.kind())).writeVarInt(e.uids().size());
    e.uids().forEach(out::writeVarLong);
    out.writeVarLong(e.modSeq());
  }

  private static MailboxEvent read(WireReader in) throws WireException {
    String user = in.readString(Wire.MAX_USER);
    String mailbox = in.readString(Wire.MAX_MAILBOX);
    MailboxEvent.Kind kind = kind(in.readByte());
    // Every UID takes at least one byte: readLength checks the count against the bytes left too.
    int n = in.readLength(MAX_UIDS, "event UIDs");
    List<Long> uids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      uids.add(Wire.readUint32(in, "UID"));
    }
    return new MailboxEvent(user, mailbox, kind, List.copyOf(uids), Wire.readNonNegative(in, "MODSEQ"));
  }

  private static int code(MailboxEvent.Kind kind) {
    return switch (kind) {
      case APPENDED -> 0;
      case EXPUNGED -> 1;
      case FLAGS -> 2;
      case CREATED -> 3;
      case DELETED -> 4;
      case RENAMED -> 5;
    };
  }

  private static MailboxEvent.Kind kind(int code) throws WireException {
    return switch (code) {
      case 0 -> MailboxEvent.Kind.APPENDED;
      case 1 -> MailboxEvent.Kind.EXPUNGED;
      case 2 -> MailboxEvent.Kind.FLAGS;
      case 3 -> MailboxEvent.Kind.CREATED;
      case 4 -> MailboxEvent.Kind.DELETED;
      case 5 -> MailboxEvent.Kind.RENAMED;
      default -> throw new WireException("event kind " + code + " is not 0..5");
    };
  }
}
