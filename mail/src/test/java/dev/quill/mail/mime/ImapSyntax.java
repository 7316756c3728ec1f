package dev.quill.mail.mime;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A small checker for IMAP protocol data (RFC 9051 §4, §9): reads bytes into a tree of lists,
 * strings, numbers and NIL, rejecting anything unbalanced or malformed (bad quoting, 8-bit or CR/LF
 * in a quoted string, a literal whose length is wrong, trailing bytes), then checks the tree
 * against the envelope and body grammars.
 */
final class ImapSyntax {
  /** NIL in the tree. */
  static final Object NIL = new Object() {
    @Override
    public String toString() {
      return "NIL";
    }
  };

  private final byte[] b;
  private int pos;

  private ImapSyntax(byte[] b) {
    this.b = b;
  }

  /** Parses one value that must span all of {@code bytes}. */
  static Object parse(byte[] bytes) {
    ImapSyntax s = new ImapSyntax(bytes);
    Object v = s.value();
    if (s.pos != bytes.length) {
      throw new IllegalArgumentException("trailing bytes at " + s.pos);
    }
    return v;
  }

  private Object value() {
    if (pos >= b.length) {
      throw new IllegalArgumentException("unexpected end");
    }
    byte c = b[pos];
    if (c == '(') {
      pos++;
      List<Object> list = new ArrayList<>();
      if (pos < b.length && b[pos] == ')') {
        throw new IllegalArgumentException("empty list at " + pos);
      }
      while (true) {
        list.add(value());
        if (pos >= b.length) {
          throw new IllegalArgumentException("unbalanced list");
        }
        if (b[pos] == ')') {
          pos++;
          return list;
        }
        // lists of bodies in body-type-mpart follow each other without a space
        if (b[pos] == ' ') {
          pos++;
        } else if (b[pos] != '(' || !(list.getLast() instanceof List)) {
          throw new IllegalArgumentException("expected SP or ')' at " + pos);
        }
      }
    }
    if (c == '"') {
      pos++;
      StringBuilder sb = new StringBuilder();
      while (true) {
        if (pos >= b.length) {
          throw new IllegalArgumentException("unterminated quoted string");
        }
        int d = b[pos++] & 0xff;
        if (d == '"') {
          return sb.toString();
        }
        if (d == '\\') {
          if (pos >= b.length || (b[pos] != '"' && b[pos] != '\\')) {
            throw new IllegalArgumentException("bad escape at " + pos);
          }
          d = b[pos++];
        } else if (d == '\r' || d == '\n' || d == 0 || d > 0x7f) {
          throw new IllegalArgumentException("byte " + d + " in a quoted string at " + (pos - 1));
        }
        sb.append((char) d);
      }
    }
    if (c == '{') {
      int close = pos;
      while (close < b.length && b[close] != '}') {
        close++;
      }
      int n = Integer.parseInt(new String(b, pos + 1, close - pos - 1, StandardCharsets.US_ASCII));
      if (close + 2 >= b.length + 1 || b[close + 1] != '\r' || b[close + 2] != '\n' || close + 3 + n > b.length) {
        throw new IllegalArgumentException("bad literal at " + pos);
      }
      for (int i = close + 3; i < close + 3 + n; i++) {
        if (b[i] == 0) {
          throw new IllegalArgumentException("NUL in a literal at " + i);
        }
      }
      String s = new String(b, close + 3, n, StandardCharsets.ISO_8859_1);
      pos = close + 3 + n;
      return s;
    }
    int start = pos;
    while (pos < b.length && b[pos] != ' ' && b[pos] != ')' && b[pos] != '(') {
      pos++;
    }
    String atom = new String(b, start, pos - start, StandardCharsets.US_ASCII);
    if (atom.equals("NIL")) {
      return NIL;
    }
    if (!atom.isEmpty() && atom.chars().allMatch(Character::isDigit)) {
      return Long.parseLong(atom);
    }
    throw new IllegalArgumentException("unexpected atom '" + atom + "' at " + start);
  }

  // ------------------------------------------------------------------------------------ grammar

  static void checkEnvelope(Object v) {
    List<?> l = list(v, "envelope");
    require(l.size() == 10, "envelope has 10 fields: " + l.size());
    nstring(l.get(0));
    nstring(l.get(1));
    for (int i = 2; i < 8; i++) {
      if (l.get(i) != NIL) {
        for (Object a : list(l.get(i), "address list")) {
          List<?> addr = list(a, "address");
          require(addr.size() == 4, "address has 4 fields");
          addr.forEach(ImapSyntax::nstring);
        }
      }
    }
    nstring(l.get(8));
    nstring(l.get(9));
  }

  static void checkBody(Object v, boolean ext) {
    List<?> l = list(v, "body");
    if (l.getFirst() instanceof List) {
      int i = 0;
      while (i < l.size() && l.get(i) instanceof List) {
        checkBody(l.get(i++), ext);
      }
      require(i < l.size() && l.get(i++) instanceof String, "multipart subtype");
      if (ext) {
        require(l.size() - i == 4, "body-ext-mpart has 4 fields");
        params(l.get(i));
        tail(l, i + 1);
      } else {
        require(i == l.size(), "BODY multipart has no extension data");
      }
      return;
    }
    require(l.size() >= 7, "body-fields");
    String type = string(l.get(0));
    String subtype = string(l.get(1));
    params(l.get(2));
    nstring(l.get(3));
    nstring(l.get(4));
    string(l.get(5));
    require(l.get(6) instanceof Long, "body-fld-octets");
    int i = 7;
    if (type.equalsIgnoreCase("message") && (subtype.equalsIgnoreCase("rfc822") || subtype.equalsIgnoreCase("global"))) {
      checkEnvelope(l.get(i++));
      checkBody(l.get(i++), ext);
      require(l.get(i++) instanceof Long, "message lines");
    } else if (type.equalsIgnoreCase("text")) {
      require(l.get(i++) instanceof Long, "text lines");
    }
    if (ext) {
      require(l.size() - i == 4, "body-ext-1part has 4 fields");
      nstring(l.get(i));
      tail(l, i + 1);
    } else {
      require(i == l.size(), "BODY has no extension data");
    }
  }

  private static void tail(List<?> l, int i) {
    if (l.get(i) != NIL) {
      List<?> dsp = list(l.get(i), "disposition");
      require(dsp.size() == 2, "disposition has 2 fields");
      string(dsp.get(0));
      params(dsp.get(1));
    }
    if (l.get(i + 1) instanceof List<?> langs) {
      langs.forEach(ImapSyntax::string);
    } else {
      nstring(l.get(i + 1));
    }
    nstring(l.get(i + 2));
  }

  private static void params(Object v) {
    if (v != NIL) {
      List<?> p = list(v, "params");
      require(p.size() % 2 == 0, "params come in pairs");
      p.forEach(ImapSyntax::string);
    }
  }

  private static List<?> list(Object v, String what) {
    require(v instanceof List<?> l && !l.isEmpty(), what + " is a list: " + v);
    return (List<?>) v;
  }

  private static String string(Object v) {
    require(v instanceof String, "string expected: " + v);
    return (String) v;
  }

  private static void nstring(Object v) {
    require(v == NIL || v instanceof String, "nstring expected: " + v);
  }

  private static void require(boolean ok, String what) {
    if (!ok) {
      throw new IllegalArgumentException(what);
    }
  }
}
