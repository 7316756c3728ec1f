package dev.quill.mail.imap.codec;

import dev.quill.mail.net.LineReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Assembles one IMAP command from the wire: its command line and every literal it announces
 * (RFC 9051 §4.3 {@code {n}} synchronizing, RFC 7888 {@code {n+}} non-synchronizing), then the
 * line that continues after each literal, until a line ends without a literal. The result is the
 * command's octets in wire form, for {@link ImapCommandParser}.
 *
 * <p>Size rules: the text lines of one command together are at most {@code lineLimit} octets
 * (literals excluded). Literals of APPEND may be up to {@code maxAppendLiteral} octets in total;
 * literals of any other command count against {@code lineLimit}, so a command is never larger than
 * about twice that in memory.
 *
 * <p>Standards: RFC 9051 §4.3 and §7.5 (literals and continuation requests), RFC 7888
 * (non-synchronizing literals); RFC 3516 {@code ~{n}} literal8 markers are read like literals.
 *
 * <p>Security: an over-long line is never buffered ({@link LineReader} skips it); a
 * synchronizing literal above the limit is refused before the client sends it (no "+"
 * continuation); a non-synchronizing one above the limit is read and discarded in
 * buffer-sized chunks, never held in memory. A line ended by a bare LF is accepted like CRLF:
 * IMAP commands are not relayed, so a bare LF carries no smuggling risk, and the literal octets
 * that follow are counted exactly, so a client cannot desynchronise the reader with them.
 */
public final class ImapRequestReader {

  /** Sends the "+ " continuation request for a synchronizing literal. */
  @FunctionalInterface
  public interface Continuation {
    /** Called before the reader waits for a synchronizing literal's octets. */
    void ready() throws IOException;
  }

  /** What the reader produced. */
  public sealed interface Request {}

  /** A complete command in wire form. */
  public record Command(byte[] bytes) implements Request {}

  /** A text line over the limit; {@code tag} is "*" when the first line was too long. */
  public record LineTooLong(String tag) implements Request {}

  /** A literal over the limit, refused; {@code append} when it was an APPEND message (NO [TOOBIG]). */
  public record LiteralTooBig(String tag, boolean append) implements Request {}

  private static final byte[] CRLF = {'\r', '\n'};

  private final LineReader reader;
  private final int lineLimit;
  private final long maxAppendLiteral;

  /**
   * @param reader the connection's line reader
   * @param lineLimit octets of command text (without literals) per command
   * @param maxAppendLiteral octets of literals per APPEND command
   */
  public ImapRequestReader(LineReader reader, int lineLimit, long maxAppendLiteral) {
    this.reader = reader;
    this.lineLimit = lineLimit;
    this.maxAppendLiteral = maxAppendLiteral;
  }

  /** Reads the next command; null at end of stream (also inside an unfinished command). */
  public Request next(Continuation continuation) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    int textLeft = lineLimit;
    long literalLeft = -1;
    String tag = null;
    boolean append = false;
    while (true) {
      LineReader.Line line = reader.readLine(Math.max(textLeft, 0));
      if (line == null) {
        return null;
      }
      if (line.tooLong()) {
        return new LineTooLong(tag == null ? "*" : tag);
      }
      byte[] bytes = line.bytes();
      textLeft -= bytes.length;
      if (tag == null) {
        tag = ImapCommandParser.tagOf(bytes);
        append = isAppend(bytes);
        literalLeft = append ? maxAppendLiteral : lineLimit;
      }
      out.write(bytes);
      long[] literal = literalAtEnd(bytes);
      if (literal == null) {
        return new Command(out.toByteArray());
      }
      long size = literal[0];
      boolean sync = literal[1] == 0;
      long allowed = append ? literalLeft : Math.min(literalLeft, textLeft);
      if (size > allowed) {
        if (!sync && !discard(size)) {
          return null;
        }
        return new LiteralTooBig(tag, append);
      }
      if (sync) {
        continuation.ready();
      }
      out.write(CRLF);
      if (!reader.readExactly(size, out)) {
        return null;
      }
      literalLeft -= size;
      if (!append) {
        textLeft -= (int) size;
      }
    }
  }

  /** Discards a refused non-synchronizing literal and any further ones of the same command. */
  private boolean discard(long size) throws IOException {
    long n = size;
    while (true) {
      if (!reader.readExactly(n, null)) {
        return false;
      }
      LineReader.Line rest = reader.readLine(lineLimit);
      if (rest == null) {
        return false;
      }
      long[] next = rest.tooLong() ? null : literalAtEnd(rest.bytes());
      if (next == null || next[1] == 0) {
        return true;
      }
      n = next[0];
    }
  }

  private static boolean isAppend(byte[] line) {
    String text = new String(line, 0, Math.min(line.length, 200), StandardCharsets.ISO_8859_1);
    int sp = text.indexOf(' ');
    return sp > 0 && text.length() >= sp + 7 && text.substring(sp + 1, sp + 7).toUpperCase(Locale.ROOT).equals("APPEND")
        && (text.length() == sp + 7 || text.charAt(sp + 7) == ' ');
  }

  /**
   * The literal announced at the end of a line: {size, 0} for a synchronizing {@code {n}}, {size, 1}
   * for a non-synchronizing {@code {n+}}; null when the line ends otherwise.
   */
  static long[] literalAtEnd(byte[] line) {
    int end = line.length - 1;
    if (end < 2 || line[end] != '}') {
      return null;
    }
    int i = end - 1;
    boolean nonSync = false;
    if (line[i] == '+') {
      nonSync = true;
      i--;
    }
    int digitsEnd = i;
    long n = 0;
    while (i >= 0 && line[i] >= '0' && line[i] <= '9') {
      i--;
    }
    if (i < 0 || line[i] != '{' || i == digitsEnd || digitsEnd - i > 18) {
      return null;
    }
    for (int k = i + 1; k <= digitsEnd; k++) {
      n = n * 10 + (line[k] - '0');
    }
    return new long[] {n, nonSync ? 1 : 0};
  }
}
