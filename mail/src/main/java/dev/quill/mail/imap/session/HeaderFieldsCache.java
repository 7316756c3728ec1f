package dev.quill.mail.imap.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.quill.mail.imap.codec.FetchAtt;
import dev.quill.mail.mime.SectionSpec;
import dev.quill.store.MessageMeta;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The answers to BODY[HEADER.FIELDS (...)] of the whole message, kept across sessions of a node: the
 * header list a mail client shows asks for the same few fields of the same messages again and again
 * (every folder open, every refresh), and each answer otherwise means reading the whole message and
 * scanning its header. Dovecot keeps such fields in its index cache for the same reason.
 *
 * <p>Keys are (user, mailbox, UIDVALIDITY, UID, fields): under one UIDVALIDITY a UID always names the
 * same message, whose bytes never change (RFC 9051 §2.3.1.1), so an entry can never be stale; a
 * mailbox deleted and created again gets a new UIDVALIDITY (the message's size, checksum and internal
 * date are in the key too, against a mailbox re-created within the same second elsewhere). Bounded by
 * the bytes it holds (a W-TinyLFU cache); size 0 turns it off.
 */
public final class HeaderFieldsCache {
  /** Rough per-entry overhead beyond the value: key record, strings shared with the session, node. */
  private static final int ENTRY_OVERHEAD = 96;

  private final Cache<Key, byte[]> cache;

  /** The fields a section names, in one spelling (lower case), and whether they are excluded. */
  record Fields(List<String> names, boolean not) {
    /** The cacheable form of a top-level HEADER.FIELDS or HEADER.FIELDS.NOT section; null for any other. */
    static Fields of(SectionSpec section) {
      boolean topLevel = section.part() == null || section.part().length == 0;
      if (!topLevel || section.fields() == null
          || (section.kind() != SectionSpec.Kind.HEADER_FIELDS && section.kind() != SectionSpec.Kind.HEADER_FIELDS_NOT)) {
        return null;
      }
      return new Fields(section.fields().stream().map(n -> n.toLowerCase(Locale.ROOT)).toList(),
          section.kind() == SectionSpec.Kind.HEADER_FIELDS_NOT);
    }
  }

  private record Key(String user, String mailbox, long uidValidity, long uid, long size, int crc32c,
      Instant internalDate, Fields fields) {
    Key(String user, String mailbox, long uidValidity, MessageMeta m, Fields fields) {
      this(user, mailbox, uidValidity, m.uid(), m.size(), m.crc32c(), m.internalDate(), fields);
    }
  }

  /** A cache holding at most about {@code maxBytes} of answers; 0 keeps nothing. */
  public HeaderFieldsCache(long maxBytes) {
    if (maxBytes < 0) {
      throw new IllegalArgumentException("header cache size must not be negative, was " + maxBytes);
    }
    this.cache = maxBytes == 0 ? null : Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((Key k, byte[] v) -> v.length + ENTRY_OVERHEAD)
        .executor(Runnable::run) // maintenance on the caller: no pool threads for a cache this cheap
        .build();
  }

  /** The lookups of one FETCH command: its cacheable sections resolved once, not per message. */
  Lookup lookup(String user, String mailbox, long uidValidity, List<FetchAtt> items) {
    FetchAtt.Section[] sections = new FetchAtt.Section[items.size()];
    Fields[] fields = new Fields[items.size()];
    int n = 0;
    if (cache != null) {
      for (FetchAtt item : items) {
        if (item instanceof FetchAtt.Section s) {
          Fields f = Fields.of(s.section());
          if (f != null) {
            sections[n] = s;
            fields[n++] = f;
          }
        }
      }
    }
    return new Lookup(user, mailbox, uidValidity, Arrays.copyOf(sections, n), Arrays.copyOf(fields, n));
  }

  /** What one FETCH command asks of the cache. */
  final class Lookup {
    private final String user;
    private final String mailbox;
    private final long uidValidity;
    private final FetchAtt.Section[] sections;
    private final Fields[] fields;

    private Lookup(String user, String mailbox, long uidValidity, FetchAtt.Section[] sections, Fields[] fields) {
      this.user = user;
      this.mailbox = mailbox;
      this.uidValidity = uidValidity;
      this.sections = sections;
      this.fields = fields;
    }

    /** Whether {@code item} is one of the command's cacheable sections. */
    boolean caches(FetchAtt item) {
      return index(item) >= 0;
    }

    /** The kept answer to {@code section} for this message, or null (also when not cacheable). */
    byte[] get(MessageMeta message, FetchAtt.Section section) {
      int i = index(section);
      return i < 0 ? null : cache.getIfPresent(new Key(user, mailbox, uidValidity, message, fields[i]));
    }

    /** Keeps the answer to {@code section} when it is cacheable. */
    void put(MessageMeta message, FetchAtt.Section section, byte[] answer) {
      int i = index(section);
      if (i >= 0) {
        cache.put(new Key(user, mailbox, uidValidity, message, fields[i]), answer);
      }
    }

    /** Whether every cacheable section of the command has a kept answer for this message. */
    boolean hasAll(MessageMeta message) {
      for (Fields f : fields) {
        if (cache.getIfPresent(new Key(user, mailbox, uidValidity, message, f)) == null) {
          return false;
        }
      }
      return fields.length > 0;
    }

    private int index(FetchAtt item) {
      for (int i = 0; i < sections.length; i++) {
        if (sections[i] == item) { // the command's own item objects: identity is exact and cheap
          return i;
        }
      }
      return -1;
    }
  }
}
