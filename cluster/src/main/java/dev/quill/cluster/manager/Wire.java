package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Field encodings shared by the manager's message bodies: bounded names and lists. */
final class Wire {
  /** Longest node name or view id on the wire, in UTF-8 bytes. */
  static final int MAX_NAME = 200;
  /** Longest user address (RFC 5321 allows 254 for a path; some slack for what the store accepts). */
  static final int MAX_USER = 512;
  /** Longest mailbox name (the store allows 255 octets). */
  static final int MAX_MAILBOX = 1024;
  /** Longest reason text of a refusal, in UTF-8 bytes. */
  static final int MAX_REASON = 1000;

  private Wire() {}

  /** {@code text} cut to fit {@code maxBytes} of UTF-8 (at most 3 bytes a char), never inside a surrogate pair. */
  static String truncate(String text, int maxBytes) {
    int max = maxBytes / 3;
    if (text.length() <= max) {
      return text;
    }
    int cut = max - 1;
    if (Character.isHighSurrogate(text.charAt(cut - 1))) {
      cut--;
    }
    return text.substring(0, cut) + "…";
  }

  /** Reads a list count, which cannot exceed the bytes left since every element takes at least one. */
  static int count(WireReader in, String what) throws WireException {
    return in.readLength(Integer.MAX_VALUE, what + " count");
  }

  static void writeNames(WireWriter out, List<String> names) {
    out.writeVarInt(names.size());
    names.forEach(out::writeString);
  }

  static List<String> readNames(WireReader in, String what) throws WireException {
    int n = count(in, what);
    List<String> names = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      names.add(in.readString(MAX_NAME));
    }
    return names;
  }

  /**
   * A set of node names that may be absent (a holder record): varint 0 when absent, else the
   * count plus one, then the names.
   */
  static void writeOptionalNames(WireWriter out, Optional<Set<String>> names) {
    out.writeVarInt(names.map(n -> n.size() + 1).orElse(0));
    names.ifPresent(n -> n.forEach(out::writeString));
  }

  static Optional<Set<String>> readOptionalNames(WireReader in, String what) throws WireException {
    int n = in.readVarInt();
    if (n == 0) {
      return Optional.empty();
    }
    if (n - 1 > in.remaining()) { // every name takes at least its length byte
      throw new WireException(what + " count " + (n - 1) + " exceeds the " + in.remaining() + " bytes left");
    }
    Set<String> names = new TreeSet<>();
    for (int i = 0; i < n - 1; i++) {
      String name = in.readString(MAX_NAME);
      if (name.isEmpty() || !names.add(name)) {
        throw new WireException(what + ": empty or repeated node name");
      }
    }
    return Optional.of(names);
  }

  /** An unsigned varint that must be a 32-bit IMAP number (UID, UIDVALIDITY), 0 allowed. */
  static long readUint32(WireReader in, String what) throws WireException {
    long value = in.readVarLong();
    if (value < 0 || value > 0xffff_ffffL) {
      throw new WireException(what + " " + Long.toUnsignedString(value) + " is not a 32-bit unsigned number");
    }
    return value;
  }

  /** An unsigned varint that must be a non-negative long (MODSEQ, view sequence). */
  static long readNonNegative(WireReader in, String what) throws WireException {
    long value = in.readVarLong();
    if (value < 0) {
      throw new WireException(what + " " + Long.toUnsignedString(value) + " exceeds " + Long.MAX_VALUE);
    }
    return value;
  }
}
