package dev.quill.bench;

import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Builds the synthetic test messages: RFC 5322 headers and a plain-text body of CRLF lines, exactly the requested
 * size before dot-stuffing.
 *
 * <p>Every eighth body line starts with a period and every 29th line is a lone period, so each message exercises
 * the sender's dot-stuffing and the receiver's un-stuffing. Body lines are at most 76 characters of lowercase
 * words. The size is exact whenever it is at least the length of the headers plus 4 (a blank line and one
 * line); a smaller request yields that minimum.
 */
public final class MessageBuilder {
  /** Longest body line built, without its CRLF. */
  static final int LINE_LENGTH = 76;

  private static final String[] WORDS = {
      "quill", "mail", "cluster", "node", "store", "replica", "queue", "message", "inbox", "relay", "sieve",
      "bench", "latency", "durable", "commit", "ledger", "header", "envelope", "folder", "archive", "token",
      "the", "of", "and", "a", "to", "in", "is", "it", "that", "for", "on", "with", "as", "was", "at"};
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ROOT);

  private final SplittableRandom random;

  /** A builder whose body text follows {@code seed}, so runs are repeatable. */
  public MessageBuilder(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** The envelope and header values of one message. */
  public record Envelope(String from, String to, String messageId, String subject, ZonedDateTime date) {}

  /** A typical envelope for message number {@code seq} of a run. */
  public static Envelope envelope(String from, String to, long seq, String runId) {
    return new Envelope(from, to, "<" + runId + "." + seq + "@bench.quill.test>", "quill bench message " + seq,
        ZonedDateTime.now(ZoneOffset.UTC));
  }

  /** Returns the message, lines ending in CRLF, of exactly {@code size} bytes (see the class comment). */
  public byte[] build(Envelope env, int size) {
    var sb = new StringBuilder(Math.max(size, 512));
    header(sb, "From", "Quill Bench <" + env.from() + ">");
    header(sb, "To", "<" + env.to() + ">");
    header(sb, "Subject", env.subject());
    header(sb, "Date", DATE.format(env.date()));
    header(sb, "Message-ID", env.messageId());
    header(sb, "MIME-Version", "1.0");
    header(sb, "Content-Type", "text/plain; charset=us-ascii");
    header(sb, "Content-Transfer-Encoding", "7bit");
    sb.append("\r\n");
    int remaining = Math.max(2, size - sb.length());
    for (int line = 0; remaining > 0; line++) {
      int wanted = line % 29 == 28 ? 1 : LINE_LENGTH;
      int length = Math.min(wanted, remaining - 2);
      if (remaining - length - 2 == 1) {
        length++; // one byte left over could not form a line of its own
      }
      if (line % 29 == 28 && length == 1) {
        sb.append('.');
      } else if (line % 8 == 3 && length > 0) {
        sb.append('.');
        words(sb, length - 1);
      } else {
        words(sb, length);
      }
      sb.append("\r\n");
      remaining -= length + 2;
    }
    return sb.toString().getBytes(StandardCharsets.US_ASCII);
  }

  private static void header(StringBuilder sb, String name, String value) {
    sb.append(name).append(": ").append(value).append("\r\n");
  }

  /** Appends exactly {@code length} characters of words separated by single spaces. */
  private void words(StringBuilder sb, int length) {
    int end = sb.length() + length;
    while (sb.length() < end) {
      String w = WORDS[random.nextInt(WORDS.length)];
      int room = end - sb.length();
      sb.append(w, 0, Math.min(w.length(), room));
      if (sb.length() < end) {
        sb.append(' ');
      }
    }
  }
}
