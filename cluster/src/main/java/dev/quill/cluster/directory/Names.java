package dev.quill.cluster.directory;

import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Set;

/** Bounded name fields (addresses, domains, mailbox names, attributes) shared by this package's codecs. */
final class Names {
  /** Longest name, in chars; far above what the store accepts, so only garbage is refused. */
  static final int MAX_CHARS = 4096;
  /** A Java char takes at most 3 UTF-8 bytes (a surrogate pair takes 4 for 2 chars). */
  private static final int MAX_BYTES = 3 * MAX_CHARS;

  private Names() {}

  /**
   * Writes one name.
   *
   * @throws IllegalArgumentException if it is longer than {@link #MAX_CHARS}, so the caller's call fails
   *     locally instead of being refused by the peer
   */
  static void write(WireWriter out, String name) {
    if (name.length() > MAX_CHARS) {
      throw new IllegalArgumentException("name of " + name.length() + " chars exceeds the maximum " + MAX_CHARS);
    }
    out.writeString(name);
  }

  static String read(WireReader in, String what) throws WireException {
    String name = in.readString(MAX_BYTES);
    if (name.length() > MAX_CHARS) {
      throw new WireException(what + " of " + name.length() + " chars exceeds the maximum " + MAX_CHARS);
    }
    return name;
  }

  /** Writes a count and the names, refusing more than {@code max}. */
  static void writeSet(WireWriter out, Collection<String> names, int max, String what) {
    if (names.size() > max) {
      throw new IllegalArgumentException(names.size() + " " + what + " exceed the maximum " + max);
    }
    out.writeVarInt(names.size());
    for (String name : names) {
      write(out, name);
    }
  }

  /** Reads what {@link #writeSet} wrote, in the writer's order; a repeated name is refused. */
  static Set<String> readSet(WireReader in, int max, String what) throws WireException {
    // every name takes at least its one-byte length, so the count is also checked against the bytes left
    int count = in.readLength(max, what + " count");
    Set<String> names = new LinkedHashSet<>();
    for (int i = 0; i < count; i++) {
      String name = read(in, what);
      if (!names.add(name)) {
        throw new WireException(what + " '" + abbreviate(name) + "' appears twice");
      }
    }
    return Collections.unmodifiableSet(names);
  }

  /** A name cut to 100 chars for an error message. */
  static String abbreviate(String name) {
    return name.length() <= 100 ? name : name.substring(0, 100) + "...";
  }
}
