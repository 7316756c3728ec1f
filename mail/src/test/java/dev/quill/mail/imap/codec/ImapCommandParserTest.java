package dev.quill.mail.imap.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.mime.SectionSpec;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Golden tests of the IMAP command parser, one or more per command, and a never-throws property. */
class ImapCommandParserTest {

  private static ImapCommand parse(String s) {
    return ImapCommandParser.parse(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void simpleCommands() {
    assertThat(parse("a1 CAPABILITY")).isEqualTo(new ImapCommand.Capability("a1"));
    assertThat(parse("a2 noop")).isEqualTo(new ImapCommand.Noop("a2"));
    assertThat(parse("a3 LOGOUT")).isEqualTo(new ImapCommand.Logout("a3"));
    assertThat(parse("a4 STARTTLS")).isEqualTo(new ImapCommand.StartTls("a4"));
    assertThat(parse("a5 IDLE")).isEqualTo(new ImapCommand.Idle("a5"));
    assertThat(parse("a6 NAMESPACE")).isEqualTo(new ImapCommand.Namespace("a6"));
    assertThat(parse("a7 ID (\"name\" \"Thunderbird\" \"version\" NIL)")).isEqualTo(new ImapCommand.Id("a7"));
    assertThat(parse("a8 ID NIL")).isEqualTo(new ImapCommand.Id("a8"));
  }

  @Test
  void loginAndAuthenticate() {
    assertThat(parse("a LOGIN alice \"pa ss\\\"w\"")).isEqualTo(new ImapCommand.Login("a", "alice", "pa ss\"w"));
    assertThat(parse("a LOGIN {5}\r\nalice {3}\r\npw!")).isEqualTo(new ImapCommand.Login("a", "alice", "pw!"));
    assertThat(parse("a AUTHENTICATE plain")).isEqualTo(new ImapCommand.Authenticate("a", "PLAIN", null));
    assertThat(parse("a AUTHENTICATE PLAIN AGEAYg==")).isEqualTo(new ImapCommand.Authenticate("a", "PLAIN", "AGEAYg=="));
    assertThat(parse("a AUTHENTICATE PLAIN =")).isEqualTo(new ImapCommand.Authenticate("a", "PLAIN", ""));
  }

  @Test
  void selectWithModifiers() {
    assertThat(parse("s SELECT inbox")).isEqualTo(new ImapCommand.Select("s", "INBOX", false, false, null));
    assertThat(parse("s EXAMINE \"Sent\" (CONDSTORE)")).isEqualTo(new ImapCommand.Select("s", "Sent", true, true, null));
    ImapCommand.Select q = (ImapCommand.Select) parse("s SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211))");
    assertThat(q.qresync().uidValidity()).isEqualTo(67890007L);
    assertThat(q.qresync().modSeq()).isEqualTo(20050715194045000L);
    assertThat(q.qresync().knownUids().contains(100, 0)).isTrue();
  }

  @Test
  void mailboxManagement() {
    assertThat(parse("c CREATE Drafts (USE (\\Drafts))")).isEqualTo(new ImapCommand.Create("c", "Drafts", Set.of("\\Drafts")));
    assertThat(parse("d DELETE foo/bar")).isEqualTo(new ImapCommand.Delete("d", "foo/bar"));
    assertThat(parse("r RENAME a b")).isEqualTo(new ImapCommand.Rename("r", "a", "b"));
    assertThat(parse("u UNSUBSCRIBE x")).isEqualTo(new ImapCommand.Subscribe("u", "x", false));
    assertThat(parse("st STATUS INBOX (messages UIDNEXT)"))
        .isEqualTo(new ImapCommand.Status("st", "INBOX", List.of("MESSAGES", "UIDNEXT")));
  }

  @Test
  void listForms() {
    assertThat(parse("l LIST \"\" %")).isEqualTo(
        new ImapCommand.ListMailboxes("l", "", List.of("%"), Set.of(), Set.of(), null, false));
    ImapCommand.ListMailboxes ext = (ImapCommand.ListMailboxes)
        parse("l LIST (SUBSCRIBED) \"\" (INBOX* Work/%) RETURN (CHILDREN STATUS (MESSAGES UNSEEN))");
    assertThat(ext.selection()).containsExactly("SUBSCRIBED");
    assertThat(ext.patterns()).containsExactly("INBOX*", "Work/%");
    assertThat(ext.returns()).containsExactly("CHILDREN");
    assertThat(ext.statusItems()).containsExactly("MESSAGES", "UNSEEN");
    assertThat(parse("l LSUB \"\" *")).isEqualTo(
        new ImapCommand.ListMailboxes("l", "", List.of("*"), Set.of("SUBSCRIBED"), Set.of(), null, true));
  }

  @Test
  void appendWithFlagsDateAndMultiappend() {
    ImapCommand.Append a = (ImapCommand.Append)
        parse("a APPEND Sent (\\Seen $Work) \" 7-Feb-1994 21:52:25 -0800\" {5+}\r\nhello {2}\r\nhi");
    assertThat(a.mailbox()).isEqualTo("Sent");
    assertThat(a.messages()).hasSize(2);
    assertThat(a.messages().get(0).flags()).containsExactly("\\Seen", "$Work");
    assertThat(a.messages().get(0).internalDate()).isEqualTo(Instant.parse("1994-02-08T05:52:25Z"));
    assertThat(new String(a.messages().get(0).message(), StandardCharsets.US_ASCII)).isEqualTo("hello");
    assertThat(new String(a.messages().get(1).message(), StandardCharsets.US_ASCII)).isEqualTo("hi");
    assertThat(parse("a APPEND INBOX {10}\r\nshort")).isInstanceOf(ImapCommand.Invalid.class);
  }

  @Test
  void fetchItemsAndMacros() {
    ImapCommand.Fetch f = (ImapCommand.Fetch) parse("f FETCH 1:*,7 (FLAGS BODY.PEEK[1.2.HEADER.FIELDS (From To)]<0.100> BINARY[1] MODSEQ)");
    assertThat(f.set().ranges()).containsExactly(new SequenceSet.Range(1, SequenceSet.STAR), new SequenceSet.Range(7, 7));
    FetchAtt.Section s = (FetchAtt.Section) f.items().get(1);
    assertThat(s.peek()).isTrue();
    assertThat(s.section().part()).containsExactly(1, 2);
    assertThat(s.section().kind()).isEqualTo(SectionSpec.Kind.HEADER_FIELDS);
    assertThat(s.section().fields()).containsExactly("From", "To");
    assertThat(s.label()).isEqualTo("BODY[1.2.HEADER.FIELDS (FROM TO)]");
    assertThat(s.offset()).isZero();
    assertThat(s.length()).isEqualTo(100);
    assertThat(f.items().get(2)).isInstanceOf(FetchAtt.Binary.class);
    assertThat(((ImapCommand.Fetch) parse("f FETCH 1 FAST")).items()).hasSize(3);
    assertThat(((ImapCommand.Fetch) parse("f FETCH 1 body")).items()).containsExactly(new FetchAtt.Structure(false));
    ImapCommand.Fetch changed = (ImapCommand.Fetch) parse("f UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)");
    assertThat(changed.uid()).isTrue();
    assertThat(changed.changedSince()).isEqualTo(12345);
    assertThat(changed.vanished()).isTrue();
    assertThat(parse("f FETCH 1 (FLAGS) (VANISHED)")).isInstanceOf(ImapCommand.Invalid.class);
    assertThat(parse("f FETCH 0 FLAGS")).isInstanceOf(ImapCommand.Invalid.class);
  }

  @Test
  void storeForms() {
    assertThat(parse("s STORE 2:4 +FLAGS.SILENT (\\deleted)")).isEqualTo(new ImapCommand.Store("s", false,
        new SequenceSet(List.of(new SequenceSet.Range(2, 4))), ImapCommand.StoreMode.ADD, true, Set.of("\\Deleted"), -1));
    ImapCommand.Store c = (ImapCommand.Store) parse("s UID STORE 5 (UNCHANGEDSINCE 320162338) -FLAGS \\Seen $Junk");
    assertThat(c.unchangedSince()).isEqualTo(320162338L);
    assertThat(c.mode()).isEqualTo(ImapCommand.StoreMode.REMOVE);
    assertThat(c.flags()).containsExactly("\\Seen", "$Junk");
  }

  @Test
  void copyMoveExpunge() {
    assertThat(parse("c UID MOVE 1:3 Trash")).isEqualTo(
        new ImapCommand.Copy("c", true, new SequenceSet(List.of(new SequenceSet.Range(1, 3))), "Trash", true));
    assertThat(parse("e UID EXPUNGE 3:5")).isEqualTo(
        new ImapCommand.Expunge("e", new SequenceSet(List.of(new SequenceSet.Range(3, 5)))));
    assertThat(parse("e EXPUNGE")).isEqualTo(new ImapCommand.Expunge("e", null));
  }

  @Test
  void searchPrograms() {
    ImapCommand.Search s = (ImapCommand.Search) parse(
        "s UID SEARCH RETURN (MIN COUNT) CHARSET UTF-8 OR (FROM bob SINCE 1-Feb-2024) NOT KEYWORD $x 1:5 MODSEQ 7");
    assertThat(s.uid()).isTrue();
    assertThat(s.returns()).containsExactly("MIN", "COUNT");
    assertThat(s.charset()).isEqualTo("UTF-8");
    SearchKey.And and = (SearchKey.And) s.key();
    assertThat(and.keys()).hasSize(3);
    assertThat(and.keys().get(0)).isEqualTo(new SearchKey.Or(
        new SearchKey.And(List.of(new SearchKey.Header("From", "bob"),
            new SearchKey.Date(SearchKey.DateOp.SINCE, LocalDate.of(2024, 2, 1), false))),
        new SearchKey.Not(new SearchKey.Flag("$x", true))));
    assertThat(s.key().usesModSeq()).isTrue();
    assertThat(parse("s SEARCH HEADER X-Spam \"\"")).isInstanceOf(ImapCommand.Search.class);
    assertThat(parse("s SEARCH SENTON \"29-Feb-2023\"")).isInstanceOf(ImapCommand.Invalid.class);
    assertThat(parse("s SEARCH " + "NOT ".repeat(200) + "ALL")).isEqualTo(
        new ImapCommand.Invalid("s", "Search program nested too deeply"));
  }

  @Test
  void quotaAndEnable() {
    assertThat(parse("q GETQUOTAROOT INBOX")).isEqualTo(new ImapCommand.GetQuotaRoot("q", "INBOX"));
    assertThat(parse("q GETQUOTA \"\"")).isEqualTo(new ImapCommand.GetQuota("q", ""));
    assertThat(parse("e ENABLE condstore IMAP4rev2")).isEqualTo(new ImapCommand.Enable("e", List.of("CONDSTORE", "IMAP4REV2")));
  }

  @Test
  void invalidInput_keepsTheTag() {
    assertThat(parse("")).isEqualTo(new ImapCommand.Invalid("*", "Missing tag"));
    assertThat(parse("a17 FROB")).isEqualTo(new ImapCommand.Invalid("a17", "Unknown command"));
    assertThat(parse("a18 LOGIN alice")).isEqualTo(new ImapCommand.Invalid("a18", "Unexpected end of command"));
    assertThat(parse("a19 NOOP extra")).isEqualTo(new ImapCommand.Invalid("a19", "Unexpected characters at end of command"));
    assertThat(parse("a20 LOGIN \"unterminated")).isEqualTo(new ImapCommand.Invalid("a20", "Unterminated quoted string"));
  }

  @Property(tries = 2000)
  void anyBytes_giveACommandOrInvalid_neverThrow(@ForAll byte[] bytes) {
    assertThat(ImapCommandParser.parse(bytes)).isNotNull();
  }

  @Property(tries = 2000)
  void anyTextAfterATag_neverThrows(@ForAll("commandish") String text) {
    ImapCommand c = ImapCommandParser.parse(("t " + text).getBytes(StandardCharsets.UTF_8));
    assertThat(c.tag()).isEqualTo("t");
  }

  @net.jqwik.api.Provide
  net.jqwik.api.Arbitrary<String> commandish() {
    net.jqwik.api.Arbitrary<String> token = net.jqwik.api.Arbitraries.of("FETCH", "UID", "SEARCH", "STORE", "1:*", "(", ")",
        "[", "]", "BODY", "BODY.PEEK[", "HEADER.FIELDS", "\"", "{3}\r\nabc", "{99}\r\n", "OR", "NOT", "+FLAGS", "\\Seen",
        "<0.5>", "*", "%", "LIST", "APPEND", "INBOX", "SELECT", "(QRESYNC", "CHANGEDSINCE", "7", "~{1}\r\n\0", " ");
    return token.list().ofMaxSize(20).map(l -> String.join("", l));
  }
}
