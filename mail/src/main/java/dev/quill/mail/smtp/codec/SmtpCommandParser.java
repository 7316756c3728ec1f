package dev.quill.mail.smtp.codec;

import dev.quill.mail.net.LineReader;
import dev.quill.mail.smtp.codec.SmtpCommand.Invalid;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Turns one SMTP command line into an {@link SmtpCommand}. It never throws and never sees the
 * session: every line, however malformed, becomes some command, and lines that cannot be parsed
 * become {@link Invalid} with the reply to send. Methods are named after the RFC 5321 §4.1.2
 * grammar productions ({@code reversePath}, {@code forwardPath}, {@code mailbox}, {@code
 * localPart}, {@code domain}, {@code addressLiteral}, {@code esmtpParams}).
 *
 * <p>Leniency, as in common servers: verbs are case-insensitive, spaces after the colon of
 * {@code MAIL FROM:} / {@code RCPT TO:} and between parameters are accepted, and trailing spaces
 * are ignored. Source routes ({@code <@a,@b:user@c>}) are accepted and dropped (§4.1.1.3). A
 * quoted local part that needs no quoting is unquoted.
 *
 * <p>Standards: RFC 5321 (commands, paths, line length §4.5.3.1.4), RFC 6531 (UTF-8 in paths),
 * RFC 4954 §4 (AUTH lines up to 12288 octets), RFC 3030 (BDAT), RFC 1869 (esmtp-param).
 *
 * <p>Security: NUL, bare CR and bare LF are rejected (a CR or LF that is not part of CRLF is how
 * SMTP smuggling hides a second command or message from a peer that frames lines differently).
 * Lines longer than the limit are rejected without being interpreted. Lines that look like HTTP
 * (a request line or a header) are reported as {@link SmtpCommand.NonSmtp} so that the session
 * can drop cross-protocol attacks, as Postfix does. Instances are immutable and thread-safe.
 */
public final class SmtpCommandParser {

  /** The longest AUTH command line, CRLF included (RFC 4954 §4). */
  public static final int MAX_AUTH_LINE = 12288;

  /** RFC 5321 §4.5.3.1.1-3: local part 64 octets, domain 255, path 256 (brackets included). */
  static final int MAX_LOCAL_PART = 64;
  static final int MAX_DOMAIN = 255;
  static final int MAX_PATH = 256;
  private static final int MAX_PARAMS = 16;

