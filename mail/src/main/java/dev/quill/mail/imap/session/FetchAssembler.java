package dev.quill.mail.imap.session;

import dev.quill.mail.imap.codec.FetchAtt;
import dev.quill.mail.imap.codec.ImapWriter;
import dev.quill.mail.mime.MessageAnalysis;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.LoadedMessage;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Writes one message's FETCH response (RFC 9051 §7.5.2) for a list of items. The response is
 * built apart and copied out only when complete, so a message that disappears or fails its
 * checksum half-way leaves no partial response on the wire.
 */
final class FetchAssembler {
  static final DateTimeFormatter INTERNAL_DATE =
      DateTimeFormatter.ofPattern("dd-MMM-yyyy HH:mm:ss Z", Locale.ENGLISH).withZone(ZoneOffset.UTC);

  /** How writing one message ended. */
  enum Result { OK, GONE, UNKNOWN_CTE }

  private FetchAssembler() {}

  /**
   * @param headers the command's header-fields cache: answers taken from it and kept in it
   * @param scratch where the response is built before it is copied to {@code out}; emptied first, so
   *     one writer can serve every message of a command
   * @param flags the flags to report (with \Recent when recent for this session)
   * @param withUid prepend UID (UID FETCH, or unsolicited data) unless asked for anyway
   * @param withModSeq append MODSEQ (CONDSTORE enabled and CHANGEDSINCE used, or QRESYNC) unless asked for
   * @param withFlags append FLAGS (set \Seen implicitly) unless asked for
   */
  static Result write(ImapWriter out, ImapWriter scratch, HeaderFieldsCache.Lookup headers, int seq, MessageView m,
      List<FetchAtt> items, List<String> flags,
      boolean withUid, boolean withModSeq, boolean withFlags) throws CorruptMessageException {
    ImapWriter w = scratch;
    w.clear();
    w.text("* ").number(seq).text(" FETCH (");
    boolean first = true;
    boolean uidDone = false;
    boolean modSeqDone = false;
    boolean flagsDone = false;
    if (withUid && !asksForUid(items)) {
      w.text("UID ").number(m.meta.uid());
      first = false;
      uidDone = true;
    }
    for (FetchAtt item : items) {
      if (!first) {
        w.sp();
      }
      first = false;
      switch (item) {
        case FetchAtt.Flags f -> {
          w.text("FLAGS ").flags(flags);
          flagsDone = true;
        }
        case FetchAtt.Uid u -> {
          w.text("UID ").number(m.meta.uid());
          uidDone = true;
        }
        case FetchAtt.InternalDate d -> w.text("INTERNALDATE \"").text(INTERNAL_DATE.format(m.meta.internalDate())).text("\"");
        case FetchAtt.Rfc822Size s -> w.text("RFC822.SIZE ").number(m.meta.size());
        case FetchAtt.ModSeq s -> {
          w.text("MODSEQ (").number(m.meta.modSeq()).text(")");
          modSeqDone = true;
        }
        case FetchAtt.Envelope e -> {
          MessageAnalysis a = m.analysis();
          if (a == null) {
            return Result.GONE;
          }
          w.text("ENVELOPE ").raw(a.envelope());
        }
        case FetchAtt.Structure s -> {
          MessageAnalysis a = m.analysis();
          if (a == null) {
            return Result.GONE;
          }
          w.text(s.extensible() ? "BODYSTRUCTURE " : "BODY ").raw(a.bodyStructure(s.extensible()));
        }
        case FetchAtt.Section s -> {
          byte[] content = headers.get(m.meta, s);
          if (content == null) {
            byte[] bytes = m.bytes();
            if (bytes == null) {
              return Result.GONE;
            }
            content = MessageAnalysis.topLevelSection(bytes, s.section());
            if (content == null) {
              MessageAnalysis a = m.analysis();
              if (a == null) {
                return Result.GONE;
              }
              content = a.section(bytes, s.section());
            }
            headers.put(m.meta, s, content);
          }
          writePartial(w, s.label(), content, s.offset(), s.length(), false);
        }
        case FetchAtt.Binary b -> {
          byte[] bytes = m.bytes();
          MessageAnalysis a = bytes == null ? null : m.analysis();
          if (a == null) {
            return Result.GONE;
          }
          Optional<byte[]> content = a.binary(bytes, b.part());
          if (content.isEmpty()) {
            return Result.UNKNOWN_CTE;
          }
          writePartial(w, b.label(), content.get(), b.offset(), b.length(), true);
        }
        case FetchAtt.BinarySize b -> {
          byte[] bytes = m.bytes();
          MessageAnalysis a = bytes == null ? null : m.analysis();
          if (a == null) {
            return Result.GONE;
          }
          Optional<byte[]> content = a.binary(bytes, b.part());
          if (content.isEmpty()) {
            return Result.UNKNOWN_CTE;
          }
          w.text(b.label()).sp().number(content.get().length);
        }
      }
    }
    if (withFlags && !flagsDone) {
      w.sp().text("FLAGS ").flags(flags);
    }
    if (withModSeq && !modSeqDone) {
      w.sp().text("MODSEQ (").number(m.meta.modSeq()).text(")");
    }
    w.text(")").crlf();
    try {
      w.flushTo(out::raw);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return Result.OK;
  }

  private static boolean asksForUid(List<FetchAtt> items) {
    for (FetchAtt item : items) { // a loop, not a stream: this runs once per message fetched
      if (item instanceof FetchAtt.Uid) {
        return true;
      }
    }
    return false;
  }

  /**
   * What the items need loaded besides metadata: bytes for any section or BINARY, the stored
   * structure for ENVELOPE, BODYSTRUCTURE and sections inside parts (top-level sections are
   * found by scanning the bytes, see {@link MessageAnalysis#topLevelSection}).
   */
  static Set<LoadedMessage.Part> partsNeeded(List<FetchAtt> items) {
    return partsNeeded(items, null);
  }

  /** As {@link #partsNeeded(List)}, leaving out the sections {@code headers} answers from its cache. */
  static Set<LoadedMessage.Part> partsNeeded(List<FetchAtt> items, HeaderFieldsCache.Lookup headers) {
    boolean body = false;
    boolean derived = false;
    for (FetchAtt item : items) {
      if (headers != null && headers.caches(item)) {
        continue;
      }
      switch (item) {
        case FetchAtt.Envelope e -> derived = true;
        case FetchAtt.Structure s -> derived = true;
        case FetchAtt.Section s -> {
          body = true;
          derived |= !MessageAnalysis.isTopLevel(s.section());
        }
        case FetchAtt.Binary b -> {
          body = true;
          derived |= b.part() != null && b.part().length > 0;
        }
        case FetchAtt.BinarySize b -> {
          body = true;
          derived |= b.part() != null && b.part().length > 0;
        }
        default -> { }
      }
    }
    if (body && derived) {
      return EnumSet.of(LoadedMessage.Part.BODY, LoadedMessage.Part.DERIVED);
    }
    return body ? EnumSet.of(LoadedMessage.Part.BODY) : derived ? EnumSet.of(LoadedMessage.Part.DERIVED)
        : LoadedMessage.META_ONLY;
  }

  private static void writePartial(ImapWriter w, String label, byte[] content, long offset, long length, boolean binary) {
    int from = 0;
    int n = content.length;
    w.text(label);
    if (offset >= 0) {
      from = (int) Math.min(offset, content.length);
      n = (int) Math.min(length, content.length - from);
      w.text("<").number(offset).text(">");
    }
    w.sp();
    boolean nul = false;
    if (binary) {
      for (int i = from; i < from + n; i++) {
        if (content[i] == 0) {
          nul = true;
          break;
        }
      }
    }
    w.literal(content, from, n, nul);
  }
}
