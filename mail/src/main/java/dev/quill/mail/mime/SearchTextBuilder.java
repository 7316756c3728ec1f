package dev.quill.mail.mime;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.util.CharsetUtil;

/**
 * Builds the stored form of {@link SearchableText} from a message and its {@link MimePart} tree.
 *
 * <p>Charsets: a part's charset parameter is looked up with mime4j's {@link CharsetUtil} (aliases
 * included) and decoded with replacement of malformed input. An absent, unknown or us-ascii charset
 * is read as UTF-8 when the bytes are valid UTF-8 and as windows-1252 otherwise (mislabelled
 * 8-bit mail is common). Header values with raw 8-bit bytes are read the same way.
 */
final class SearchTextBuilder {
  /** Most bytes of searchable text kept per message (header and body sections together). */
  static final int MAX_TEXT = 1024 * 1024;
  /** Most bytes of the header section. */
  static final int MAX_HEADER = 256 * 1024;

  private static final Charset FALLBACK = fallback();

  private final byte[] m;
  private final Sink header = new Sink(MAX_HEADER);
  private final Sink body = new Sink(MAX_TEXT);

  private SearchTextBuilder(byte[] m) {
    this.m = m;
  }

  static byte[] build(byte[] message, MimePart root) {
    SearchTextBuilder b = new SearchTextBuilder(message);
    b.fields(root, b.header);
    b.body.limit = MAX_TEXT - b.header.size();
    b.content(root, 0);
    ByteArrayOutputStream out = new ByteArrayOutputStream(b.header.size() + b.body.size() + 6);
    out.write(SearchableText.VERSION);
    for (long v = b.header.size(); ; v >>>= 7) {
      if (v < 0x80) {
        out.write((int) v);
        break;
      }
      out.write((int) (v & 0x7f) | 0x80);
    }
    out.writeBytes(b.header.toByteArray());
    out.writeBytes(b.body.toByteArray());
    return out.toByteArray();
  }

  /** The header fields of a message entity, one "name:value" line each. */
  private void fields(MimePart p, Sink sink) {
    List<HeaderField> fields = new ArrayList<>();
    HeaderField.scan(m, p.headerStart, p.bodyStart, fields, false);
    for (HeaderField f : fields) {
      if (f.name() == null || sink.full()) {
        continue;
      }
      String value = decodeHeaderValue(f.value());
      sink.append(f.name().toLowerCase(Locale.ROOT) + ":" + SearchableText.fold(value) + "\n");
    }
  }

  private void content(MimePart p, int depth) {
    if (body.full() || depth > 2 * StructureParser.MAX_DEPTH + 2) {
      return;
    }
    if (!p.children.isEmpty()) {
      for (MimePart c : p.children) {
        content(c, depth + 1);
      }
    } else if (p.message != null) {
      fields(p.message, body);
      content(p.message, depth + 1);
    } else if (p.isText()) {
      // bound the input by what can still be kept (encodings never shrink text below 1/4)
      long cap = (long) body.remaining() * 4 + 4096;
      int end = (int) Math.min(p.bodyEnd, p.bodyStart + cap);
      byte[] decoded = TransferDecoding.decode(p.encoding, m, p.bodyStart, end).orElse(null);
      if (decoded == null) {
        return;
      }
      boolean html = "html".equalsIgnoreCase(p.subtype);
      if (!html && asciiCompatible(p.param("charset")) && isAscii(decoded)) {
        body.appendFoldedAscii(decoded); // the common case, in one pass: every ASCII-compatible charset reads it alike
        return;
      }
      String text = decodeText(decoded, p.param("charset"));
      if (html) {
        text = Html.strip(text);
      }
      body.append(SearchableText.fold(text.replace("\r\n", "\n")) + "\n");
    }
  }

  // Charsets in which bytes below 0x80 always mean ASCII (not UTF-16/32, UTF-7 or ISO-2022, for example).
  private static boolean asciiCompatible(String charset) {
    if (charset == null) {
      return true;
    }
    String c = charset.strip().toLowerCase(java.util.Locale.ROOT);
    return c.equals("us-ascii") || c.equals("ascii") || c.equals("utf-8") || c.equals("utf8")
        || c.startsWith("iso-8859-") || c.startsWith("windows-125") || c.startsWith("cp125");
  }

  private static boolean isAscii(byte[] b) {
    for (byte x : b) {
      if (x < 0) {
        return false;
      }
    }
    return true;
  }

  static String decodeHeaderValue(String latin1) {
    String v = latin1;
    if (hasEightBit(v)) {
      v = decodeText(v.getBytes(StandardCharsets.ISO_8859_1), null);
    }
    try {
      v = DecoderUtil.decodeEncodedWords(v, DecodeMonitor.SILENT);
    } catch (RuntimeException e) {
      // keep the undecoded value
    }
    StringBuilder sb = new StringBuilder(v.length());
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      sb.append(c < ' ' || c == 0x7f ? ' ' : c);
    }
    return sb.toString();
  }

  static String decodeText(byte[] bytes, String charsetName) {
    Charset cs = null;
    if (charsetName != null) {
      try {
        cs = CharsetUtil.lookup(charsetName.trim());
      } catch (RuntimeException e) {
        cs = null;
      }
    }
    if (cs == null || cs.equals(StandardCharsets.US_ASCII)) {
      try {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
      } catch (CharacterCodingException e) {
        cs = FALLBACK;
      }
    }
    try {
      CharBuffer chars = cs.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(bytes));
      return chars.toString();
    } catch (CharacterCodingException | RuntimeException e) {
      return new String(bytes, FALLBACK);
    }
  }

  private static boolean hasEightBit(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) > 0x7f) {
        return true;
      }
    }
    return false;
  }

  private static Charset fallback() {
    try {
      return Charset.forName("windows-1252");
    } catch (RuntimeException e) {
      return StandardCharsets.ISO_8859_1;
    }
  }

  /** A byte buffer that keeps at most {@code limit} bytes, cut at a UTF-8 character boundary. */
  private static final class Sink extends ByteArrayOutputStream {
    int limit;

    Sink(int limit) {
      this.limit = limit;
    }

    int remaining() {
      return Math.max(0, limit - count);
    }

    boolean full() {
      return count >= limit;
    }

    /** Appends ASCII text folded to lower case, CRLF as LF, then a LF; as {@code append(fold(text) + "\n")}. */
    void appendFoldedAscii(byte[] b) {
      // Fold into a local array and write once: ByteArrayOutputStream.write(int) locks per byte.
      byte[] out = new byte[Math.min(b.length + 1, remaining())];
      int n = 0;
      for (int i = 0; i < b.length && n < out.length; i++) {
        byte c = b[i];
        if (c == '\r' && i + 1 < b.length && b[i + 1] == '\n') {
          continue;
        }
        out[n++] = c >= 'A' && c <= 'Z' ? (byte) (c + 32) : c;
      }
      if (n < out.length) {
        out[n++] = '\n';
      }
      write(out, 0, n);
      if (full()) {
        limit = count; // once cut, stay full
      }
    }

    void append(String s) {
      if (full()) {
        return;
      }
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      int n = Math.min(b.length, remaining());
      while (n < b.length && n > 0 && (b[n] & 0xc0) == 0x80) {
        n--; // do not split a character
      }
      write(b, 0, n);
      if (n < b.length) {
        limit = count; // once cut, stay full
      }
    }
  }
}
