package dev.quill.mail.smtp.codec;

import dev.quill.mail.net.LineReader;
import java.io.IOException;

/**
 * Reads the content that follows DATA up to the terminating {@code CRLF.CRLF}, removing the
 * transparency dots (RFC 5321 §4.5.2), and checks the content's framing while it streams: line
 * length, bare CR or LF, and total size. A message that breaks a rule is still read to its end,
 * so that the session stays in sync, but its bytes stop being stored once it is too big.
 *
 * <p>Also checks the content of BDAT chunks ({@link #checkLines}), which carry no dot-stuffing
 * but must still be CRLF text for 7BIT and 8BITMIME bodies.
 *
 * <p>Standards: RFC 5321 §4.1.1.4 (DATA), §4.5.2 (transparency), §4.5.3.1.6 (text line length),
 * §2.3.8 (CR and LF only as CRLF); RFC 3030 (CHUNKING).
 *
 * <p>Security: only {@code CRLF "." CRLF} ends the data. A "." line after a bare LF, or a "."
 * ended by a bare LF, is content, and any bare CR or LF rejects the message: servers that accept
 * other end-of-data forms can be made to see two messages where a filter in front of them saw
 * one (SMTP smuggling, CVE-2023-51764 and relatives). Memory per message is bounded by the
 * maximum size plus one line; the line reader bounds each line.
 */
public final class SmtpDataReader {
  private SmtpDataReader() {}

  /** How reading the content ended. */
  public enum Outcome {
    /** The content is complete and valid. */
    COMPLETE,
    /** The content is larger than the maximum; the bytes past the limit were not stored. */
    TOO_BIG,
    /** A text line is longer than the limit. */
    LINE_TOO_LONG,
    /** The content has a CR or LF that is not part of CRLF. */
    BARE_LINE_END,
    /** The connection ended before the terminating dot. */
    EOF;

    /** The reply for a rejected message, or null for {@link #COMPLETE} and {@link #EOF}. */
    public SmtpReply reply() {
      return switch (this) {
        case TOO_BIG -> SmtpReplies.MESSAGE_TOO_BIG;
        case LINE_TOO_LONG -> SmtpReplies.MESSAGE_LINE_TOO_LONG;
        case BARE_LINE_END -> SmtpReplies.MESSAGE_BARE_LINE_END;
        case COMPLETE, EOF -> null;
      };
    }
  }

  /**
   * The result of reading a message's content.
   *
   * @param outcome how it ended; the first rule broken wins
   * @param size the content's size in octets after un-stuffing, CRLFs included, counted to the end
   *     even past the limit
   */
  public record Result(Outcome outcome, long size) {}

  /**
   * Reads DATA content from {@code in} into {@code out} until {@code CRLF.CRLF}.
   *
   * @param textLineLimit the longest text line in octets, CRLF included (RFC 5321: 1000); 0 for none
   * @param maxSize the largest content in octets; larger content is counted but not stored
   */
  public static Result read(LineReader in, MessageBuffer out, int textLineLimit, long maxSize) throws IOException {
    int maxContent = textLineLimit <= 0 ? Integer.MAX_VALUE - 16 : textLineLimit - 2;
    // +1: a transparency dot does not count against the limit (§4.5.3.1.6)
    int readLimit = maxContent == Integer.MAX_VALUE - 16 ? maxContent : maxContent + 1;
    // Without a line limit, a line still cannot usefully be longer than the whole message.
    readLimit = (int) Math.min(readLimit, Math.max(maxSize, 1024) + 1);
    Outcome outcome = Outcome.COMPLETE;
    long size = 0;
    boolean afterCrlf = true; // the DATA command line ended with CRLF
    while (true) {
      LineReader.Line line = in.readLine(readLimit);
      if (line == null) {
        return new Result(Outcome.EOF, size);
      }
      if (line.bareLf()) {
        // Never the end of data, whatever it holds: only CRLF "." CRLF is.
        outcome = first(outcome, Outcome.BARE_LINE_END);
        size += line.length() + 2;
        afterCrlf = false;
        continue;
      }
      byte[] b = line.bytes();
      if (!line.tooLong() && afterCrlf && line.length() == 1 && b[0] == '.') {
        return new Result(outcome, size);
      }
      afterCrlf = true;
      if (line.tooLong()) {
        outcome = first(outcome, Outcome.LINE_TOO_LONG);
        size += line.length() + 2;
        continue;
      }
      int off = line.length() > 0 && b[0] == '.' ? 1 : 0;
      int len = line.length() - off;
      if (len > maxContent) {
        outcome = first(outcome, Outcome.LINE_TOO_LONG);
      }
      if (indexOfCr(b, off, line.length()) >= 0) {
        outcome = first(outcome, Outcome.BARE_LINE_END);
      }
      size += len + 2;
      if (size > maxSize) {
        outcome = first(outcome, Outcome.TOO_BIG);
      }
      if (outcome == Outcome.COMPLETE) {
        out.write(b, off, len);
        out.writeCrlf();
      }
    }
  }

  /**
   * Checks chunked (BDAT) content in {@code buf[from, to)}: every CR and LF form CRLF and no line
   * is longer than the limit. The content is complete, so a final line without CRLF is allowed.
   *
   * @param textLineLimit the longest text line in octets, CRLF included; 0 for none
   */
  public static Outcome checkLines(byte[] buf, int from, int to, int textLineLimit) {
    int maxContent = textLineLimit <= 0 ? Integer.MAX_VALUE : textLineLimit - 2;
    int lineStart = from;
    for (int i = from; i < to; i++) {
      byte ch = buf[i];
      if (ch == '\r') {
        if (i + 1 >= to || buf[i + 1] != '\n') {
          return Outcome.BARE_LINE_END;
        }
        if (i - lineStart > maxContent) {
          return Outcome.LINE_TOO_LONG;
        }
        i++;
        lineStart = i + 1;
      } else if (ch == '\n') {
        return Outcome.BARE_LINE_END;
      }
    }
    return to - lineStart > maxContent ? Outcome.LINE_TOO_LONG : Outcome.COMPLETE;
  }

  private static Outcome first(Outcome current, Outcome next) {
    return current == Outcome.COMPLETE ? next : current;
  }

  private static int indexOfCr(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == '\r') {
        return i;
      }
    }
    return -1;
  }
}
