package dev.quill.bench;

import java.util.List;
import java.util.Locale;

/**
 * One complete IMAP server response as read from the wire: a tagged status, an untagged response ({@code * ...})
 * or a continuation request ({@code + ...}), with the literals it carried.
 *
 * <p>{@code lines} are the CRLF-terminated text pieces of the response, without their CRLFs; every piece but the
 * last ends in a literal marker {@code {n}}, and {@code literals.get(i)} holds the {@code n} bytes that followed
 * {@code lines.get(i)}. So {@code * 3 FETCH (UID 7 BODY[] {42}CRLF<42 bytes>)CRLF} is lines
 * {@code ["* 3 FETCH (UID 7 BODY[] {42}", ")"]} and one literal of 42 bytes.
 *
 * <p>The accessors below read only what the load generator needs (tag, status, response code, the number and
 * keyword of {@code * n KEYWORD} responses, numbers after an item name); they are not a full RFC 9051 parser.
 */
record ImapResponse(Kind kind, String tag, List<String> lines, List<byte[]> literals) {
  /** What kind of response this is. */
  enum Kind { TAGGED, UNTAGGED, CONTINUATION }

  /** Classifies a response from its text pieces and literals (see the class comment). */
  static ImapResponse of(List<String> lines, List<byte[]> literals) throws ProtocolException {
    String first = lines.getFirst();
    if (first.equals("+") || first.startsWith("+ ")) {
      return new ImapResponse(Kind.CONTINUATION, null, lines, literals);
    }
    if (first.startsWith("* ")) {
      return new ImapResponse(Kind.UNTAGGED, null, lines, literals);
    }
    int space = first.indexOf(' ');
    if (space <= 0) {
      throw new ProtocolException("malformed IMAP response: \"" + preview(first) + "\"");
    }
    return new ImapResponse(Kind.TAGGED, first.substring(0, space), lines, literals);
  }

  /** The first text piece, which holds the tag, status or keyword. */
  String first() {
    return lines.getFirst();
  }

  /** The whole response text with its literal markers but without the literals' bytes. */
  String text() {
    return lines.size() == 1 ? lines.getFirst() : String.join("", lines);
  }

  /**
   * The status of a tagged response ({@code OK}, {@code NO}, {@code BAD}) or the first word after {@code *} of an
   * untagged one ({@code OK}, {@code BYE}, {@code CAPABILITY}, {@code SEARCH}, or the number of {@code * 3 FETCH});
   * upper case; empty for a continuation.
   */
  String status() {
    if (kind == Kind.CONTINUATION) {
      return "";
    }
    String rest = kind == Kind.TAGGED ? first().substring(tag.length() + 1) : first().substring(2);
    int space = rest.indexOf(' ');
    return (space < 0 ? rest : rest.substring(0, space)).toUpperCase(Locale.ROOT);
  }

  boolean isOk() {
    return status().equals("OK");
  }

  /** For {@code * n KEYWORD ...}: n; otherwise -1. */
  long number() {
    if (kind != Kind.UNTAGGED) {
      return -1;
    }
    String s = status();
    if (s.isEmpty() || s.length() > 10) {
      return -1;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return -1;
      }
    }
    return Long.parseLong(s);
  }

  /** For {@code * n KEYWORD ...}: KEYWORD in upper case (FETCH, EXISTS, EXPUNGE, RECENT); otherwise empty. */
  String keyword() {
    if (number() < 0) {
      return "";
    }
    String rest = first().substring(2 + status().length()).stripLeading();
    int end = 0;
    while (end < rest.length() && Character.isLetterOrDigit(rest.charAt(end))) {
      end++;
    }
    return rest.substring(0, end).toUpperCase(Locale.ROOT);
  }

  /**
   * The response code of a status response, the text inside {@code [...]} right after the status word (e.g.
   * {@code APPENDUID 38505 3955} or {@code CAPABILITY IMAP4rev1 IDLE}); empty when there is none.
   */
  String code() {
    String f = first();
    int from = kind == Kind.TAGGED ? tag.length() + 1 : kind == Kind.UNTAGGED ? 2 : 1;
    from = skipSpaces(f, from);
    if (kind != Kind.CONTINUATION) {
      int space = f.indexOf(' ', from);
      if (space < 0) {
        return "";
      }
      from = skipSpaces(f, space);
    }
    if (from >= f.length() || f.charAt(from) != '[') {
      return "";
    }
    int end = f.indexOf(']', from);
    return end < 0 ? "" : f.substring(from + 1, end);
  }

  /**
   * The number following the item {@code name} (such as {@code UID} or {@code RFC822.SIZE}) in a FETCH response's
   * text, or -1. Only the text pieces are searched, never the literals, so header contents cannot confuse it.
   */
  long fetchItem(String name) {
    for (String line : lines) {
      int at = 0;
      while ((at = indexOfIgnoreCase(line, name, at)) >= 0) {
        int before = at - 1;
        int after = at + name.length();
        at = after;
        if (before >= 0 && line.charAt(before) != ' ' && line.charAt(before) != '(') {
          continue;
        }
        if (after >= line.length() || line.charAt(after) != ' ') {
          continue;
        }
        int end = after + 1;
        while (end < line.length() && end - after <= 19 && Character.isDigit(line.charAt(end))) {
          end++;
        }
        if (end > after + 1) {
          return Long.parseLong(line, after + 1, end, 10);
        }
      }
    }
    return -1;
  }

  /**
   * The flags of a FETCH response's {@code FLAGS (...)} item, as sent (e.g. {@code \\Seen}), or null when the
   * response has no such item. Only the text pieces are searched, never the literals.
   */
  java.util.Set<String> fetchFlags() {
    for (String line : lines) {
      int at = 0;
      while ((at = indexOfIgnoreCase(line, "FLAGS (", at)) >= 0) {
        int before = at - 1;
        at += "FLAGS (".length();
        if (before >= 0 && line.charAt(before) != ' ' && line.charAt(before) != '(') {
          continue;
        }
        int end = line.indexOf(')', at);
        if (end < 0) {
          return null;
        }
        java.util.Set<String> flags = new java.util.TreeSet<>();
        for (String f : line.substring(at, end).split(" +")) {
          if (!f.isEmpty()) {
            flags.add(f);
          }
        }
        return flags;
      }
    }
    return null;
  }

  /** The words after {@code * SEARCH}, parsed as numbers; empty for any other response. */
  long[] searchResults() {
    if (kind != Kind.UNTAGGED || !status().equals("SEARCH")) {
      return new long[0];
    }
    String rest = text().substring(2 + "SEARCH".length()).trim();
    if (rest.isEmpty()) {
      return new long[0];
    }
    return java.util.Arrays.stream(rest.split(" +")).filter(w -> !w.isEmpty() && Character.isDigit(w.charAt(0)))
        .mapToLong(Long::parseLong).toArray();
  }

  /** Total bytes of the literals. */
  long literalBytes() {
    long n = 0;
    for (byte[] literal : literals) {
      n += literal.length;
    }
    return n;
  }

  /** The text shortened for error messages. */
  String summary() {
    return preview(text());
  }

  private static String preview(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "..." : s;
  }

  private static int skipSpaces(String s, int i) {
    while (i < s.length() && s.charAt(i) == ' ') {
      i++;
    }
    return i;
  }

  private static int indexOfIgnoreCase(String s, String word, int from) {
    for (int i = from; i + word.length() <= s.length(); i++) {
      if (s.regionMatches(true, i, word, 0, word.length())) {
        return i;
      }
    }
    return -1;
  }
}
