package dev.quill.mail.mime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.james.mime4j.stream.NameValuePair;
import org.apache.james.mime4j.stream.ParserCursor;
import org.apache.james.mime4j.stream.RawFieldParser;
import org.apache.james.mime4j.util.ByteArrayBuffer;

/**
 * Splits a raw message into its {@link MimePart} tree with byte offsets (RFC 2045/2046), in one
 * pass per nesting level over the byte array.
 *
 * <p>Why not mime4j's {@code MimeStreamParser}: its events carry no byte offsets, and FETCH
 * BODY[section] and BINARY[section] need exact ranges of the raw message (header, MIME header,
 * body). The structure walk is therefore ours; the field grammar is mime4j's
 * ({@link RawFieldParser} for Content-Type/Content-Disposition values and parameters).
 *
 * <p>Lenient throughout: an unparseable Content-Type means text/plain; charset=us-ascii (RFC 2045
 * §5.2); a multipart with no boundary parameter, or whose boundary never occurs, gets one text/plain
 * child covering its body; a part missing the close delimiter ends where its parent ends; a
 * multipart child whose first line is not a header field has an empty header. Bounded: nesting
 * deeper than {@link #MAX_DEPTH} or more than {@link #MAX_PARTS} entities turns further multipart
 * and message/rfc822 parts into application/octet-stream leaves.
 *
 * <p>Each nesting level scans its own body again (for its boundary, or its lines), so a walk costs
 * the sum of the nested bodies' sizes: up to size × depth. That sum is capped at
 * {@link #SCAN_FACTOR} times the message's size (at least {@link #MIN_SCAN_BUDGET}); a part whose
 * walk would go beyond it becomes a leaf, as if too deep. Real mail stays far below: each forward
 * as an attachment adds two levels. A hostile message nested a hundred deep around a large body
 * thus costs a bounded multiple of its size, not a hundred.
 */
final class StructureParser {
  /** Deepest nesting of multipart and message/rfc822 entities that is analysed. */
  static final int MAX_DEPTH = 100;
  /** Most entities analysed per message. */
  static final int MAX_PARTS = 10_000;
  /** Most parameters kept per Content-Type or Content-Disposition field. */
  static final int MAX_PARAMS = 100;
  /** Nested body bytes a walk may scan per byte of the message. */
  static final int SCAN_FACTOR = 16;
  /** Nested body bytes a walk may always scan, whatever the message's size. */
  static final long MIN_SCAN_BUDGET = 64L << 20;

  private final byte[] m;
  private final long budget;
  private int parts;
  /** Body bytes of the parts walked into so far. */
  private long scanned;

  private StructureParser(byte[] m) {
    this.m = m;
    this.budget = Math.max(MIN_SCAN_BUDGET, (long) SCAN_FACTOR * m.length);
  }

  static MimePart parse(byte[] message) {
    return new StructureParser(message).entity(0, message.length, 0, true, false, false);
  }

  /** How many nested body bytes the walk of {@code message} scans, and the cap it had (for tests). */
  static long[] scanCost(byte[] message) {
    StructureParser parser = new StructureParser(message);
    parser.entity(0, message.length, 0, true, false, false);
    return new long[] {parser.scanned, parser.budget};
  }

  private MimePart entity(int start, int end, int depth, boolean isMessage, boolean digestChild, boolean bodyOnJunk) {
    parts++;
    MimePart p = new MimePart();
    List<HeaderField> fields = new ArrayList<>();
    p.headerStart = start;
    p.bodyStart = HeaderField.scan(m, start, end, fields, bodyOnJunk);
    p.bodyEnd = end;
    contentFields(p, fields, digestChild);
    if (isMessage) {
      p.envelope = Envelope.of(fields);
    }
    long body = p.bodyEnd - p.bodyStart;
    boolean room = depth < MAX_DEPTH && parts < MAX_PARTS && scanned + body <= budget;
    if (p.isMultipart()) {
      if (room) {
        scanned += body;
        p.children = children(p, depth);
      } else {
        demote(p);
      }
    } else if (MimePart.isMessageType(p.type, p.subtype)) {
      if (room) {
        scanned += body;
        p.message = entity(p.bodyStart, p.bodyEnd, depth + 1, true, false, false);
      } else {
        demote(p);
      }
    }
    if (p.isText() || p.message != null) {
      p.lines = lines(m, p.bodyStart, p.bodyEnd);
    }
    return p;
  }

  private static void demote(MimePart p) {
    p.type = "application";
    p.subtype = "octet-stream";
  }

