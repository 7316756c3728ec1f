package dev.quill.mail.mime;

import dev.quill.mail.mime.Envelope.Address;
import dev.quill.store.MessageDerived;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A message's MIME structure, parsed once when the message is stored, kept in the store as
 * {@link MessageDerived#structure()}, and used by FETCH without reparsing the message:
 * ENVELOPE, BODYSTRUCTURE, BODY[section] and BINARY[section] (RFC 9051 §7.5.2).
 *
 * <p>The structure records, for every entity (the message, each multipart child, each
 * encapsulated message/rfc822 message, recursively), the byte offsets of its header and body in the
 * raw message and the fields FETCH reports; see {@link StructureParser} for how malformed MIME is
 * read and {@link StructureCodec} for the stored layout. ENVELOPE and BODYSTRUCTURE strings are the
 * raw header text (encoded words not decoded, as IMAP servers send them), written by the rules of
 * {@link ImapWriter}: quoted when 7-bit and free of CR/LF, else a literal (8-bit UTF-8 included).
 *
 * <p><b>Standards</b>: RFC 9051 and RFC 3501 (FETCH, section numbering §6.4.5), RFC 2045-2047,
 * RFC 2231 (parameter continuations), RFC 3516 (BINARY), RFC 5322 (addresses, dates).
 *
 * <p><b>Security</b>: the input is untrusted; {@link #analyze} never throws and its work is bounded
 * (nesting depth, part count, header fields, value lengths and searchable text are capped; see the
 * constants of {@link StructureParser}, {@link HeaderField} and {@link SearchTextBuilder}).
 */
public final class MessageAnalysis {
  private static final Logger LOG = LoggerFactory.getLogger(MessageAnalysis.class);

  private final MimePart root;
  /** The stored searchable text; null for an analysis read back with {@link #decode}. */
  private final byte[] searchText;

  private MessageAnalysis(MimePart root, byte[] searchText) {
    this.root = root;
    this.searchText = searchText;
  }

  /** Parses a message; never throws: malformed MIME is analysed as well as it can be (a single text part at worst). */
  public static MessageAnalysis analyze(byte[] message) {
    byte[] m = message == null ? new byte[0] : message;
    MimePart root;
    try {
      root = StructureParser.parse(m);
    } catch (RuntimeException | StackOverflowError e) {
      LOG.warn("MIME structure of a {}-byte message not analysed, read as one text part: {}", m.length, e.toString());
      root = plain(m);
    }
    byte[] text;
    try {
      text = SearchTextBuilder.build(m, root);
    } catch (RuntimeException | StackOverflowError e) {
      LOG.warn("searchable text of a {}-byte message not extracted: {}", m.length, e.toString());
      text = new byte[] {SearchableText.VERSION, 0};
    }
    return new MessageAnalysis(root, text);
  }

  private static MimePart plain(byte[] m) {
    MimePart p = new MimePart();
    p.bodyEnd = m.length;
    p.type = "text";
    p.subtype = "plain";
    p.params = List.of("charset", "us-ascii");
    p.lines = StructureParser.lines(m, 0, m.length);
    p.envelope = new Envelope(null, null, List.of(), List.of(), List.of(), List.of(), List.of(), List.of(), null, null);
    return p;
  }

  /**
   * Reads back a structure stored with {@link #toDerived()}.
   *
   * @throws IllegalArgumentException when the bytes are not a structure of a known version
   */
  public static MessageAnalysis decode(byte[] structure) {
    return new MessageAnalysis(StructureCodec.decode(structure), null);
  }

  /**
   * What the store keeps: this structure, encoded, and the decoded searchable text ({@link SearchableText}).
   *
   * @throws IllegalStateException on an analysis read back with {@link #decode}, which has no searchable text
   */
  public MessageDerived toDerived() {
    if (searchText == null) {
      throw new IllegalStateException("a decoded structure has no searchable text; analyze() the message");
    }
    return new MessageDerived(StructureCodec.encode(root), searchText.clone());
  }

  /** The ENVELOPE value as it follows "ENVELOPE " in a FETCH response (UTF-8 where the header had it). */
  public byte[] envelope() {
    ImapWriter w = new ImapWriter();
    envelope(w, root.envelope);
    return w.toByteArray();
  }

  /** The BODYSTRUCTURE value ({@code extensible}) or the BODY value (not), as it follows the item name. */
  public byte[] bodyStructure(boolean extensible) {
    ImapWriter w = new ImapWriter();
    body(w, root, extensible);
    return w.toByteArray();
  }

  /**
   * The bytes of BODY[section] of {@code message} (the message these bytes were analysed from);
   * empty when the part does not exist, or when HEADER, HEADER.FIELDS or TEXT names a part that is
   * not message/rfc822, or MIME names no part.
   */
  public byte[] section(byte[] message, SectionSpec section) {
    byte[] m = message == null ? new byte[0] : message;
    int[] path = section.part() == null ? new int[0] : section.part();
    SectionSpec.Kind kind = section.kind() == null ? SectionSpec.Kind.ALL : section.kind();
    if (path.length == 0) {
      return switch (kind) {
        case ALL -> m.clone();
        case MIME -> new byte[0];
        default -> messageSection(m, root, kind, section.fields());
      };
    }
    MimePart p = resolve(path);
    if (p == null) {
      return new byte[0];
    }
    return switch (kind) {
      case ALL -> slice(m, p.bodyStart, p.bodyEnd);
      case MIME -> slice(m, p.headerStart, p.bodyStart);
      default -> p.message == null ? new byte[0] : messageSection(m, p.message, kind, section.fields());
    };
  }

  /** Whether {@link #topLevelSection} can answer this section (no part path, not MIME). */
  public static boolean isTopLevel(SectionSpec section) {
    return (section.part() == null || section.part().length == 0) && section.kind() != SectionSpec.Kind.MIME;
  }

  /**
   * A section of the message itself (BODY[], BODY[HEADER], BODY[HEADER.FIELDS (...)],
   * BODY[HEADER.FIELDS.NOT (...)], BODY[TEXT]) found by one scan of the top-level header, as the
   * parser would find it, without the stored structure: the common header-list FETCH of mail
   * clients then needs no decoding. Null for sections inside parts, which need the structure.
   */
  public static byte[] topLevelSection(byte[] message, SectionSpec section) {
    if (!isTopLevel(section)) {
      return null;
    }
    SectionSpec.Kind kind = section.kind() == null ? SectionSpec.Kind.ALL : section.kind();
    return switch (kind) {
      case ALL -> message.clone();
      case HEADER -> Arrays.copyOfRange(message, 0, HeaderField.sectionEnd(message, 0, message.length));
      case TEXT -> Arrays.copyOfRange(message, HeaderField.sectionEnd(message, 0, message.length), message.length);
      case HEADER_FIELDS, HEADER_FIELDS_NOT -> // the hot header-list FETCH
          HeaderSelection.copy(message, 0, message.length, HeaderSelection.wanted(section.fields()),
              kind == SectionSpec.Kind.HEADER_FIELDS_NOT);
      default -> new byte[0];
    };
  }

  /**
   * The content of BINARY[part] (RFC 3516 / RFC 9051): the part's body with its
   * Content-Transfer-Encoding undone; empty when the encoding is unknown (the server answers NO [UNKNOWN-CTE]).
   * An empty part path is the whole message; a part that does not exist has empty content.
   */
  public Optional<byte[]> binary(byte[] message, int[] part) {
    byte[] m = message == null ? new byte[0] : message;
    if (part == null || part.length == 0) {
      return Optional.of(m.clone());
    }
    MimePart p = resolve(part);
    if (p == null) {
      return Optional.of(new byte[0]);
    }
    int from = clamp(p.bodyStart, m.length);
    int to = Math.max(from, clamp(p.bodyEnd, m.length));
    if (p.isMultipart()) {
      return Optional.of(Arrays.copyOfRange(m, from, to));
    }
    return TransferDecoding.decode(p.encoding, m, from, to);
  }

  /** The Date header's value, for SENTBEFORE/SENTON/SENTSINCE; empty when absent or unparseable. */
  public Optional<ZonedDateTime> sentDate() {
    return DateParser.parse(root.envelope == null ? null : root.envelope.date());
  }

  // ------------------------------------------------------------------------------------ sections

  /**
   * The entity a part path names (RFC 9051 §6.4.5): in a multipart, part N is its Nth child; a
   * message that is not multipart has one part, 1, its body (whose MIME header is the message's
   * header); a message/rfc822 part's subparts are those of the message it encapsulates.
   */
  private MimePart resolve(int[] path) {
    MimePart cur = root;
    boolean asMessage = true; // cur stands for a message, not yet for one of its parts
    for (int n : path) {
      if (n <= 0) {
        return null;
      }
      if (!asMessage && cur.message != null) {
        cur = cur.message;
        asMessage = true;
      }
      if (cur.isMultipart()) {
        if (n > cur.children.size()) {
          return null;
        }
        cur = cur.children.get(n - 1);
        asMessage = false;
      } else if (asMessage && n == 1) {
        asMessage = false;
      } else {
        return null;
      }
    }
    return cur;
  }

  private static byte[] messageSection(byte[] m, MimePart msg, SectionSpec.Kind kind, List<String> fields) {
    return switch (kind) {
      case HEADER -> slice(m, msg.headerStart, msg.bodyStart);
      case TEXT -> slice(m, msg.bodyStart, msg.bodyEnd);
      case HEADER_FIELDS, HEADER_FIELDS_NOT -> headerFields(m, msg, fields, kind == SectionSpec.Kind.HEADER_FIELDS_NOT);
      default -> new byte[0];
    };
  }

  /** The header lines (folded lines kept) whose names are (or, with {@code not}, are not) in the list, then CRLF. */
  private static byte[] headerFields(byte[] m, MimePart msg, List<String> names, boolean not) {
    int from = clamp(msg.headerStart, m.length);
    return HeaderSelection.copy(m, from, Math.max(from, clamp(msg.bodyStart, m.length)), HeaderSelection.wanted(names), not);
  }

  private static byte[] slice(byte[] m, int from, int to) {
    int a = clamp(from, m.length);
    return Arrays.copyOfRange(m, a, Math.max(a, clamp(to, m.length)));
  }

  private static int clamp(int v, int max) {
    return Math.max(0, Math.min(v, max));
  }

  // ------------------------------------------------------------------------- ENVELOPE, BODYSTRUCTURE

  private static void envelope(ImapWriter w, Envelope e) {
    w.open().nstring(e.date()).sp().nstring(e.subject());
    for (List<Address> list : List.of(e.from(), e.sender(), e.replyTo(), e.to(), e.cc(), e.bcc())) {
      w.sp();
      if (list.isEmpty()) {
        w.raw("NIL");
        continue;
      }
      w.open();
      for (Address a : list) {
        w.open().nstring(a.name()).sp().nstring(a.adl()).sp().nstring(a.mailbox()).sp().nstring(a.host()).close();
      }
      w.close();
    }
    w.sp().nstring(e.inReplyTo()).sp().nstring(e.messageId()).close();
  }

  /** body (RFC 9051 §9): body-type-mpart or body-type-1part, with extension data when {@code ext}. */
  private static void body(ImapWriter w, MimePart p, boolean ext) {
    w.open();
    if (p.isMultipart()) {
      for (MimePart c : p.children) {
        body(w, c, ext);
      }
      w.sp().nstring(p.subtype);
      if (ext) {
        w.sp().paramList(p.params);
        extensionTail(w, p);
      }
      w.close();
      return;
    }
    w.nstring(p.type).sp().nstring(p.subtype).sp().paramList(p.params)
        .sp().nstring(p.id).sp().nstring(p.description).sp().nstring(p.encoding == null ? "7BIT" : p.encoding)
        .sp().number(p.bodySize());
    if (p.message != null) {
      w.sp();
      envelope(w, p.message.envelope);
      w.sp();
      body(w, p.message, ext);
      w.sp().number(p.lines);
    } else if (p.isText()) {
      w.sp().number(p.lines);
    }
    if (ext) {
      w.sp().nstring(p.md5);
      extensionTail(w, p);
    }
    w.close();
  }

  /** body-fld-dsp SP body-fld-lang SP body-fld-loc, shared by both body-ext forms. */
  private static void extensionTail(ImapWriter w, MimePart p) {
    w.sp();
    if (p.disposition == null) {
      w.raw("NIL");
    } else {
      w.open().nstring(p.disposition).sp().paramList(p.dispositionParams).close();
    }
    w.sp();
    if (p.language == null) {
      w.raw("NIL");
    } else if (p.language.size() == 1) {
      w.nstring(p.language.getFirst());
    } else {
      w.open();
      for (int i = 0; i < p.language.size(); i++) {
        if (i > 0) {
          w.sp();
        }
        w.nstring(p.language.get(i));
      }
      w.close();
    }
    w.sp().nstring(p.location);
  }
}
