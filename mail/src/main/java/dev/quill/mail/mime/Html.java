package dev.quill.mail.mime;

import java.util.Locale;
import java.util.Set;

/**
 * Rough HTML-to-text for search: drops tags, comments and the content of script and style
 * elements, turns block-level tags into a space, and decodes the common character references.
 * Not a renderer: the result is only ever searched.
 */
final class Html {
  private static final Set<String> BLOCK = Set.of("br", "p", "div", "td", "th", "tr", "li", "ul", "ol", "table",
      "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "title", "body", "head", "html");

  private Html() {}

  static String strip(String html) {
    StringBuilder out = new StringBuilder(html.length() / 2);
    int i = 0;
    int n = html.length();
    while (i < n) {
      char c = html.charAt(i);
      if (c == '<') {
        if (html.startsWith("<!--", i)) {
          int end = html.indexOf("-->", i + 4);
          i = end < 0 ? n : end + 3;
          continue;
        }
        int end = html.indexOf('>', i);
        if (end < 0) {
          break;
        }
        String name = tagName(html, i + 1, end);
        i = end + 1;
        if (name.equals("script") || name.equals("style")) {
          int close = indexOfIgnoreCase(html, "</" + name, i);
          i = close < 0 ? n : close;
          continue;
        }
        if (BLOCK.contains(name)) {
          out.append(' ');
        }
      } else if (c == '&') {
        int semi = html.indexOf(';', i);
        String decoded = semi > i && semi - i <= 10 ? entity(html.substring(i + 1, semi)) : null;
        if (decoded != null) {
          out.append(decoded);
          i = semi + 1;
        } else {
          out.append(c);
          i++;
        }
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static int indexOfIgnoreCase(String s, String what, int from) {
    for (int i = s.indexOf('<', from); i >= 0; i = s.indexOf('<', i + 1)) {
      if (s.regionMatches(true, i, what, 0, what.length())) {
        return i;
      }
    }
    return -1;
  }

  private static String tagName(String html, int from, int end) {
    int i = from;
    if (i < end && html.charAt(i) == '/') {
      i++;
    }
    int start = i;
    while (i < end && Character.isLetterOrDigit(html.charAt(i))) {
      i++;
    }
    return html.substring(start, i).toLowerCase(Locale.ROOT);
  }

  private static String entity(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "amp": return "&";
      case "lt": return "<";
      case "gt": return ">";
      case "quot": return "\"";
      case "apos": return "'";
      case "nbsp": return " ";
      default:
        break;
    }
    try {
      if (name.startsWith("#x") || name.startsWith("#X")) {
        return Character.toString(Integer.parseInt(name.substring(2), 16));
      }
      if (name.startsWith("#")) {
        return Character.toString(Integer.parseInt(name.substring(1)));
      }
    } catch (IllegalArgumentException e) {
      return null;
    }
    return null;
  }
}
