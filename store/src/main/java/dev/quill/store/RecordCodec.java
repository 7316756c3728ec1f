package dev.quill.store;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Compact binary encoding of the store's records.
 *
 * <p>Every value starts with a format version byte and a kind byte, so that a later format can
 * be read next to this one and a value read from the wrong column family is refused rather than
 * misread. Versions are per kind: mailbox records are at version 2 (adding SPECIAL-USE and the
 * subscribed flag); version 1 mailbox records still decode, with no special use and subscribed. Strings are length-prefixed modified UTF-8 ({@link DataOutputStream#writeUTF}; read back by
 * {@link RecordInput}), times
 * are epoch seconds plus nanoseconds. A value with bytes left over after decoding is refused.
 */
final class RecordCodec {
  static final byte VERSION = 1;
  /** Version 2 added SPECIAL-USE attributes and the subscribed flag. */
  static final byte MAILBOX_VERSION = 2;

  private static final byte USER = 'U';
  private static final byte MAILBOX = 'M';
  private static final byte MESSAGE = 'm';
  private static final byte ALIAS = 'A';
  private static final byte DOMAIN = 'D';
  private static final byte COUNTER = 'C';
  private static final byte QUARANTINE = 'Q';
  private static final byte DERIVED = 'X';
  private static final byte EXPUNGE_LOG = 'E';
  private static final byte SUBSCRIPTION = 'S';
  private static final byte RESERVATION = 'W';
  private static final byte STAMP = 'V';

  private RecordCodec() {}

  static byte[] encodeUser(UserProfile user) {
    return write(USER, out -> {
      out.writeUTF(user.address());
      out.writeUTF(user.passwordHash());
      out.writeLong(user.quotaBytes());
      writeInstant(out, user.created());
    });
  }

  static UserProfile decodeUser(byte[] value) {
    return read(USER, value, in -> new UserProfile(in.readUTF(), in.readUTF(), in.readLong(), readInstant(in)));
  }

  static byte[] encodeMailbox(MailboxInfo box) {
    return write(MAILBOX, MAILBOX_VERSION, out -> {
      out.writeLong(box.id());
      out.writeUTF(box.user());
      out.writeUTF(box.name());
      out.writeLong(box.uidValidity());
      out.writeLong(box.uidNext());
      out.writeLong(box.highestModSeq());
      out.writeInt(box.messageCount());
      out.writeLong(box.totalBytes());
      writeStrings(out, box.specialUse());
      out.writeBoolean(box.subscribed());
    });
  }

  static MailboxInfo decodeMailbox(byte[] value) {
    return read(MAILBOX, MAILBOX_VERSION, value, (in, version) -> {
      long id = in.readLong();
      String user = in.readUTF();
      String name = in.readUTF();
      long uidValidity = in.readLong();
      long uidNext = in.readLong();
      long modSeq = in.readLong();
      int count = in.readInt();
      long bytes = in.readLong();
      if (version == 1) {
        return new MailboxInfo(id, user, name, uidValidity, uidNext, modSeq, count, bytes, Set.of(), true);
      }
      Set<String> specialUse = readStrings(in);
      boolean subscribed = in.readBoolean();
      return new MailboxInfo(id, user, name, uidValidity, uidNext, modSeq, count, bytes, specialUse, subscribed);
    });
  }

  /** Whether a mailbox record is in the version 1 format (before subscriptions were stored). */
  static boolean isMailboxVersion1(byte[] value) {
    return value.length >= 2 && value[0] == 1 && value[1] == MAILBOX;
  }

  /** Encodes a mailbox record in the version 1 format (tests check that old records still decode). */
  static byte[] encodeMailboxV1(MailboxInfo box) {
    return write(MAILBOX, (byte) 1, out -> {
      out.writeLong(box.id());
      out.writeUTF(box.user());
      out.writeUTF(box.name());
      out.writeLong(box.uidValidity());
      out.writeLong(box.uidNext());
      out.writeLong(box.highestModSeq());
      out.writeInt(box.messageCount());
      out.writeLong(box.totalBytes());
    });
  }

  /** Derived data; a null part is stored as empty. */
  static byte[] encodeDerived(MessageDerived derived) {
    return write(DERIVED, out -> {
      writeBytes(out, derived.structure());
      writeBytes(out, derived.searchText());
    });
  }

  static MessageDerived decodeDerived(byte[] value) {
    return read(DERIVED, value, in -> new MessageDerived(readBytes(in), readBytes(in)));
  }

  static byte[] encodeExpungeLog(ExpungeLog.Header header) {
    return write(EXPUNGE_LOG, out -> {
      out.writeLong(header.count());
      out.writeLong(header.prunedUpTo());
      out.writeLong(header.maxPrunedUid());
    });
  }

  static ExpungeLog.Header decodeExpungeLog(byte[] value) {
    return read(EXPUNGE_LOG, value, in -> new ExpungeLog.Header(in.readLong(), in.readLong(), in.readLong()));
  }

  /** Version 2 of a reservation added the recorded fragment holders (a set, absent in version 1). */
  static final byte RESERVATION_VERSION = 2;

  static byte[] encodeReservation(WatermarkReservation r) {
    return write(RESERVATION, RESERVATION_VERSION, out -> {
      out.writeLong(r.uidValidity());
      out.writeLong(r.uid());
      out.writeLong(r.modSeq());
      out.writeBoolean(r.holders().isPresent());
      if (r.holders().isPresent()) {
        writeStrings(out, r.holders().get());
      }
    });
  }

  static WatermarkReservation decodeReservation(byte[] value) {
    return read(RESERVATION, RESERVATION_VERSION, value, (in, version) -> {
      long uidValidity = in.readLong();
      long uid = in.readLong();
      long modSeq = in.readLong();
      Optional<Set<String>> holders = version >= 2 && in.readBoolean() ? Optional.of(readStrings(in))
          : Optional.empty();
      return new WatermarkReservation(uidValidity, uid, modSeq, holders);
    });
  }

  /** A version stamp of a replicated record ({@link Versioned}). */
  static byte[] encodeLong(long stamp) {
    return write(STAMP, out -> out.writeLong(stamp));
  }

  static long decodeLong(byte[] value) {
    return read(STAMP, value, in -> in.readLong());
  }

  static byte[] encodeSubscription() {
    return write(SUBSCRIPTION, out -> {});
  }

  static byte[] encodeMessage(MessageMeta meta) {
    return write(MESSAGE, out -> writeMeta(out, meta));
  }

  static MessageMeta decodeMessage(byte[] value) {
    return read(MESSAGE, value, RecordCodec::readMeta);
  }

  static byte[] encodeAlias(String target) {
    return write(ALIAS, out -> out.writeUTF(target));
  }

  static String decodeAlias(byte[] value) {
    return read(ALIAS, value, in -> in.readUTF());
  }

  static byte[] encodeDomain(Instant created) {
    return write(DOMAIN, out -> writeInstant(out, created));
  }

  static byte[] encodeCounter(long value) {
    return write(COUNTER, out -> out.writeLong(value));
  }

  static long decodeCounter(byte[] value) {
    return read(COUNTER, value, RecordInput::readLong);
  }

  static byte[] encodeQuarantine(QuarantinedMessage q) {
    return write(QUARANTINE, out -> {
      out.writeUTF(q.user());
      out.writeUTF(q.mailbox());
      writeMeta(out, q.meta());
      writeInstant(out, q.quarantinedAt());
      out.writeUTF(q.reason());
      if (q.body() == null) {
        out.writeInt(-1);
      } else {
        out.writeInt(q.body().length);
        out.write(q.body());
      }
    });
  }

  static QuarantinedMessage decodeQuarantine(byte[] value) {
    return read(QUARANTINE, value, in -> {
      String user = in.readUTF();
      String mailbox = in.readUTF();
      MessageMeta meta = readMeta(in);
      Instant at = readInstant(in);
      String reason = in.readUTF();
      int length = in.readInt();
      byte[] body = length < 0 ? null : in.readNBytes(length);
      if (body != null && body.length != length) {
        throw new IOException("body truncated");
      }
      return new QuarantinedMessage(user, mailbox, meta, body, at, reason);
    });
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void writeMeta(DataOutputStream out, MessageMeta meta) throws IOException {
    out.writeLong(meta.uid());
    writeInstant(out, meta.internalDate());
    out.writeLong(meta.size());
    out.writeLong(meta.modSeq());
    out.writeInt(meta.crc32c());
    out.writeShort(meta.flags().size());
    for (String flag : meta.flags()) {
      out.writeUTF(flag);
    }
  }

  private static MessageMeta readMeta(RecordInput in) throws IOException {
    long uid = in.readLong();
    Instant date = readInstant(in);
    long size = in.readLong();
    long modSeq = in.readLong();
    int crc = in.readInt();
    int flagCount = in.readUnsignedShort();
    String[] flags = new String[flagCount];
    for (int i = 0; i < flagCount; i++) {
      flags[i] = in.readUTF();
    }
    return new MessageMeta(uid, date, size, Set.copyOf(java.util.Arrays.asList(flags)), modSeq, crc);
  }

  private static void writeStrings(DataOutputStream out, Set<String> strings) throws IOException {
    out.writeShort(strings.size());
    for (String s : strings) {
      out.writeUTF(s);
    }
  }

  private static Set<String> readStrings(RecordInput in) throws IOException {
    int count = in.readUnsignedShort();
    Set<String> strings = new LinkedHashSet<>();
    for (int i = 0; i < count; i++) {
      strings.add(in.readUTF());
    }
    return Set.copyOf(strings);
  }

  private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
    byte[] b = bytes == null ? new byte[0] : bytes;
    out.writeInt(b.length);
    out.write(b);
  }

  private static byte[] readBytes(RecordInput in) throws IOException {
    int length = in.readInt();
    if (length < 0) {
      throw new IOException("negative length " + length);
    }
    byte[] b = in.readNBytes(length);
    if (b.length != length) {
      throw new IOException("bytes truncated");
    }
    return b;
  }

  private static void writeInstant(DataOutputStream out, Instant time) throws IOException {
    out.writeLong(time.getEpochSecond());
    out.writeInt(time.getNano());
  }

  private static Instant readInstant(RecordInput in) throws IOException {
    return Instant.ofEpochSecond(in.readLong(), in.readInt());
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private interface Reader<T> {
    T read(RecordInput in) throws IOException;
  }

  private interface VersionedReader<T> {
    T read(RecordInput in, int version) throws IOException;
  }

  private static byte[] write(byte kind, Writer body) {
    return write(kind, VERSION, body);
  }

  private static byte[] write(byte kind, byte version, Writer body) {
    var bytes = new ByteArrayOutputStream(64);
    try (var out = new DataOutputStream(bytes)) {
      out.writeByte(version);
      out.writeByte(kind);
      body.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot happen: writing to memory", e);
    }
    return bytes.toByteArray();
  }

  private static <T> T read(byte kind, byte[] value, Reader<T> body) {
    return read(kind, VERSION, value, (in, version) -> body.read(in));
  }

  /** Decodes a record of {@code kind} at any version from 1 to {@code maxVersion}. */
  private static <T> T read(byte kind, byte maxVersion, byte[] value, VersionedReader<T> body) {
    if (value.length < 2 || value[0] < 1 || value[0] > maxVersion || value[1] != kind) {
      throw new StoreException("unreadable record: expected version " + (maxVersion == 1 ? "1" : "1.." + maxVersion)
          + " kind '" + (char) kind + "', found "
          + (value.length < 2 ? value.length + " bytes" : "version " + value[0] + " kind '" + (char) value[1] + "'"));
    }
    var in = new RecordInput(value, 2);
    try {
      T result = body.read(in, value[0]);
      if (in.remaining() != 0) {
        throw new StoreException("unreadable record of kind '" + (char) kind + "': " + in.remaining() + " trailing bytes");
      }
      return result;
    } catch (IOException | IllegalArgumentException | java.time.DateTimeException e) {
      throw new StoreException("unreadable record of kind '" + (char) kind + "': " + e.getMessage(), e);
    }
  }
}
