package dev.quill.mail.imap.codec;

import dev.quill.mail.imap.codec.ImapCommand.AppendMessage;
import dev.quill.mail.mime.SectionSpec;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Parses one complete IMAP command, as assembled by {@link ImapRequestReader} (the command line
 * and its literals, in wire form: {@code {n}CRLF} followed by the literal's octets), into an
 * {@link ImapCommand}. The methods are named after the RFC 9051 §9 productions they read. The
 * parser never throws: anything malformed becomes {@link ImapCommand.Invalid}.
 *
 * <p>Standards: RFC 9051 §9 (formal syntax), RFC 3501 §9 (RFC822*, NEW/OLD/RECENT, LSUB, CHECK),
 * RFC 7162 (CONDSTORE/QRESYNC modifiers), RFC 5258 (LIST-EXTENDED), RFC 4731 (SEARCH RETURN),
 * RFC 6154 (CREATE USE), RFC 9208 (quota commands), RFC 3502 (MULTIAPPEND), RFC 4959 (SASL-IR).
 *
 * <p>Security: nesting of parenthesised search keys is bounded ({@link #MAX_DEPTH}), so a
 * hostile command cannot exhaust the stack; every literal's length is checked against the
 * octets actually present; numbers are bounded to 63 bits.
 */
public final class ImapCommandParser {
  /** The deepest nesting of parentheses and NOT/OR in a search program. */
  public static final int MAX_DEPTH = 64;

  private final byte[] in;
  private int pos;
  private int depth;
  private String tag = "*";

  private ImapCommandParser(byte[] in) {
    this.in = in;
  }

  /** Parses a command; never throws. */
  public static ImapCommand parse(byte[] command) {
    ImapCommandParser p = new ImapCommandParser(command);
    try {
      return p.command();
    } catch (ParseError e) {
      return new ImapCommand.Invalid(p.tag, e.getMessage());
    } catch (RuntimeException e) { // Safety: a parser bug must not end the session
      return new ImapCommand.Invalid(p.tag, "Invalid command");
    }
  }

  /** The tag of a command line, or "*" when none can be read; for errors found before parsing. */
  public static String tagOf(byte[] line) {
    ImapCommandParser p = new ImapCommandParser(line);
    try {
      return p.tag();
    } catch (ParseError e) {
      return "*";
    }
  }

  private static final class ParseError extends RuntimeException {
    ParseError(String message) {
      super(message, null, false, false);
    }
  }

  private ParseError error(String what) {
    return new ParseError(what);
  }

  // ---- Commands --------------------------------------------------------------------------

  private ImapCommand command() {
    tag = tag();
    sp();
    String name = atom().toUpperCase(Locale.ROOT);
    ImapCommand c = switch (name) {
      case "CAPABILITY" -> new ImapCommand.Capability(tag);
      case "NOOP" -> new ImapCommand.Noop(tag);
      case "CHECK" -> new ImapCommand.Check(tag);
      case "LOGOUT" -> new ImapCommand.Logout(tag);
      case "STARTTLS" -> new ImapCommand.StartTls(tag);
      case "AUTHENTICATE" -> authenticate();
      case "LOGIN" -> login();
      case "ENABLE" -> enable();
      case "ID" -> id();
      case "SELECT" -> select(false);
      case "EXAMINE" -> select(true);
      case "CREATE" -> create();
      case "DELETE" -> { sp(); yield new ImapCommand.Delete(tag, mailbox()); }
      case "RENAME" -> { sp(); String from = mailbox(); sp(); yield new ImapCommand.Rename(tag, from, mailbox()); }
      case "SUBSCRIBE" -> { sp(); yield new ImapCommand.Subscribe(tag, mailbox(), true); }
      case "UNSUBSCRIBE" -> { sp(); yield new ImapCommand.Subscribe(tag, mailbox(), false); }
      case "LIST" -> list();
      case "LSUB" -> lsub();
      case "NAMESPACE" -> new ImapCommand.Namespace(tag);
      case "STATUS" -> status();
      case "APPEND" -> append();
      case "IDLE" -> new ImapCommand.Idle(tag);
      case "CLOSE" -> new ImapCommand.Close(tag);
      case "UNSELECT" -> new ImapCommand.Unselect(tag);
      case "EXPUNGE" -> new ImapCommand.Expunge(tag, null);
      case "SEARCH" -> search(false);
      case "FETCH" -> fetch(false);
      case "STORE" -> store(false);
      case "COPY" -> copy(false, false);
      case "MOVE" -> copy(false, true);
      case "UID" -> uid();
      case "GETQUOTA" -> { sp(); yield new ImapCommand.GetQuota(tag, astring()); }
      case "GETQUOTAROOT" -> { sp(); yield new ImapCommand.GetQuotaRoot(tag, mailbox()); }
      case "SETQUOTA" -> { sp(); String root = astring(); sp(); skipRest(); yield new ImapCommand.SetQuota(tag, root); }
      default -> throw error("Unknown command");
    };
    end();
    return c;
  }

  private ImapCommand uid() {
    sp();
    String name = atom().toUpperCase(Locale.ROOT);
    return switch (name) {
      case "FETCH" -> fetch(true);
      case "STORE" -> store(true);
      case "COPY" -> copy(true, false);
      case "MOVE" -> copy(true, true);
      case "SEARCH" -> search(true);
      case "EXPUNGE" -> { sp(); yield new ImapCommand.Expunge(tag, sequenceSet()); }
      default -> throw error("Unknown UID command");
    };
  }

  private ImapCommand authenticate() {
    sp();
    String mechanism = atom().toUpperCase(Locale.ROOT);
    String initial = null;
    if (peekIs(' ')) {
      sp();
      int start = pos;
      while (pos < in.length && isBase64(in[pos])) {
        pos++;
      }
      if (pos == start) {
        throw error("Invalid initial response");
      }
      initial = ascii(start, pos);
      if (initial.equals("=")) {
        initial = "";
      }
    }
    return new ImapCommand.Authenticate(tag, mechanism, initial);
  }

  private ImapCommand login() {
    sp();
    String user = astring();
    sp();
    return new ImapCommand.Login(tag, user, astring());
  }

  private ImapCommand enable() {
    List<String> caps = new ArrayList<>();
    do {
      sp();
      caps.add(atom().toUpperCase(Locale.ROOT));
    } while (peekIs(' '));
    return new ImapCommand.Enable(tag, caps);
  }

  private ImapCommand id() {
    sp();
    if (peekIs('(')) {
      pos++;
      while (!peekIs(')')) {
        nstring();
        sp();
        nstring();
        if (peekIs(' ')) {
          pos++;
        }
      }
      pos++;
    } else {
      nil();
    }
    return new ImapCommand.Id(tag);
  }

  private ImapCommand select(boolean readOnly) {
    sp();
    String mailbox = mailbox();
    boolean condstore = false;
    ImapCommand.Qresync qresync = null;
    if (peekIs(' ')) {
      sp();
      expect('(');
      while (true) {
        String param = atom().toUpperCase(Locale.ROOT);
        switch (param) {
          case "CONDSTORE" -> condstore = true;
          case "QRESYNC" -> {
            sp();
            expect('(');
            long validity = nzNumber();
            sp();
            long modseq = number();
            SequenceSet known = null;
            if (peekIs(' ')) {
              sp();
              known = sequenceSet();
              if (peekIs(' ')) { // seq-match-data: accepted, not used
                sp();
                expect('(');
                sequenceSet();
                sp();
                sequenceSet();
                expect(')');
              }
            }
            expect(')');
            qresync = new ImapCommand.Qresync(validity, modseq, known);
          }
          default -> throw error("Unknown SELECT parameter");
        }
        if (peekIs(')')) {
          pos++;
          break;
        }
        sp();
      }
    }
    return new ImapCommand.Select(tag, mailbox, readOnly, condstore, qresync);
  }

  private ImapCommand create() {
    sp();
    String mailbox = mailbox();
    Set<String> use = new LinkedHashSet<>();
    if (peekIs(' ')) {
      sp();
      expect('(');
      if (!atom().equalsIgnoreCase("USE")) {
        throw error("Unknown CREATE parameter");
      }
      sp();
      expect('(');
      while (!peekIs(')')) {
        use.add(flag());
        if (peekIs(' ')) {
          pos++;
        }
      }
      pos++;
      expect(')');
    }
    return new ImapCommand.Create(tag, mailbox, use);
  }

  private ImapCommand list() {
    sp();
    Set<String> selection = new LinkedHashSet<>();
    if (peekIs('(')) {
      selection.addAll(atomList());
      sp();
    }
    String reference = mailbox();
    sp();
    List<String> patterns = new ArrayList<>();
    if (peekIs('(')) {
      pos++;
      do {
        if (peekIs(' ')) {
          pos++;
        }
        patterns.add(listMailbox());
      } while (peekIs(' '));
      expect(')');
    } else {
      patterns.add(listMailbox());
    }
    Set<String> returns = new LinkedHashSet<>();
    List<String> statusItems = null;
    if (peekIs(' ')) {
      sp();
      if (!atom().equalsIgnoreCase("RETURN")) {
        throw error("Expected RETURN");
      }
      sp();
      expect('(');
      while (!peekIs(')')) {
        String option = atom().toUpperCase(Locale.ROOT);
        if (option.equals("STATUS")) {
          sp();
          statusItems = atomList();
        } else {
          returns.add(option);
        }
        if (peekIs(' ')) {
          pos++;
        }
      }
      pos++;
    }
    return new ImapCommand.ListMailboxes(tag, reference, patterns, selection, returns, statusItems, false);
  }

  private ImapCommand lsub() {
    sp();
    String reference = mailbox();
    sp();
    return new ImapCommand.ListMailboxes(tag, reference, List.of(listMailbox()), Set.of("SUBSCRIBED"), Set.of(), null, true);
  }

  private ImapCommand status() {
    sp();
    String mailbox = mailbox();
    sp();
    List<String> items = atomList();
    if (items.isEmpty()) {
      throw error("STATUS needs items");
    }
    return new ImapCommand.Status(tag, mailbox, items);
  }

  private ImapCommand append() {
    sp();
    String mailbox = mailbox();
    List<AppendMessage> messages = new ArrayList<>();
    while (peekIs(' ')) {
      sp();
      Set<String> flags = Set.of();
      if (peekIs('(')) {
        flags = flagList();
        sp();
      }
      Instant date = null;
      if (peekIs('"')) {
        date = dateTime();
        sp();
      }
      byte[] message;
      if (peekIs('~')) {
        pos++;
        message = literal();
      } else {
        message = literal();
      }
      messages.add(new AppendMessage(flags, date, message));
    }
    if (messages.isEmpty()) {
      throw error("APPEND needs a message");
    }
    return new ImapCommand.Append(tag, mailbox, messages);
  }

  private ImapCommand search(boolean uid) {
    sp();
    List<String> returns = null;
    String charset = null;
    if (matchWord("RETURN")) {
      sp();
      returns = atomList();
      sp();
    }
    if (matchWord("CHARSET")) {
      sp();
      charset = astring();
      sp();
    }
    List<SearchKey> keys = new ArrayList<>();
    keys.add(searchKey());
    while (peekIs(' ')) {
      sp();
      keys.add(searchKey());
    }
    return new ImapCommand.Search(tag, uid, charset, returns, keys.size() == 1 ? keys.get(0) : new SearchKey.And(keys));
  }

  private ImapCommand fetch(boolean uid) {
    sp();
    SequenceSet set = sequenceSet();
    sp();
    List<FetchAtt> items = new ArrayList<>();
    if (peekIs('(')) {
      pos++;
      items.add(fetchAtt());
      while (peekIs(' ')) {
        pos++;
        items.add(fetchAtt());
      }
      expect(')');
    } else {
      int save = pos;
      String word = atom().toUpperCase(Locale.ROOT);
      switch (word) {
        case "ALL" -> items.addAll(List.of(new FetchAtt.Flags(), new FetchAtt.InternalDate(), new FetchAtt.Rfc822Size(),
            new FetchAtt.Envelope()));
        case "FAST" -> items.addAll(List.of(new FetchAtt.Flags(), new FetchAtt.InternalDate(), new FetchAtt.Rfc822Size()));
        case "FULL" -> items.addAll(List.of(new FetchAtt.Flags(), new FetchAtt.InternalDate(), new FetchAtt.Rfc822Size(),
            new FetchAtt.Envelope(), new FetchAtt.Structure(false)));
        default -> {
          pos = save;
          items.add(fetchAtt());
        }
      }
    }
    long changedSince = -1;
    boolean vanished = false;
    if (peekIs(' ')) {
      sp();
      expect('(');
      while (true) {
        String modifier = atom().toUpperCase(Locale.ROOT);
        switch (modifier) {
          case "CHANGEDSINCE" -> { sp(); changedSince = number(); }
          case "VANISHED" -> vanished = true;
          default -> throw error("Unknown FETCH modifier");
        }
        if (peekIs(')')) {
          pos++;
          break;
        }
        sp();
      }
      if (vanished && (!uid || changedSince < 0)) {
        throw error("VANISHED needs UID FETCH with CHANGEDSINCE");
      }
    }
    return new ImapCommand.Fetch(tag, uid, set, items, changedSince, vanished);
  }

  private ImapCommand store(boolean uid) {
    sp();
    SequenceSet set = sequenceSet();
    sp();
    long unchangedSince = -1;
    if (peekIs('(')) {
      pos++;
      if (!atom().equalsIgnoreCase("UNCHANGEDSINCE")) {
        throw error("Unknown STORE modifier");
      }
      sp();
      unchangedSince = number();
      expect(')');
      sp();
    }
    ImapCommand.StoreMode mode = ImapCommand.StoreMode.REPLACE;
    if (peekIs('+')) {
      mode = ImapCommand.StoreMode.ADD;
      pos++;
    } else if (peekIs('-')) {
      mode = ImapCommand.StoreMode.REMOVE;
      pos++;
    }
    String item = atom().toUpperCase(Locale.ROOT);
    boolean silent = switch (item) {
      case "FLAGS" -> false;
      case "FLAGS.SILENT" -> true;
      default -> throw error("Expected FLAGS or FLAGS.SILENT");
    };
    sp();
    Set<String> flags;
    if (peekIs('(')) {
      flags = flagList();
    } else {
      flags = new LinkedHashSet<>();
      flags.add(flag());
      while (peekIs(' ')) {
        pos++;
        flags.add(flag());
      }
    }
    return new ImapCommand.Store(tag, uid, set, mode, silent, flags, unchangedSince);
  }

  private ImapCommand copy(boolean uid, boolean move) {
    sp();
    SequenceSet set = sequenceSet();
    sp();
    return new ImapCommand.Copy(tag, uid, set, mailbox(), move);
  }

  // ---- Productions -----------------------------------------------------------------------

  /** tag = 1*&lt;any ASTRING-CHAR except "+"&gt;. */
  String tag() {
    int start = pos;
    while (pos < in.length && isAstringChar(in[pos]) && in[pos] != '+') {
      pos++;
    }
    if (pos == start) {
      throw error("Missing tag");
    }
    return ascii(start, pos);
  }

  /** atom = 1*ATOM-CHAR. */
  String atom() {
    int start = pos;
    while (pos < in.length && isAtomChar(in[pos])) {
      pos++;
    }
    if (pos == start) {
      throw error("Expected atom");
    }
    return ascii(start, pos);
  }

  /** astring = 1*ASTRING-CHAR / string. */
  String astring() {
    if (peekIs('"') || peekIs('{') || peekIs('~')) {
      return utf8(string());
    }
    int start = pos;
    while (pos < in.length && (isAstringChar(in[pos]) || (in[pos] & 0x80) != 0)) {
      pos++;
    }
    if (pos == start) {
      throw error("Expected string");
    }
    return utf8(java.util.Arrays.copyOfRange(in, start, pos));
  }

  /** nstring = string / nil. */
  String nstring() {
    if (peekIs('"') || peekIs('{')) {
      return utf8(string());
    }
    nil();
    return null;
  }

  private void nil() {
    if (!atom().equalsIgnoreCase("NIL")) {
      throw error("Expected NIL");
    }
  }

  /** string = quoted / literal. */
  byte[] string() {
    if (peekIs('"')) {
      return quoted();
    }
    if (peekIs('~')) {
      pos++;
    }
    return literal();
  }

  /** quoted = DQUOTE *QUOTED-CHAR DQUOTE (UTF-8 allowed, as IMAP4rev2 does). */
  byte[] quoted() {
    expect('"');
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    while (true) {
      if (pos >= in.length) {
        throw error("Unterminated quoted string");
      }
      byte c = in[pos++];
      if (c == '"') {
        return b.toByteArray();
      }
      if (c == '\\') {
        if (pos >= in.length || (in[pos] != '"' && in[pos] != '\\')) {
          throw error("Invalid escape in quoted string");
        }
        c = in[pos++];
      } else if (c == '\r' || c == '\n' || c == 0) {
        throw error("Invalid character in quoted string");
      }
      b.write(c);
    }
  }

  /** literal = "{" number64 ["+"] "}" CRLF *CHAR8. */
  byte[] literal() {
    expect('{');
    long n = number();
    if (peekIs('+') || peekIs('-')) {
      pos++;
    }
    expect('}');
    expect('\r');
    expect('\n');
    if (n > in.length - pos) {
      throw error("Literal longer than the command");
    }
    byte[] value = java.util.Arrays.copyOfRange(in, pos, pos + (int) n);
    pos += (int) n;
    return value;
  }

  /** number = 1*DIGIT, at most 63 bits. */
  long number() {
    int start = pos;
    long v = 0;
    while (pos < in.length && in[pos] >= '0' && in[pos] <= '9') {
      if (pos - start >= 18) {
        throw error("Number too large");
      }
      v = v * 10 + (in[pos++] - '0');
    }
    if (pos == start) {
      throw error("Expected number");
    }
    return v;
  }

  /** nz-number: a number that is not zero. */
  long nzNumber() {
    long v = number();
    if (v == 0) {
      throw error("Expected non-zero number");
    }
    return v;
  }

  /** mailbox = "INBOX" / astring (the name as sent; INBOX in any case becomes INBOX). */
  String mailbox() {
    String name = astring();
    return name.equalsIgnoreCase("INBOX") ? "INBOX" : name;
  }

  /** list-mailbox = 1*list-char / string. */
  String listMailbox() {
    if (peekIs('"') || peekIs('{')) {
      return utf8(string());
    }
    int start = pos;
    while (pos < in.length && (isAstringChar(in[pos]) || in[pos] == '%' || in[pos] == '*' || (in[pos] & 0x80) != 0)) {
      pos++;
    }
    if (pos == start) {
      throw error("Expected mailbox pattern");
    }
    return utf8(java.util.Arrays.copyOfRange(in, start, pos));
  }

  /** sequence-set = (seq-number / seq-range) ["," sequence-set]. */
  SequenceSet sequenceSet() {
    List<SequenceSet.Range> ranges = new ArrayList<>();
    do {
      if (!ranges.isEmpty()) {
        pos++;
      }
      if (ranges.size() >= 10_000) {
        throw error("Sequence set too long");
      }
      long from = seqNumber();
      long to = from;
      if (peekIs(':')) {
        pos++;
        to = seqNumber();
      }
      ranges.add(new SequenceSet.Range(from, to));
    } while (peekIs(','));
    return new SequenceSet(ranges);
  }

  private long seqNumber() {
    if (peekIs('*')) {
      pos++;
      return SequenceSet.STAR;
    }
    long n = nzNumber();
    if (n > 0xFFFFFFFFL) {
      throw error("Number out of range");
    }
    return n;
  }

  /** flag-list = "(" [flag *(SP flag)] ")". */
  Set<String> flagList() {
    expect('(');
    Set<String> flags = new LinkedHashSet<>();
    while (!peekIs(')')) {
      if (!flags.isEmpty()) {
        sp();
      }
      flags.add(flag());
    }
    pos++;
    return flags;
  }

  /** flag = "\" atom / keyword; system flags in their canonical case. */
  String flag() {
    if (peekIs('\\')) {
      pos++;
      String name = atom();
      for (String system : SYSTEM_FLAGS) {
        if (system.substring(1).equalsIgnoreCase(name)) {
          return system;
        }
      }
      return "\\" + name;
    }
    return atom();
  }

  private static final String[] SYSTEM_FLAGS = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent"};

  /** date = date-text / DQUOTE date-text DQUOTE; date-text = date-day "-" date-month "-" date-year. */
  LocalDate date() {
    boolean q = peekIs('"');
    if (q) {
      pos++;
    }
    int day = (int) number();
    expect('-');
    int month = month(ascii(pos, Math.min(pos + 3, in.length)));
    pos += 3;
    expect('-');
    int start = pos;
    int year = (int) number();
    if (pos - start != 4) {
      throw error("Invalid year");
    }
    if (q) {
      expect('"');
    }
    try {
      return LocalDate.of(year, month, day);
    } catch (java.time.DateTimeException e) {
      throw error("Invalid date");
    }
  }

  /** date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE. */
  Instant dateTime() {
    expect('"');
    if (peekIs(' ')) {
      pos++;
    }
    int day = (int) number();
    expect('-');
    int month = month(ascii(pos, Math.min(pos + 3, in.length)));
    pos += 3;
    expect('-');
    int year = (int) number();
    sp();
    int h = twoDigits();
    expect(':');
    int m = twoDigits();
    expect(':');
    int s = twoDigits();
    sp();
    int sign = peekIs('+') ? 1 : peekIs('-') ? -1 : 0;
    if (sign == 0) {
      throw error("Invalid zone");
    }
    pos++;
    int zh = twoDigits();
    int zm = twoDigits();
    expect('"');
    try {
      return LocalDateTime.of(year, month, day, h, m, s)
          .toInstant(ZoneOffset.ofHoursMinutes(sign * zh, sign * zm));
    } catch (java.time.DateTimeException e) {
      throw error("Invalid date-time");
    }
  }

  private int twoDigits() {
    if (pos + 2 > in.length || !Character.isDigit(in[pos]) || !Character.isDigit(in[pos + 1])) {
      throw error("Invalid time");
    }
    int v = (in[pos] - '0') * 10 + in[pos + 1] - '0';
    pos += 2;
    return v;
  }

  private static final List<String> MONTHS =
      List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC");

  private int month(String text) {
    int i = MONTHS.indexOf(text.toUpperCase(Locale.ROOT));
    if (i < 0) {
      throw error("Invalid month");
    }
    return i + 1;
  }

  /** search-key (RFC 9051 §9, with NEW/OLD/RECENT of RFC 3501 and MODSEQ of RFC 7162). */
  SearchKey searchKey() {
    if (++depth > MAX_DEPTH) {
      throw error("Search program nested too deeply");
    }
    try {
      if (peekIs('(')) {
        pos++;
        List<SearchKey> keys = new ArrayList<>();
        keys.add(searchKey());
        while (peekIs(' ')) {
          pos++;
          keys.add(searchKey());
        }
        expect(')');
        return new SearchKey.And(keys);
      }
      if (peekIs('*') || (pos < in.length && in[pos] >= '0' && in[pos] <= '9')) {
        return new SearchKey.Seq(sequenceSet());
      }
      String key = atom().toUpperCase(Locale.ROOT);
      return switch (key) {
        case "ALL" -> new SearchKey.All();
        case "ANSWERED" -> new SearchKey.Flag("\\Answered", true);
        case "DELETED" -> new SearchKey.Flag("\\Deleted", true);
        case "DRAFT" -> new SearchKey.Flag("\\Draft", true);
        case "FLAGGED" -> new SearchKey.Flag("\\Flagged", true);
        case "SEEN" -> new SearchKey.Flag("\\Seen", true);
        case "UNANSWERED" -> new SearchKey.Flag("\\Answered", false);
        case "UNDELETED" -> new SearchKey.Flag("\\Deleted", false);
        case "UNDRAFT" -> new SearchKey.Flag("\\Draft", false);
        case "UNFLAGGED" -> new SearchKey.Flag("\\Flagged", false);
        case "UNSEEN" -> new SearchKey.Flag("\\Seen", false);
        case "KEYWORD" -> { sp(); yield new SearchKey.Flag(flag(), true); }
        case "UNKEYWORD" -> { sp(); yield new SearchKey.Flag(flag(), false); }
        case "NEW" -> new SearchKey.Recent(true, false);
        case "OLD" -> new SearchKey.Recent(false, null);
        case "RECENT" -> new SearchKey.Recent(true, null);
        case "BCC", "CC", "FROM", "SUBJECT", "TO" -> { sp(); yield new SearchKey.Header(headerName(key), astring()); }
        case "HEADER" -> { sp(); String field = astring(); sp(); yield new SearchKey.Header(field, astring()); }
        case "BODY" -> { sp(); yield new SearchKey.Body(astring()); }
        case "TEXT" -> { sp(); yield new SearchKey.Text(astring()); }
        case "BEFORE" -> { sp(); yield new SearchKey.Date(SearchKey.DateOp.BEFORE, date(), false); }
        case "ON" -> { sp(); yield new SearchKey.Date(SearchKey.DateOp.ON, date(), false); }
        case "SINCE" -> { sp(); yield new SearchKey.Date(SearchKey.DateOp.SINCE, date(), false); }
        case "SENTBEFORE" -> { sp(); yield new SearchKey.Date(SearchKey.DateOp.BEFORE, date(), true); }
        case "SENTON" -> { sp(); yield new SearchKey.Date(SearchKey.DateOp.ON, date(), true); }
        case "SENTSINCE" -> { sp(); yield new SearchKey.Date(SearchKey.DateOp.SINCE, date(), true); }
        case "LARGER" -> { sp(); yield new SearchKey.Size(number(), true); }
        case "SMALLER" -> { sp(); yield new SearchKey.Size(number(), false); }
        case "UID" -> { sp(); yield new SearchKey.Uid(sequenceSet()); }
        case "NOT" -> { sp(); yield new SearchKey.Not(searchKey()); }
        case "OR" -> { sp(); SearchKey left = searchKey(); sp(); yield new SearchKey.Or(left, searchKey()); }
        case "MODSEQ" -> modSeqKey();
        default -> throw error("Unknown search key");
      };
    } finally {
      depth--;
    }
  }

  private SearchKey modSeqKey() {
    sp();
    if (peekIs('"')) { // entry-name entry-type-req: accepted and ignored (Quill has no per-flag modseq)
      quoted();
      sp();
      atom();
      sp();
    }
    return new SearchKey.ModSeq(number());
  }

  private static String headerName(String key) {
    return switch (key) {
      case "BCC" -> "Bcc";
      case "CC" -> "Cc";
      case "FROM" -> "From";
      case "SUBJECT" -> "Subject";
      default -> "To";
    };
  }

  /** fetch-att (RFC 9051 §9, with RFC822* of RFC 3501 and MODSEQ of RFC 7162). */
  FetchAtt fetchAtt() {
    String name = fetchName().toUpperCase(Locale.ROOT);
    return switch (name) {
      case "FLAGS" -> new FetchAtt.Flags();
      case "UID" -> new FetchAtt.Uid();
      case "INTERNALDATE" -> new FetchAtt.InternalDate();
      case "RFC822.SIZE" -> new FetchAtt.Rfc822Size();
      case "ENVELOPE" -> new FetchAtt.Envelope();
      case "BODYSTRUCTURE" -> new FetchAtt.Structure(true);
      case "MODSEQ" -> new FetchAtt.ModSeq();
      case "RFC822" -> new FetchAtt.Section(false, new SectionSpec(new int[0], SectionSpec.Kind.ALL, List.of()), "RFC822", -1, 0);
      case "RFC822.HEADER" -> new FetchAtt.Section(true, new SectionSpec(new int[0], SectionSpec.Kind.HEADER, List.of()),
          "RFC822.HEADER", -1, 0);
      case "RFC822.TEXT" -> new FetchAtt.Section(false, new SectionSpec(new int[0], SectionSpec.Kind.TEXT, List.of()),
          "RFC822.TEXT", -1, 0);
      case "BODY", "BODY.PEEK" -> {
        if (!peekIs('[')) {
          if (name.equals("BODY")) {
            yield new FetchAtt.Structure(false);
          }
          throw error("BODY.PEEK needs a section");
        }
        int start = pos;
        SectionSpec spec = section();
        String label = "BODY" + ascii(start, pos).toUpperCase(Locale.ROOT);
        long[] partial = partial();
        yield new FetchAtt.Section(name.equals("BODY.PEEK"), spec, label, partial[0], partial[1]);
      }
      case "BINARY", "BINARY.PEEK" -> {
        int start = pos;
        int[] part = sectionBinary();
        String label = "BINARY" + ascii(start, pos);
        long[] partial = partial();
        yield new FetchAtt.Binary(name.equals("BINARY.PEEK"), part, label, partial[0], partial[1]);
      }
      case "BINARY.SIZE" -> {
        int start = pos;
        int[] part = sectionBinary();
        yield new FetchAtt.BinarySize(part, "BINARY.SIZE" + ascii(start, pos));
      }
      default -> throw error("Unknown FETCH item");
    };
  }

  private String fetchName() {
    int start = pos;
    while (pos < in.length && isAtomChar(in[pos]) && in[pos] != '[') {
      pos++;
    }
    if (pos == start) {
      throw error("Expected FETCH item");
    }
    return ascii(start, pos);
  }

  /** section = "[" [section-spec] "]". */
  SectionSpec section() {
    expect('[');
    List<Integer> part = new ArrayList<>();
    SectionSpec.Kind kind = SectionSpec.Kind.ALL;
    List<String> fields = List.of();
    while (pos < in.length && in[pos] >= '1' && in[pos] <= '9') {
      long n = nzNumber();
      if (n > 100_000 || part.size() > 100) {
        throw error("Invalid section part");
      }
      part.add((int) n);
      if (peekIs('.')) {
        pos++;
      } else {
        break;
      }
    }
    if (!peekIs(']')) {
      String text = sectionText();
      switch (text) {
        case "HEADER" -> kind = SectionSpec.Kind.HEADER;
        case "TEXT" -> kind = SectionSpec.Kind.TEXT;
        case "MIME" -> {
          if (part.isEmpty()) {
            throw error("MIME needs a part number");
          }
          kind = SectionSpec.Kind.MIME;
        }
        case "HEADER.FIELDS", "HEADER.FIELDS.NOT" -> {
          kind = text.equals("HEADER.FIELDS") ? SectionSpec.Kind.HEADER_FIELDS : SectionSpec.Kind.HEADER_FIELDS_NOT;
          sp();
          expect('(');
          List<String> names = new ArrayList<>();
          do {
            if (!names.isEmpty()) {
              pos++;
            }
            names.add(astring());
          } while (peekIs(' '));
          expect(')');
          fields = names;
        }
        default -> throw error("Invalid section");
      }
    } else if (!part.isEmpty() && in[pos - 1] == '.') {
      throw error("Invalid section");
    }
    expect(']');
    return new SectionSpec(part.stream().mapToInt(Integer::intValue).toArray(), kind, fields);
  }

  private String sectionText() {
    int start = pos;
    while (pos < in.length && (Character.isLetter(in[pos]) || in[pos] == '.')) {
      pos++;
    }
    return ascii(start, pos).toUpperCase(Locale.ROOT);
  }

  /** section-binary = "[" [section-part] "]". */
  int[] sectionBinary() {
    expect('[');
    List<Integer> part = new ArrayList<>();
    while (!peekIs(']')) {
      if (!part.isEmpty()) {
        expect('.');
      }
      long n = nzNumber();
      if (n > 100_000 || part.size() > 100) {
        throw error("Invalid section part");
      }
      part.add((int) n);
    }
    pos++;
    return part.stream().mapToInt(Integer::intValue).toArray();
  }

  /** partial = "&lt;" number "." nz-number "&gt;"; {-1, 0} when absent. */
  private long[] partial() {
    if (!peekIs('<')) {
      return new long[] {-1, 0};
    }
    pos++;
    long offset = number();
    expect('.');
    long length = nzNumber();
    expect('>');
    return new long[] {offset, length};
  }

  private List<String> atomList() {
    expect('(');
    List<String> atoms = new ArrayList<>();
    while (!peekIs(')')) {
      if (!atoms.isEmpty()) {
        sp();
      }
      atoms.add(atom().toUpperCase(Locale.ROOT));
    }
    pos++;
    return atoms;
  }

  // ---- Lexical helpers -------------------------------------------------------------------

  private boolean matchWord(String word) {
    int n = word.length();
    if (pos + n < in.length && ascii(pos, pos + n).equalsIgnoreCase(word) && in[pos + n] == ' ') {
      pos += n;
      return true;
    }
    return false;
  }

  private void skipRest() {
    pos = in.length;
  }

  private boolean peekIs(char c) {
    return pos < in.length && in[pos] == c;
  }

  private void expect(char c) {
    if (!peekIs(c)) {
      throw error(pos >= in.length ? "Unexpected end of command" : "Expected '" + c + "'");
    }
    pos++;
  }

  private void sp() {
    expect(' ');
  }

  private void end() {
    if (pos != in.length) {
      throw error("Unexpected characters at end of command");
    }
  }

  private String ascii(int from, int to) {
    return new String(in, from, to - from, StandardCharsets.ISO_8859_1);
  }

  private String utf8(byte[] b) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      throw error("Invalid UTF-8");
    }
  }

  /** ATOM-CHAR: any CHAR except atom-specials. */
  static boolean isAtomChar(byte c) {
    return c > 0x20 && c < 0x7f && c != '(' && c != ')' && c != '{' && c != '%' && c != '*' && c != '"' && c != '\\'
        && c != ']';
  }

  /** ASTRING-CHAR = ATOM-CHAR / resp-specials. */
  static boolean isAstringChar(byte c) {
    return isAtomChar(c) || c == ']';
  }

  private static boolean isBase64(byte c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
  }
}