  /** Splits a multipart body at its boundary delimiter lines (RFC 2046 §5.1.1). */
  private List<MimePart> children(MimePart p, int depth) {
    String boundary = p.param("boundary");
    boolean digest = "digest".equalsIgnoreCase(p.subtype);
    List<MimePart> out = new ArrayList<>();
    if (boundary != null && !boundary.isEmpty()) {
      byte[] delim = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
      int partStart = -1; // -1: in the preamble
      int ls = p.bodyStart;
      while (ls < p.bodyEnd) {
        int next = HeaderField.lineEnd(m, ls, p.bodyEnd);
        int after = ls + delim.length;
        if (m[ls] == '-' && after <= p.bodyEnd && startsWith(ls, delim)) {
          boolean close = after + 1 < p.bodyEnd && m[after] == '-' && m[after + 1] == '-';
          boolean valid = close || after == p.bodyEnd || m[after] == ' ' || m[after] == '\t' || m[after] == '\r' || m[after] == '\n';
          if (valid) {
            if (partStart >= 0) {
              out.add(child(partStart, endBefore(partStart, ls), depth, digest));
            }
            if (close || parts >= MAX_PARTS) {
              partStart = -1;
              break;
            }
            partStart = next;
          }
        }
        ls = next;
      }
      if (partStart >= 0) {
        out.add(child(partStart, p.bodyEnd, depth, digest));
      }
    }
    if (out.isEmpty()) {
      out.add(plainText(p.bodyStart, p.bodyEnd));
    }
    return List.copyOf(out);
  }

  /** The end of a part's body: before the line break that belongs to the following delimiter. */
  private int endBefore(int partStart, int delimiter) {
    int e = delimiter;
    if (e > partStart && m[e - 1] == '\n') {
      e--;
      if (e > partStart && m[e - 1] == '\r') {
        e--;
      }
    }
    return e;
  }

  private MimePart child(int start, int end, int depth, boolean digest) {
    return entity(start, Math.max(start, end), depth + 1, false, digest, true);
  }

  private MimePart plainText(int start, int end) {
    parts++;
    MimePart p = new MimePart();
    p.headerStart = start;
    p.bodyStart = start;
    p.bodyEnd = end;
    p.type = "text";
    p.subtype = "plain";
    p.params = List.of("charset", "us-ascii");
    p.lines = lines(m, start, end);
    return p;
  }

