package dev.quill.mail.mime;

import dev.quill.mail.mime.Envelope.Address;
import java.util.ArrayList;
import java.util.List;

/**
 * A lenient RFC 5322 address-list parser producing IMAP address structures.
 *
 * <p>Not mime4j's {@code LenientAddressParser}: that one decodes encoded words in display names,
 * and ENVELOPE must carry them raw. Accepts the obsolete forms (routes, unquoted dots in phrases,
 * empty list elements), a comment as the name of a bare addr-spec ({@code a@b (Name)}), a group
 * anywhere in the list; never fails: what cannot be an address becomes a mailbox with an empty host.
 */
final class AddressParser {
  /** Most addresses kept per header. */
  static final int MAX_ADDRESSES = 1_000;

  private enum Kind { WORD, QUOTED, LITERAL, SPECIAL }

  /** A token: its text (quoted strings unescaped), its raw form, and whether whitespace preceded it. */
  private record Token(Kind kind, String text, String raw, boolean spaced, String comment) {
    boolean is(char c) {
      return kind == Kind.SPECIAL && text.charAt(0) == c;
    }
  }

  private AddressParser() {}

  static List<Address> parse(String value) {
    List<Token> t = tokenize(value);
    List<Address> out = new ArrayList<>();
    boolean inGroup = false;
    int i = 0;
    int n = t.size();
    while (i < n && out.size() < MAX_ADDRESSES) {
      int j = i;
      String comment = null;
      while (j < n && !(t.get(j).is('<') || t.get(j).is('@') || t.get(j).is(',') || t.get(j).is(';') || t.get(j).is(':'))) {
        comment = t.get(j).comment != null ? t.get(j).comment : comment;
        j++;
      }
      List<Token> phrase = t.subList(i, j);
      Token stop = j < n ? t.get(j) : null;
      if (stop != null && stop.is(':') && !inGroup) {
        out.add(Address.groupStart(phrase(phrase)));
        inGroup = true;
        i = j + 1;
        continue;
      }
      if (stop != null && stop.is('<')) {
        j = angle(t, j + 1, nullIfEmpty(phrase(phrase)), out);
      } else if (stop != null && stop.is('@')) {
        int k = j + 1;
        StringBuilder domain = new StringBuilder();
        while (k < n && !(t.get(k).is(',') || t.get(k).is(';') || t.get(k).is('<'))) {
          comment = t.get(k).comment != null ? t.get(k).comment : comment;
          domain.append(t.get(k).raw);
          k++;
        }
        String c = t.get(k - 1).comment != null ? t.get(k - 1).comment : comment;
        out.add(new Address(c, null, raw(phrase), domain.toString()));
        j = k;
      } else if (!phrase.isEmpty()) {
        out.add(new Address(null, null, raw(phrase), ""));
      }
      // skip to the end of this element
      while (j < n && !(t.get(j).is(',') || t.get(j).is(';'))) {
        j++;
      }
      if (j < n && t.get(j).is(';') && inGroup) {
        out.add(Address.GROUP_END);
        inGroup = false;
      }
      i = j + 1;
    }
    if (inGroup) {
      out.add(Address.GROUP_END);
    }
    return List.copyOf(out);
  }

  /** Parses an angle-addr after '<' ([route ':'] local '@' domain '>'); returns the index after it. */
  private static int angle(List<Token> t, int i, String name, List<Address> out) {
    int n = t.size();
    String adl = null;
    if (i < n && t.get(i).is('@')) {
      StringBuilder route = new StringBuilder();
      int k = i;
      while (k < n && !t.get(k).is(':') && !t.get(k).is('>')) {
        route.append(t.get(k).raw);
        k++;
      }
      if (k < n && t.get(k).is(':')) {
        adl = route.toString();
        i = k + 1;
      }
    }
    StringBuilder local = new StringBuilder();
    StringBuilder domain = null;
    while (i < n && !t.get(i).is('>') && !t.get(i).is(',') && !t.get(i).is(';')) {
      Token tok = t.get(i);
      if (tok.is('@') && domain == null) {
        domain = new StringBuilder();
      } else {
        (domain == null ? local : domain).append(tok.raw);
      }
      i++;
    }
    out.add(new Address(name, adl, local.toString(), domain == null ? "" : domain.toString()));
    return i < n && t.get(i).is('>') ? i + 1 : i;
  }

