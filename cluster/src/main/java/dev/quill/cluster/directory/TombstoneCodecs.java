package dev.quill.cluster.directory;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.store.Versioned;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Wire codecs of {@link TombstonePruner}'s message; names are bounded by {@link Names}.
 *
 * <pre>
 * TombstoneCheck   byte kind (0 profile, 1 domain, 2 alias), varint n (&le; 1,000),
 *                  each: string name, long stamp; no repeated name
 * confirmed        varint n (&le; 1,000) + n strings, no repeats
 * </pre>
 */
final class TombstoneCodecs {
  /** Most names in one check. */
  static final int MAX_CHECKED = 1_000;

  private TombstoneCodecs() {}

  static final Codec<TombstoneCheck> CHECK = Codec.of(TombstoneCodecs::writeCheck, TombstoneCodecs::readCheck);

  static final Codec<Set<String>> CONFIRMED = Codec.of(
      (out, names) -> Names.writeSet(out, names, MAX_CHECKED, "confirmed names"),
      in -> Names.readSet(in, MAX_CHECKED, "confirmed name"));

  private static void writeCheck(WireWriter out, TombstoneCheck check) {
    if (check.stamps().size() > MAX_CHECKED) {
      throw new IllegalArgumentException(check.stamps().size() + " tombstones exceed the maximum " + MAX_CHECKED);
    }
    out.writeByte(switch (check.kind()) {
      case PROFILE -> 0;
      case DOMAIN -> 1;
      case ALIAS -> 2;
    });
    out.writeVarInt(check.stamps().size());
    check.stamps().forEach((name, stamp) -> {
      Names.write(out, name);
      out.writeLong(stamp);
    });
  }

  private static TombstoneCheck readCheck(WireReader in) throws WireException {
    int tag = in.readByte();
    Versioned kind = switch (tag) {
      case 0 -> Versioned.PROFILE;
      case 1 -> Versioned.DOMAIN;
      case 2 -> Versioned.ALIAS;
      default -> throw new WireException("tombstone kind " + tag + " is not 0..2");
    };
    // each entry takes at least nine bytes, so the count is also checked against the bytes left
    int count = in.readLength(MAX_CHECKED, "tombstone count");
    Map<String, Long> stamps = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = Names.read(in, "tombstone name");
      if (stamps.putIfAbsent(name, in.readLong()) != null) {
        throw new WireException("tombstone '" + Names.abbreviate(name) + "' appears twice");
      }
    }
    return new TombstoneCheck(kind, stamps);
  }
}
