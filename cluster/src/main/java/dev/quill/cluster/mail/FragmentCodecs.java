package dev.quill.cluster.mail;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.Frame;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.store.AppendResult;
import dev.quill.store.AssignedMessage;
import dev.quill.store.MessageDerived;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;

/** Wire codecs of the fragment requests: a message to store under an assigned UID, and the answer. */
final class FragmentCodecs {
  private static final int MAX_NAME = 4096;
  private static final int MAX_FLAGS = 1000;
  private static final int MAX_FLAG = 1024;

  private FragmentCodecs() {}

  static final Codec<AssignedMessage> ASSIGNED = Codec.of(FragmentCodecs::write, FragmentCodecs::read);

  static final Codec<AppendResult> RESULT = Codec.of(
      (out, r) -> out.writeBoolean(r.stored()).writeVarLong(r.uidValidity()).writeVarLong(r.uid()),
      in -> new AppendResult(in.readBoolean(), in.readVarLong(), in.readVarLong()));

  private static void write(WireWriter out, AssignedMessage m) {
    out.writeString(m.user()).writeString(m.mailbox());
    out.writeVarLong(m.uidValidity()).writeVarLong(m.uid()).writeVarLong(m.modSeq());
    Set<String> flags = m.flags() == null ? Set.of() : m.flags();
    out.writeVarInt(flags.size());
    for (String f : flags) {
      out.writeString(f);
    }
    Instant date = m.internalDate() == null ? Instant.now() : m.internalDate();
    out.writeSignedVarLong(date.getEpochSecond()).writeVarInt(date.getNano());
    out.writeBoolean(m.derived() != null);
    if (m.derived() != null) {
      out.writeBytes(orEmpty(m.derived().structure())).writeBytes(orEmpty(m.derived().searchText()));
    }
    out.writeBytes(m.message());
  }

  private static AssignedMessage read(WireReader in) throws WireException {
    String user = in.readString(MAX_NAME);
    String mailbox = in.readString(MAX_NAME);
    long uidValidity = in.readVarLong();
    long uid = in.readVarLong();
    long modSeq = in.readVarLong();
    int count = in.readLength(MAX_FLAGS, "flags");
    Set<String> flags = new LinkedHashSet<>();
    for (int i = 0; i < count; i++) {
      flags.add(in.readString(MAX_FLAG));
    }
    long seconds = in.readSignedVarLong();
    int nanos = in.readVarInt();
    MessageDerived derived = null;
    if (in.readBoolean()) {
      derived = new MessageDerived(in.readBytes(Frame.MAX_PAYLOAD), in.readBytes(Frame.MAX_PAYLOAD));
    }
    byte[] message = in.readBytes(Frame.MAX_PAYLOAD);
    try {
      return new AssignedMessage(user, mailbox, uidValidity, uid, modSeq, message, flags,
          Instant.ofEpochSecond(seconds, nanos), derived);
    } catch (IllegalArgumentException | java.time.DateTimeException e) {
      throw new WireException("bad assigned message: " + e.getMessage());
    }
  }

  private static byte[] orEmpty(byte[] b) {
    return b == null ? new byte[0] : b;
  }
}