  /** A display name: words joined with single spaces where the source had whitespace. */
  private static String phrase(List<Token> tokens) {
    StringBuilder sb = new StringBuilder();
    for (Token tok : tokens) {
      if (tok.spaced && !sb.isEmpty()) {
        sb.append(' ');
      }
      sb.append(tok.text);
    }
    return sb.toString();
  }

  /** A local part or bare word as written (quoted strings keep their quotes), without whitespace. */
  private static String raw(List<Token> tokens) {
    StringBuilder sb = new StringBuilder();
    for (Token tok : tokens) {
      sb.append(tok.raw);
    }
    return sb.toString();
  }

  private static String nullIfEmpty(String s) {
    return s.isEmpty() ? null : s;
  }

  private static boolean isSpecial(char c) {
    return c == '<' || c == '>' || c == '@' || c == ',' || c == ';' || c == ':' || c == '.' || c == '"'
        || c == '(' || c == ')' || c == '[' || c == ']' || c == '\\';
  }

  /** Splits a header value into tokens; comments are attached to the token before them (or dropped). */
  private static List<Token> tokenize(String s) {
    List<Token> out = new ArrayList<>();
    int i = 0;
    int n = s.length();
    boolean spaced = false;
    while (i < n) {
      char c = s.charAt(i);
      if (c == ' ' || c == '\t') {
        spaced = true;
        i++;
      } else if (c == '(') {
        int depth = 0;
        StringBuilder comment = new StringBuilder();
        for (; i < n; i++) {
          char d = s.charAt(i);
          if (d == '\\' && i + 1 < n) {
            comment.append(s.charAt(++i));
            continue;
          }
          if (d == '(' && depth++ == 0) {
            continue;
          }
          if (d == ')' && --depth == 0) {
            i++;
            break;
          }
          comment.append(d);
        }
        if (!out.isEmpty()) {
          Token last = out.removeLast();
          String text = HeaderField.trim(comment);
          out.add(new Token(last.kind, last.text, last.raw, last.spaced, text.isEmpty() ? last.comment : text));
        }
        spaced = true;
      } else if (c == '"') {
        StringBuilder text = new StringBuilder();
        int start = i++;
        while (i < n && s.charAt(i) != '"') {
          if (s.charAt(i) == '\\' && i + 1 < n) {
            i++;
          }
          text.append(s.charAt(i++));
        }
        i = Math.min(n, i + 1);
        out.add(new Token(Kind.QUOTED, text.toString(), s.substring(start, i), spaced, null));
        spaced = false;
      } else if (c == '[') {
        int end = s.indexOf(']', i);
        end = end < 0 ? n : end + 1;
        out.add(new Token(Kind.LITERAL, s.substring(i, end), s.substring(i, end), spaced, null));
        i = end;
        spaced = false;
      } else if (isSpecial(c)) {
        String one = String.valueOf(c);
        // a dot is part of words (local parts, obsolete phrases), the rest separate
        out.add(new Token(c == '.' ? Kind.WORD : Kind.SPECIAL, one, one, spaced, null));
        i++;
        spaced = false;
      } else {
        int start = i;
        while (i < n && !isSpecial(s.charAt(i)) && s.charAt(i) != ' ' && s.charAt(i) != '\t') {
          i++;
        }
        out.add(new Token(Kind.WORD, s.substring(start, i), s.substring(start, i), spaced, null));
        spaced = false;
      }
    }
    return out;
  }
}