  private static final Set<String> HTTP_METHODS =
      Set.of("GET", "POST", "HEAD", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

  private final int commandLineLimit;

  /**
   * @param commandLineLimit the longest command line in octets, CRLF included (RFC 5321: 512);
   *     AUTH lines may be up to {@link #MAX_AUTH_LINE}
   */
  public SmtpCommandParser(int commandLineLimit) {
    if (commandLineLimit < 16) {
      throw new IllegalArgumentException("command line limit " + commandLineLimit + " is below 16 octets");
    }
    this.commandLineLimit = commandLineLimit;
  }

  /** The read limit to pass to {@link LineReader#readLine(int)}: long enough for AUTH lines. */
  public int readLimit() {
    return Math.max(commandLineLimit, MAX_AUTH_LINE) - 2;
  }

  /** Parses a line as framed by {@link LineReader}, judging its framing flags first. */
  public SmtpCommand parse(LineReader.Line line) {
    if (line.tooLong()) {
      return new Invalid("", SmtpReplies.LINE_TOO_LONG);
    }
    if (line.bareLf()) {
      return new Invalid("", SmtpReplies.BARE_LF);
    }
    return parse(line.bytes());
  }

  /** Parses one line without its CRLF. */
  public SmtpCommand parse(byte[] bytes) {
    boolean nonAscii = false;
    for (byte b : bytes) {
      if (b == 0) {
        return new Invalid("", SmtpReplies.NUL_CHARACTER);
      } else if (b == '\r') {
        return new Invalid("", SmtpReplies.BARE_CR);
      } else if (b == '\n') {
        return new Invalid("", SmtpReplies.BARE_LF);
      } else if (b < 0) {
        nonAscii = true;
      }
    }
    String line = nonAscii ? utf8(bytes) : new String(bytes, StandardCharsets.ISO_8859_1);
    if (line == null) {
      return new Invalid("", SmtpReplies.BAD_UTF8);
    }
    line = stripTrailing(line);
    if (line.isEmpty()) {
      return new Invalid("", SmtpReplies.EMPTY_COMMAND);
    }
    int sp = line.indexOf(' ');
    String rawVerb = sp < 0 ? line : line.substring(0, sp);
    String verb = upper(rawVerb);
    String arg = sp < 0 ? "" : line.substring(sp + 1);
    if (bytes.length > commandLineLimit - 2 && !verb.equals("AUTH")) {
      return new Invalid(knownVerb(verb), SmtpReplies.LINE_TOO_LONG);
    }
    if (HTTP_METHODS.contains(verb) || (rawVerb.length() > 1 && rawVerb.endsWith(":") && sp >= 0)) {
      return new SmtpCommand.NonSmtp(line);
    }
    return switch (verb) {
      case "EHLO" -> helo(arg, true);
      case "HELO" -> helo(arg, false);
      case "MAIL" -> mail(arg);
      case "RCPT" -> rcpt(arg);
      case "DATA" -> arg.isEmpty() ? new SmtpCommand.Data() : new Invalid(verb, SmtpReplies.NO_PARAMETERS_ALLOWED);
      case "BDAT" -> bdat(arg);
      case "RSET" -> arg.isEmpty() ? new SmtpCommand.Rset() : new Invalid(verb, SmtpReplies.NO_PARAMETERS_ALLOWED);
      case "NOOP" -> new SmtpCommand.Noop();
      case "QUIT" -> arg.isEmpty() ? new SmtpCommand.Quit() : new Invalid(verb, SmtpReplies.NO_PARAMETERS_ALLOWED);
      case "HELP" -> new SmtpCommand.Help(arg.strip());
      case "VRFY" -> arg.isBlank() ? new Invalid(verb, SmtpReplies.SYNTAX_VRFY) : new SmtpCommand.Vrfy(arg.strip());
      case "EXPN" -> new SmtpCommand.Expn(arg.strip());
      case "STARTTLS" ->
          arg.isEmpty() ? new SmtpCommand.StartTls() : new Invalid(verb, SmtpReplies.NO_PARAMETERS_ALLOWED);
      case "AUTH" -> auth(arg);
      default -> new SmtpCommand.Unknown(verb.length() > 16 ? verb.substring(0, 16) : verb);
    };
  }

  // ---- commands ------------------------------------------------------------------------------

  private static SmtpCommand helo(String arg, boolean extended) {
    String domain = arg.strip();
    int sp = domain.indexOf(' ');
    if (sp > 0) {
      domain = domain.substring(0, sp); // XXX lenient: some clients add words after the name
    }
    if (domain.isEmpty() || domain.length() > MAX_DOMAIN) {
      return new Invalid(extended ? "EHLO" : "HELO", extended ? SmtpReplies.SYNTAX_EHLO : SmtpReplies.SYNTAX_HELO);
    }
    return extended ? new SmtpCommand.Ehlo(domain) : new SmtpCommand.Helo(domain);
  }

  private static SmtpCommand mail(String arg) {
    if (!startsWithIgnoreCase(arg, "FROM:")) {
      return new Invalid("MAIL", SmtpReplies.SYNTAX_MAIL);
    }
    Cursor c = new Cursor(arg, 5);
    c.skipSpaces();
    if (!c.at('<')) {
      return new Invalid("MAIL", SmtpReplies.SYNTAX_MAIL);
    }
    Path path = reversePath(c);
    if (path == null) {
      return new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX);
    }
    Object params = esmtpParams(c);
    if (params instanceof SmtpReply error) {
      return new Invalid("MAIL", error);
    }
    @SuppressWarnings("unchecked")
    Map<String, String> map = (Map<String, String>) params;
    return new SmtpCommand.Mail(path.mailbox(), map);
  }

