package dev.quill.mail.smtp.codec;

import java.util.ArrayList;
import java.util.List;

/**
 * One SMTP reply: a three-digit code, an optional RFC 3463 enhanced status code and one or more
 * lines of text. {@link #lines()} renders it for the wire ({@code "250-first"}, ..., {@code
 * "250 last"}), without the CRLF that the writer appends.
 *
 * <p>Standards: RFC 5321 §4.2 (reply lines), RFC 2034 and RFC 3463 (enhanced status codes).
 *
 * @param code the reply code, 200..599
 * @param enhanced the enhanced status code such as {@code "5.5.1"}, or null for replies that carry
 *     none (the greeting, EHLO, 354, SASL challenges)
 * @param text the text lines; the enhanced code is repeated on each line
 */
public record SmtpReply(int code, String enhanced, List<String> text) {

  public SmtpReply {
    if (code < 200 || code > 599) {
      throw new IllegalArgumentException("reply code " + code + " is outside 200..599");
    }
    text = List.copyOf(text);
    if (text.isEmpty()) {
      throw new IllegalArgumentException("a reply needs at least one line of text");
    }
  }

  /** A one-line reply with an enhanced status code. */
  public static SmtpReply of(int code, String enhanced, String text) {
    return new SmtpReply(code, enhanced, List.of(text));
  }

  /** A one-line reply without an enhanced status code. */
  public static SmtpReply plain(int code, String text) {
    return new SmtpReply(code, null, List.of(text));
  }

  /** The same code and enhanced status with other text. */
  public SmtpReply withText(String newText) {
    return new SmtpReply(code, enhanced, List.of(newText));
  }

  /** Whether this is a 4xx or 5xx reply. */
  public boolean isError() {
    return code >= 400;
  }

  /** The wire lines, each without CRLF. */
  public List<String> lines() {
    List<String> out = new ArrayList<>(text.size());
    for (int i = 0; i < text.size(); i++) {
      StringBuilder sb = new StringBuilder(8 + text.get(i).length());
      sb.append(code).append(i == text.size() - 1 ? ' ' : '-');
      if (enhanced != null) {
        sb.append(enhanced).append(' ');
      }
      sb.append(text.get(i));
      out.add(sb.toString());
    }
    return out;
  }

  /** The first wire line, for logs. */
  @Override
  public String toString() {
    return code + (enhanced == null ? "" : " " + enhanced) + " " + text.getFirst()
        + (text.size() > 1 ? " (+" + (text.size() - 1) + " lines)" : "");
  }
}
