package dev.quill.cluster.directory;

import dev.quill.cluster.directory.DirectoryChange.AliasAdded;
import dev.quill.cluster.directory.DirectoryChange.AliasDeleted;
import dev.quill.cluster.directory.DirectoryChange.DomainAdded;
import dev.quill.cluster.directory.DirectoryChange.DomainDeleted;
import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wire codecs of {@link Directory}'s messages; strings are bounded by {@link Names}.
 *
 * <pre>
 * DirectoryChange   byte kind: 0 domain added, 1 domain deleted (string domain),
 *                              2 alias added (string alias, string target), 3 alias deleted (string alias)
 * DirectoryList     varint n + n strings domains, varint m + m pairs (string alias, string target);
 *                   n, m &le; 1,000,000, no repeated domain or alias;
 *                   then (version 2) the stamps of domains and of aliases, each:
 *                   varint k &le; 1,000,000 + k pairs (string name, long stamp)
 * Stamped           long stamp, DirectoryChange (version 2 of DIRECTORY_CHANGE)
 * </pre>
 */
final class DirectoryCodecs {
  /** Most domains, and most aliases, in one list: far above real use, well inside a 64 MiB frame. */
  static final int MAX_ENTRIES = 1_000_000;

  private static final int DOMAIN_ADDED = 0;
  private static final int DOMAIN_DELETED = 1;
  private static final int ALIAS_ADDED = 2;
  private static final int ALIAS_DELETED = 3;

  private DirectoryCodecs() {}

  static final Codec<DirectoryChange> CHANGE = Codec.of(DirectoryCodecs::writeChange, DirectoryCodecs::readChange);

  static final Codec<DirectoryList> LIST = Codec.of(DirectoryCodecs::writeList, DirectoryCodecs::readList);

  static final Codec<DirectoryChange.Stamped> STAMPED = Codec.of(
      (out, s) -> {
        out.writeLong(s.stamp());
        writeChange(out, s.change());
      },
      in -> new DirectoryChange.Stamped(in.readLong(), readChange(in)));

  private static void writeChange(WireWriter out, DirectoryChange change) {
    switch (change) {
      case DomainAdded(String domain) -> {
        out.writeByte(DOMAIN_ADDED);
        Names.write(out, domain);
      }
      case DomainDeleted(String domain) -> {
        out.writeByte(DOMAIN_DELETED);
        Names.write(out, domain);
      }
      case AliasAdded(String alias, String target) -> {
        out.writeByte(ALIAS_ADDED);
        Names.write(out, alias);
        Names.write(out, target);
      }
      case AliasDeleted(String alias) -> {
        out.writeByte(ALIAS_DELETED);
        Names.write(out, alias);
      }
    }
  }

  private static DirectoryChange readChange(WireReader in) throws WireException {
    int kind = in.readByte();
    return switch (kind) {
      case DOMAIN_ADDED -> new DomainAdded(Names.read(in, "domain"));
      case DOMAIN_DELETED -> new DomainDeleted(Names.read(in, "domain"));
      case ALIAS_ADDED -> new AliasAdded(Names.read(in, "alias"), Names.read(in, "alias target"));
      case ALIAS_DELETED -> new AliasDeleted(Names.read(in, "alias"));
      default -> throw new WireException("directory change kind " + kind + " is not 0..3");
    };
  }

  private static void writeList(WireWriter out, DirectoryList list) {
    Names.writeSet(out, list.domains(), MAX_ENTRIES, "domains");
    if (list.aliases().size() > MAX_ENTRIES) {
      throw new IllegalArgumentException(list.aliases().size() + " aliases exceed the maximum " + MAX_ENTRIES);
    }
    out.writeVarInt(list.aliases().size());
    list.aliases().forEach((alias, target) -> {
      Names.write(out, alias);
      Names.write(out, target);
    });
    writeStamps(out, list.domainStamps());
    writeStamps(out, list.aliasStamps());
  }

  private static void writeStamps(WireWriter out, Map<String, Long> stamps) {
    if (stamps.size() > MAX_ENTRIES) {
      throw new IllegalArgumentException(stamps.size() + " stamps exceed the maximum " + MAX_ENTRIES);
    }
    out.writeVarInt(stamps.size());
    stamps.forEach((name, stamp) -> {
      Names.write(out, name);
      out.writeLong(stamp);
    });
  }

  private static Map<String, Long> readStamps(WireReader in, String what) throws WireException {
    // each stamp takes at least nine bytes, so the count is also checked against the bytes left
    int count = in.readLength(MAX_ENTRIES, what + " stamp count");
    Map<String, Long> stamps = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = Names.read(in, what);
      if (stamps.putIfAbsent(name, in.readLong()) != null) {
        throw new WireException(what + " '" + Names.abbreviate(name) + "' has two stamps");
      }
    }
    return stamps;
  }

  private static DirectoryList readList(WireReader in) throws WireException {
    List<String> domains = new ArrayList<>(Names.readSet(in, MAX_ENTRIES, "domain"));
    // each alias takes at least two one-byte lengths, so the count is also checked against the bytes left
    int count = in.readLength(MAX_ENTRIES, "alias count");
    Map<String, String> aliases = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String alias = Names.read(in, "alias");
      String target = Names.read(in, "alias target");
      if (aliases.putIfAbsent(alias, target) != null) {
        throw new WireException("alias '" + Names.abbreviate(alias) + "' appears twice");
      }
    }
    return new DirectoryList(domains, aliases, readStamps(in, "domain"), readStamps(in, "alias"));
  }
}