  private static SmtpCommand rcpt(String arg) {
    if (!startsWithIgnoreCase(arg, "TO:")) {
      return new Invalid("RCPT", SmtpReplies.SYNTAX_RCPT);
    }
    Cursor c = new Cursor(arg, 3);
    c.skipSpaces();
    if (!c.at('<')) {
      return new Invalid("RCPT", SmtpReplies.SYNTAX_RCPT);
    }
    Mailbox mailbox = forwardPath(c);
    if (mailbox == null) {
      return new Invalid("RCPT", SmtpReplies.BAD_RECIPIENT_SYNTAX);
    }
    Object params = esmtpParams(c);
    if (params instanceof SmtpReply error) {
      return new Invalid("RCPT", error);
    }
    @SuppressWarnings("unchecked")
    Map<String, String> map = (Map<String, String>) params;
    return new SmtpCommand.Rcpt(mailbox, map);
  }

  private static SmtpCommand bdat(String arg) {
    String[] words = arg.strip().split(" +");
    if (words.length < 1 || words.length > 2 || words[0].isEmpty()) {
      return new Invalid("BDAT", SmtpReplies.SYNTAX_BDAT);
    }
    String digits = words[0];
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
        return new Invalid("BDAT", SmtpReplies.SYNTAX_BDAT);
      }
    }
    // Longer than 18 digits cannot fit any limit; report it as the largest size so that the
    // session refuses it by size rather than by syntax.
    long size = digits.length() > 18 ? Long.MAX_VALUE : Long.parseLong(digits);
    boolean last = words.length == 2;
    if (last && !words[1].equalsIgnoreCase("LAST")) {
      return new Invalid("BDAT", SmtpReplies.SYNTAX_BDAT);
    }
    return new SmtpCommand.Bdat(size, last);
  }

  private static SmtpCommand auth(String arg) {
    String[] words = arg.strip().split(" +");
    if (words.length < 1 || words.length > 2 || words[0].isEmpty() || words[0].length() > 20) {
      return new Invalid("AUTH", SmtpReplies.SYNTAX_AUTH);
    }
    for (int i = 0; i < words[0].length(); i++) {
      char ch = words[0].charAt(i);
      if (!(isAlpha(ch) || isDigit(ch) || ch == '-' || ch == '_')) {
        return new Invalid("AUTH", SmtpReplies.SYNTAX_AUTH);
      }
    }
    return new SmtpCommand.Auth(upper(words[0]), words.length == 2 ? words[1] : null);
  }

  // ---- paths (RFC 5321 §4.1.2) ---------------------------------------------------------------

  /** A parsed path: the mailbox, or null for the null reverse-path. */
  private record Path(Mailbox mailbox) {}

  /** Reverse-path = Path / "<>"; returns null on a syntax error. */
  private static Path reversePath(Cursor c) {
    int start = c.i;
    if (c.s.startsWith("<>", c.i)) {
      c.i += 2;
      return new Path(null);
    }
    Mailbox m = path(c);
    return m == null || c.i - start > MAX_PATH ? null : new Path(m);
  }

  /** Forward-path = Path / "<Postmaster>"; returns null on a syntax error. */
  static Mailbox forwardPath(Cursor c) {
    int start = c.i;
    if (c.s.regionMatches(true, c.i, "<Postmaster>", 0, 12)) {
      c.i += 12;
      return new Mailbox("postmaster", "");
    }
    Mailbox m = path(c);
    return m == null || c.i - start > MAX_PATH ? null : m;
  }

  /** Path = "<" [ A-d-l ":" ] Mailbox ">". */
  private static Mailbox path(Cursor c) {
    if (!c.eat('<')) {
      return null;
    }
    if (c.at('@') && !sourceRoute(c)) {
      return null;
    }
    Mailbox m = mailbox(c);
    return m != null && c.eat('>') ? m : null;
  }

  /** A-d-l = At-domain *( "," At-domain ) ":" — parsed and dropped. */
  private static boolean sourceRoute(Cursor c) {
    do {
      if (!c.eat('@') || domain(c) == null) {
        return false;
      }
    } while (c.eat(','));
    return c.eat(':');
  }

  /** Mailbox = Local-part "@" ( Domain / address-literal ). */
  static Mailbox mailbox(Cursor c) {
    String local = localPart(c);
    if (local == null || utf8Length(local) > MAX_LOCAL_PART || !c.eat('@')) {
      return null;
    }
    String domain = c.at('[') ? addressLiteral(c) : domain(c);
    if (domain == null || utf8Length(domain) > MAX_DOMAIN) {
      return null;
    }
    return new Mailbox(local, domain);
  }

  /** Local-part = Dot-string / Quoted-string. */
  private static String localPart(Cursor c) {
    return c.at('"') ? quotedString(c) : dotString(c);
  }

  /** Dot-string = Atom *("." Atom). */
  private static String dotString(Cursor c) {
    int start = c.i;
    if (!atom(c)) {
      return null;
    }
    while (c.at('.')) {
      c.i++;
      if (!atom(c)) {
        return null;
      }
    }
    return c.s.substring(start, c.i);
  }

  /** Atom = 1*atext; UTF-8 non-ASCII is atext under RFC 6531. */
  private static boolean atom(Cursor c) {
    int start = c.i;
    while (c.i < c.s.length() && isAtext(c.s.charAt(c.i))) {
      c.i++;
    }
    return c.i > start;
  }

  /**
   * Quoted-string = DQUOTE *QcontentSMTP DQUOTE. Returns the unquoted content when it is a valid
   * dot-string, otherwise the canonical quoted form.
   */
  private static String quotedString(Cursor c) {
    c.i++; // opening quote
    StringBuilder content = new StringBuilder();
    while (true) {
      if (c.i >= c.s.length()) {
        return null;
      }
      char ch = c.s.charAt(c.i++);
      if (ch == '"') {
        break;
      } else if (ch == '\\') {
        if (c.i >= c.s.length() || c.s.charAt(c.i) < 32 || c.s.charAt(c.i) > 126) {
          return null;
        }
        content.append(c.s.charAt(c.i++));
      } else if ((ch >= 32 && ch <= 126) || ch >= 0x80) {
        content.append(ch);
      } else {
        return null;
      }
    }
    String text = content.toString();
    Cursor probe = new Cursor(text, 0);
    if (!text.isEmpty() && dotString(probe) != null && probe.i == text.length()) {
      return text;
    }
    StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch == '"' || ch == '\\') {
        quoted.append('\\');
      }
      quoted.append(ch);
    }
    return quoted.append('"').toString();
  }

  /** Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str], or a U-label. */
  static String domain(Cursor c) {
    int start = c.i;
    while (true) {
      int label = c.i;
      while (c.i < c.s.length() && isLdh(c.s.charAt(c.i))) {
        c.i++;
      }
      int len = c.i - label;
      if (len == 0 || len > 63 || c.s.charAt(label) == '-' || c.s.charAt(c.i - 1) == '-') {
        return null;
      }
      if (!c.at('.')) {
        return c.s.substring(start, c.i);
      }
      c.i++;
    }
  }

  /** address-literal = "[" ( IPv4-address-literal / IPv6-address-literal / General-address-literal ) "]". */
  static String addressLiteral(Cursor c) {
    int start = c.i;
    int close = c.s.indexOf(']', start);
    if (close < 0) {
      return null;
    }
    String inner = c.s.substring(start + 1, close);
    boolean ok;
    if (inner.regionMatches(true, 0, "IPv6:", 0, 5)) {
      ok = inner.length() > 5 && inner.substring(5).chars().allMatch(ch -> isHex((char) ch) || ch == ':' || ch == '.');
    } else if (!inner.isEmpty() && isDigit(inner.charAt(0))) {
      ok = ipv4(inner);
    } else {
      int colon = inner.indexOf(':');
      ok = colon > 0 && colon < inner.length() - 1
          && inner.chars().allMatch(ch -> ch >= 33 && ch <= 126 && ch != '[' && ch != '\\' && ch != ']');
    }
    if (!ok) {
      return null;
    }
    c.i = close + 1;
    return c.s.substring(start, close + 1);
  }

  private static boolean ipv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(ch -> ch >= '0' && ch <= '9') || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  /**
   * Mail-parameters = esmtp-param *(SP esmtp-param); esmtp-param = esmtp-keyword ["=" esmtp-value].
   * Returns the parameters (keyword upper-cased) or the error reply.
   */
  static Object esmtpParams(Cursor c) {
    Map<String, String> params = new LinkedHashMap<>();
    if (c.i < c.s.length() && !c.at(' ')) {
      return SmtpReplies.BAD_PARAMETER; // junk right after '>'
    }
    for (String word : c.s.substring(c.i).split(" +")) {
      if (word.isEmpty()) {
        continue;
      }
      int eq = word.indexOf('=');
      String keyword = eq < 0 ? word : word.substring(0, eq);
      String value = eq < 0 ? null : word.substring(eq + 1);
      if (!esmtpKeyword(keyword) || (value != null && !esmtpValue(value))) {
        return SmtpReplies.BAD_PARAMETER;
      }
      if (params.size() >= MAX_PARAMS) {
        return SmtpReplies.BAD_PARAMETER;
      }
      String key = upper(keyword);
      if (params.containsKey(key)) {
        return SmtpReplies.DUPLICATE_PARAMETER;
      }
      params.put(key, value);
    }
    return params;
  }

  /** esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
  private static boolean esmtpKeyword(String k) {
    if (k.isEmpty() || !(isAlpha(k.charAt(0)) || isDigit(k.charAt(0)))) {
      return false;
    }
    for (int i = 1; i < k.length(); i++) {
      char ch = k.charAt(i);
      if (!(isAlpha(ch) || isDigit(ch) || ch == '-')) {
        return false;
      }
    }
    return true;
  }

  /** esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 under RFC 6531. */
  private static boolean esmtpValue(String v) {
    if (v.isEmpty()) {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char ch = v.charAt(i);
      if (!((ch >= 33 && ch <= 126 && ch != '=') || ch >= 0x80)) {
        return false;
      }
    }
    return true;
  }

  // ---- characters ----------------------------------------------------------------------------

  /** A position in the argument text. */
  static final class Cursor {
    final String s;
    int i;

    Cursor(String s, int i) {
      this.s = s;
      this.i = i;
    }

    boolean at(char ch) {
      return i < s.length() && s.charAt(i) == ch;
    }

    boolean eat(char ch) {
      if (at(ch)) {
        i++;
        return true;
      }
      return false;
    }

    void skipSpaces() {
      while (at(' ')) {
        i++;
      }
    }
  }

  private static boolean isAtext(char ch) {
    return isAlpha(ch) || isDigit(ch) || "!#$%&'*+-/=?^_`{|}~".indexOf(ch) >= 0 || ch >= 0x80;
  }

  private static boolean isLdh(char ch) {
    return isAlpha(ch) || isDigit(ch) || ch == '-' || ch >= 0x80;
  }

  private static boolean isAlpha(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
  }

  private static boolean isDigit(char ch) {
    return ch >= '0' && ch <= '9';
  }

  private static boolean isHex(char ch) {
    return isDigit(ch) || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
  }

  private static String knownVerb(String verb) {
    return switch (verb) {
      case "EHLO", "HELO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "HELP", "VRFY", "EXPN", "STARTTLS" ->
          verb;
      default -> "";
    };
  }

  private static boolean startsWithIgnoreCase(String s, String prefix) {
    return s.regionMatches(true, 0, prefix, 0, prefix.length());
  }

  /** ASCII upper case; other characters unchanged (no locale surprises such as Turkish i). */
  private static String upper(String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch >= 'a' && ch <= 'z') {
        char[] a = s.toCharArray();
        for (int j = i; j < a.length; j++) {
          if (a[j] >= 'a' && a[j] <= 'z') {
            a[j] = (char) (a[j] - 32);
          }
        }
        return new String(a);
      }
    }
    return s;
  }

  private static String stripTrailing(String s) {
    int end = s.length();
    while (end > 0 && (s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
      end--;
    }
    return end == s.length() ? s : s.substring(0, end);
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      n += ch < 0x80 ? 1 : ch < 0x800 ? 2 : Character.isSurrogate(ch) ? 2 : 3;
    }
    return n;
  }

  private static String utf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