  private boolean startsWith(int at, byte[] prefix) {
    for (int i = 0; i < prefix.length; i++) {
      if (m[at + i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  /** Lines in a body: its LFs, plus one for a last line without a line end. */
  static long lines(byte[] m, int from, int to) {
    long n = 0;
    for (int i = from; i < to; i++) {
      if (m[i] == '\n') {
        n++;
      }
    }
    return to > from && m[to - 1] != '\n' ? n + 1 : n;
  }

  // ----------------------------------------------------------------------------- content fields

  private static void contentFields(MimePart p, List<HeaderField> fields, boolean digestChild) {
    String ct = HeaderField.first(fields, "Content-Type");
    ParsedValue type = ct == null ? null : parseValue(ct);
    int slash = type == null ? -1 : type.value.indexOf('/');
    if (slash > 0 && isToken(type.value.substring(0, slash).trim()) && isToken(type.value.substring(slash + 1).trim())) {
      p.type = type.value.substring(0, slash).trim();
      p.subtype = type.value.substring(slash + 1).trim();
      p.params = type.params;
      if (p.isText() && p.param("charset") == null) {
        List<String> withCharset = new ArrayList<>(p.params);
        withCharset.add("charset");
        withCharset.add("us-ascii");
        p.params = List.copyOf(withCharset);
      }
    } else if (digestChild && ct == null) {
      p.type = "message"; // RFC 2046 §5.1.5: the default in a digest
      p.subtype = "rfc822";
    } else {
      p.type = "text";
      p.subtype = "plain";
      p.params = List.of("charset", "us-ascii");
    }
    p.id = HeaderField.first(fields, "Content-ID");
    p.description = HeaderField.first(fields, "Content-Description");
    String cte = HeaderField.first(fields, "Content-Transfer-Encoding");
    if (cte != null) {
      String v = parseValue(cte).value.trim();
      p.encoding = v.isEmpty() ? null : v;
    }
    p.md5 = HeaderField.first(fields, "Content-MD5");
    String cd = HeaderField.first(fields, "Content-Disposition");
    if (cd != null) {
      ParsedValue d = parseValue(cd);
      if (isToken(d.value.trim())) {
        p.disposition = d.value.trim();
        p.dispositionParams = d.params;
      }
    }
    String lang = HeaderField.first(fields, "Content-Language");
    if (lang != null) {
      List<String> tags = new ArrayList<>();
      for (String tag : stripComments(lang).split(",")) {
        if (!tag.isBlank()) {
          tags.add(tag.trim());
        }
      }
      p.language = tags.isEmpty() ? null : List.copyOf(tags);
    }
    p.location = HeaderField.first(fields, "Content-Location");
  }

  private record ParsedValue(String value, List<String> params) {}

  /** A structured field value and its parameters, via mime4j's field grammar, RFC 2231 joined. */
  private static ParsedValue parseValue(String value) {
    ByteArrayBuffer buf = new ByteArrayBuffer(value.length());
    for (int i = 0; i < value.length(); i++) {
      buf.append(value.charAt(i));
    }
    var body = RawFieldParser.DEFAULT.parseRawBody(buf, new ParserCursor(0, buf.length()));
    List<NameValuePair> params = new ArrayList<>();
    for (NameValuePair nv : body.getParams()) {
      params.add(new NameValuePair(byteString(nv.getName()), byteString(nv.getValue())));
    }
    return new ParsedValue(byteString(body.getValue()), joinRfc2231(params));
  }

  /**
   * mime4j's field parser reads 8-bit bytes as UTF-8 (malformed sequences as U+FFFD); back to a
   * byte string: valid UTF-8 comes back byte for byte, other 8-bit bytes as the UTF-8 of U+FFFD.
   */
  private static String byteString(String s) {
    return s == null ? "" : new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1);
  }

  private static final class Param {
    String plainName;
    String plainValue;
    String base;
    final TreeMap<Integer, String[]> sections = new TreeMap<>(); // n -> {value, "*" if extended}
  }

  /**
   * Joins RFC 2231 continuations: {@code name*0}, {@code name*1} … become one {@code name}; when
   * any section is extended ({@code name*}, {@code name*0*}), the result is one {@code name*} whose
   * value keeps the charset'language' prefix and the %-encoding, plain sections %-encoded to match.
   * A plain {@code name} beside a {@code name*} form is kept too: the client picks.
   */
  static List<String> joinRfc2231(List<NameValuePair> raw) {
    Map<String, Param> groups = new LinkedHashMap<>();
    for (NameValuePair nv : raw) {
      if (groups.size() >= MAX_PARAMS) {
        break;
      }
      String name = nv.getName() == null ? "" : nv.getName().trim();
      if (name.isEmpty()) {
        continue;
      }
      String value = nv.getValue() == null ? "" : nv.getValue();
      int star = name.indexOf('*');
      String base = star < 0 ? name : name.substring(0, star);
      if (base.isEmpty()) {
        continue;
      }
      Param g = groups.computeIfAbsent(base.toLowerCase(java.util.Locale.ROOT), k -> new Param());
      g.base = g.base == null ? base : g.base;
      if (star < 0) {
        if (g.plainName == null) {
          g.plainName = name;
          g.plainValue = value;
        }
        continue;
      }
      String rest = name.substring(star + 1);
      boolean extended = rest.endsWith("*");
      String digits = extended ? rest.substring(0, rest.length() - 1) : rest;
      int section;
      if (digits.isEmpty()) {
        section = 0;
        extended = true; // name*=charset'lang'value
      } else if (digits.length() <= 3 && digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
        section = Integer.parseInt(digits);
      } else {
        continue;
      }
      g.sections.putIfAbsent(section, new String[] {value, extended ? "*" : ""});
    }
    List<String> out = new ArrayList<>();
    for (Param g : groups.values()) {
      if (g.plainName != null) {
        out.add(g.plainName);
        out.add(g.plainValue);
      }
      if (g.sections.isEmpty()) {
        continue;
      }
      boolean extended = g.sections.values().stream().anyMatch(s -> !s[1].isEmpty());
      StringBuilder v = new StringBuilder();
      int expect = 0;
      for (var e : g.sections.entrySet()) {
        if (e.getKey() != expect++) {
          break; // a gap ends the value (RFC 2231 §3)
        }
        String[] s = e.getValue();
        v.append(extended && s[1].isEmpty() ? percentEncode(s[0]) : s[0]);
      }
      if (extended) {
        out.add(g.base + "*");
        out.add(v.toString());
      } else if (g.plainName == null) {
        out.add(g.base);
        out.add(v.toString());
      }
    }
    return List.copyOf(out);
  }

  private static String percentEncode(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c > ' ' && c < 0x7f && "*'%()<>@,;:\\\"/[]?=".indexOf(c) < 0) {
        sb.append(c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit((c >> 4) & 0xf, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return sb.toString();
  }

  private static boolean isToken(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 0x7f || "()<>@,;:\\\"/[]?=".indexOf(c) >= 0) {
        return false;
      }
    }
    return true;
  }

  private static String stripComments(String s) {
    StringBuilder sb = new StringBuilder();
    int depth = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && depth > 0) {
        depth--;
      } else if (depth == 0) {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
