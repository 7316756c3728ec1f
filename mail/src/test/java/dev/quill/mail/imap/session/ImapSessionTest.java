package dev.quill.mail.imap.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.store.StorageUnavailableException;
import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The IMAP session state machine against an in-memory backend. */
class ImapSessionTest {
  private static final String ALICE = "alice@example.org";
  private static final String M1 = "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: first\r\n"
      + "Date: Fri, 01 Mar 2024 10:00:00 +0000\r\n\r\nHello Alice.\r\n";
  private static final String M2 = "From: carol@example.org\r\nSubject: second\r\n\r\nquarterly report\r\n";
  private static final String M3 = "From: bob@example.org\r\nSubject: third\r\n\r\nbye\r\n";

  private FakeImapBackend backend;
  private RecentTracker recent;

  @BeforeEach
  void setUp() {
    backend = new FakeImapBackend().user(ALICE, "secret");
    backend.deliver(ALICE, "INBOX", M1);
    backend.deliver(ALICE, "INBOX", M2);
    backend.deliver(ALICE, "INBOX", M3);
    recent = new RecentTracker();
  }

  private SessionDriver client() {
    return new SessionDriver(backend, recent);
  }

  @Test
  void greeting_listsCapabilities_withAuthPlainOnLoopback() {
    assertThat(client().greeting()).startsWith("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS AUTH=PLAIN SASL-IR")
        .contains(" IDLE ", " MOVE ", " CONDSTORE ", " QRESYNC ").endsWith("imap.example.org Quill IMAP ready\r\n");
  }

  @Test
  void notAuthenticated_selectIsBad_loginThenSelectWorks() {
    SessionDriver c = client();
    assertThat(c.send("a1 SELECT INBOX")).isEqualTo("a1 BAD SELECT not allowed now\r\n");
    assertThat(c.send("a2 LOGIN alice@example.org wrong")).isEqualTo("a2 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n");
    assertThat(c.send("a3 LOGIN alice@example.org secret")).startsWith("a3 OK [CAPABILITY IMAP4rev1").doesNotContain("AUTH=");
    String select = c.send("a4 SELECT inbox");
    assertThat(select).contains("* 3 EXISTS\r\n", "* 3 RECENT\r\n", "* OK [UNSEEN 1]", "* OK [UIDVALIDITY 1000]",
        "* OK [UIDNEXT 4]", "\\*)]", "* OK [HIGHESTMODSEQ ").endsWith("a4 OK [READ-WRITE] SELECT completed\r\n");
  }

  @Test
  void plaintextLogin_refusedWithoutTlsFromOtherAddresses() throws Exception {
    SessionDriver c = new SessionDriver(backend, recent, InetAddress.getByName("192.0.2.7"), false, 20);
    assertThat(c.greeting()).contains("LOGINDISABLED").doesNotContain("AUTH=PLAIN");
    assertThat(c.send("a LOGIN alice@example.org secret")).startsWith("a NO [PRIVACYREQUIRED]");
    assertThat(c.send("b AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==")).startsWith("b NO [PRIVACYREQUIRED]");
    SessionDriver tls = new SessionDriver(backend, recent, InetAddress.getByName("192.0.2.7"), true, 20);
    assertThat(tls.send("c AUTHENTICATE PLAIN AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==")).startsWith("c OK [CAPABILITY");
  }

  @Test
  void authenticatePlain_withoutInitialResponse_asksForIt() {
    SessionDriver c = client();
    assertThat(c.send("a AUTHENTICATE PLAIN")).isEqualTo("+ \r\n");
    assertThat(c.last).isEqualTo(ImapSession.Outcome.SASL);
    c.session.saslResponse("AGFsaWNlQGV4YW1wbGUub3JnAHNlY3JldA==", c.out);
    assertThat(c.out.takeText()).startsWith("a OK [CAPABILITY");
  }

  /**
   * A session with Work selected (one message, UID 1) after {@code before}; then Work is created again
   * behind its back with no change it could count (the in-flight race a renumbering can make), so
   * UID 1 names another message.
   */
  private SessionDriver workCreatedAgainUnnoticed(String... before) {
    backend.createMailbox(ALICE, "Work", java.util.Set.of());
    backend.deliver(ALICE, "Work", M1);
    SessionDriver c = client().login();
    assertThat(c.send("s SELECT Work")).contains("s OK [READ-WRITE]");
    for (String command : before) {
      assertThat(c.send(command)).contains(" OK ");
    }
    backend.unnoticed(() -> {
      backend.deleteMailbox(ALICE, "Work");
      backend.createMailbox(ALICE, "Work", java.util.Set.of());
      backend.deliver(ALICE, "Work", M2);
    });
    return c;
  }

  /**
   * Sends {@code command} after {@code before} to a session whose Work was created again unnoticed
   * ({@link #workCreatedAgainUnnoticed}): refused, the session ends with the BYE.
   */
  private void refusedWithBye(String command, String... before) {
    SessionDriver c = workCreatedAgainUnnoticed(before);
    assertThat(c.send(command)).as(command).isEqualTo("* BYE Mailbox UIDVALIDITY changed; select it again\r\n");
    assertThat(c.last).isEqualTo(ImapSession.Outcome.CLOSE);
  }

  @Test
  void anExpungeRefusedForAChangedUidValidity_endsTheSession_andRemovesNothing() {
    refusedWithBye("e EXPUNGE", "f STORE 1 +FLAGS (\\Deleted)");
    assertThat(backend.messages(ALICE, "Work")).singleElement().satisfies(m -> assertThat(m.uid()).isEqualTo(1));
  }

  @Test
  void aStoreRefusedForAChangedUidValidity_endsTheSession_andChangesNoFlag() {
    refusedWithBye("f UID STORE 1 +FLAGS (\\Deleted)");
    assertThat(backend.messages(ALICE, "Work")).singleElement().satisfies(m -> assertThat(m.flags()).isEmpty());
  }

  /** UID 1 names M2 now: showing its bytes, or its structure, as the session's message 1 would be a lie. */
  @ParameterizedTest
  @ValueSource(strings = {"f FETCH 1 (BODY.PEEK[])", "f UID FETCH 1 (BODYSTRUCTURE)", "f FETCH 1 BODY[TEXT]",
      "s UID SEARCH BODY quarterly"})
  void aReadRefusedForAChangedUidValidity_endsTheSession(String command) {
    refusedWithBye(command);
  }

  @ParameterizedTest
  @ValueSource(strings = {"m MOVE 1 Projects", "c UID COPY 1 Projects"})
  void aCopyOrMoveRefusedForAChangedUidValidity_endsTheSession_andCopiesNothing(String command) {
    backend.createMailbox(ALICE, "Projects", java.util.Set.of());
    refusedWithBye(command);
    assertThat(backend.messages(ALICE, "Projects")).isEmpty();
    assertThat(backend.messages(ALICE, "Work")).hasSize(1);
  }

  @Test
  void partOfTheMailboxUnreachable_selectWarns_andTheReturnIsReportedOnce() {
    backend.unreachable = List.of("node-c");
    SessionDriver c = client().login();
    assertThat(c.send("s SELECT INBOX")).contains("* 3 EXISTS\r\n* NO [UNAVAILABLE] Part of this mailbox is stored on"
        + " node-c, unreachable now: its messages cannot be fetched, and may be missing from the listing, until it"
        + " returns\r\n").endsWith("s OK [READ-WRITE] SELECT completed\r\n");
    backend.unreachable = List.of();
    backend.deliver(ALICE, "INBOX", M1);
    String noop = c.send("n NOOP");
    assertThat(noop).contains("* 4 EXISTS", "* OK All of this mailbox is reachable again").doesNotContain("UNAVAILABLE");
    backend.deliver(ALICE, "INBOX", M2);
    assertThat(c.send("n2 NOOP")).contains("* 5 EXISTS").doesNotContain("reachable");
  }

  @Test
  void recent_ofAMailboxCreatedAgain_startsOver() {
    SessionDriver a = client().login();
    a.send("c CREATE Lists");
    a.send("a1 APPEND Lists {5+}\r\nfirst");
    a.send("a2 APPEND Lists {6+}\r\nsecond");
    assertThat(a.send("s SELECT Lists")).contains("* 2 RECENT");
    a.send("u UNSELECT");
    a.send("d DELETE Lists");
    a.send("c CREATE Lists");
    a.send("a3 APPEND Lists {5+}\r\nthird");
    assertThat(client().login().send("s SELECT Lists")).as("new UIDVALIDITY, UIDs from 1 again")
        .contains("* 1 EXISTS", "* 1 RECENT");
  }

  @Test
  void recent_onlyTheFirstSessionSeesIt() {
    assertThat(client().login().send("s SELECT INBOX")).contains("* 3 RECENT");
    SessionDriver second = client().login();
    assertThat(second.send("s SELECT INBOX")).contains("* 0 RECENT");
    backend.deliver(ALICE, "INBOX", M1);
    assertThat(second.send("n NOOP")).isEqualTo("* 4 EXISTS\r\n* 1 RECENT\r\nn OK NOOP completed\r\n");
    assertThat(second.send("f FETCH 4 FLAGS")).startsWith("* 4 FETCH (FLAGS (\\Recent))");
  }

  @Test
  void otherSessionsExpunge_notReportedDuringFetch_reportedAtNoop() {
    SessionDriver a = client().login();
    a.send("s SELECT INBOX");
    SessionDriver b = client().login();
    b.send("s SELECT INBOX");
    b.send("st STORE 2 +FLAGS (\\Deleted)");
    assertThat(b.send("e EXPUNGE")).isEqualTo("* 2 EXPUNGE\r\ne OK EXPUNGE completed\r\n");
    String fetch = a.send("f FETCH 1:3 (UID)");
    assertThat(fetch).doesNotContain(" EXPUNGE\r\n").contains("* 1 FETCH (UID 1)", "* 3 FETCH (UID 3)")
        .contains("f OK [EXPUNGEISSUED]");
    assertThat(a.send("n NOOP")).isEqualTo("* 2 EXPUNGE\r\nn OK NOOP completed\r\n");
    assertThat(a.send("f2 FETCH 2 (UID)")).isEqualTo("* 2 FETCH (UID 3)\r\nf2 OK FETCH completed\r\n");
  }

  @Test
  void otherSessionsFlagChange_reportedAsFetch() {
    SessionDriver a = client().login();
    a.send("s SELECT INBOX");
    SessionDriver b = client().login();
    b.send("s SELECT INBOX");
    b.send("st STORE 1 +FLAGS.SILENT (\\Flagged)");
    assertThat(a.send("n NOOP")).startsWith("* 1 FETCH (UID 1 FLAGS (\\Flagged \\Recent))");
  }

  @Test
  void qresync_vanishedInsteadOfExpunge_andSelectReplay() {
    SessionDriver a = client().login();
    assertThat(a.send("e ENABLE QRESYNC")).startsWith("* ENABLED QRESYNC\r\n");
    String select = a.send("s SELECT INBOX");
    long modSeq = Long.parseLong(select.replaceAll("(?s).*HIGHESTMODSEQ (\\d+).*", "$1"));
    a.send("st STORE 1:2 +FLAGS.SILENT (\\Deleted)");
    assertThat(a.send("x EXPUNGE")).isEqualTo("* VANISHED 1:2\r\nx OK EXPUNGE completed\r\n");
    a.send("u UNSELECT");
    assertThat(a.send("s2 SELECT INBOX (QRESYNC (1000 " + modSeq + " 1:3))"))
        .contains("* VANISHED (EARLIER) 1:2\r\n");
  }

  @Test
  void condstore_unchangedSinceReportsModified() {
    SessionDriver a = client().login();
    a.send("s SELECT INBOX (CONDSTORE)");
    String f = a.send("f FETCH 1 (MODSEQ)");
    long modSeq = Long.parseLong(f.replaceAll("(?s).*MODSEQ \\((\\d+)\\).*", "$1"));
    a.send("st STORE 1 +FLAGS.SILENT (\\Seen)");
    assertThat(a.send("c STORE 1 (UNCHANGEDSINCE " + modSeq + ") +FLAGS (\\Flagged)"))
        .isEqualTo("c OK [MODIFIED 1] Conditional STORE failed\r\n");
  }

  @Test
  void search_rev1SearchAndRev2Esearch() {
    SessionDriver a = client().login();
    a.send("s SELECT INBOX");
    a.send("st STORE 2 +FLAGS (\\Seen)");
    assertThat(a.send("q SEARCH UNSEEN")).isEqualTo("* SEARCH 1 3\r\nq OK SEARCH completed\r\n");
    assertThat(a.send("q2 UID SEARCH RETURN (MIN MAX COUNT) ALL"))
        .isEqualTo("* ESEARCH (TAG \"q2\") UID MIN 1 MAX 3 COUNT 3\r\nq2 OK UID SEARCH completed\r\n");
    assertThat(a.send("q3 SEARCH CHARSET KOI8-R ALL")).startsWith("q3 NO [BADCHARSET (UTF-8 US-ASCII)]");
    assertThat(a.send("q4 SEARCH OR 1 3 NOT SEEN")).startsWith("* SEARCH 1 3\r\n");
    assertThat(a.send("q5 SEARCH LARGER 70")).startsWith("* SEARCH 1\r\n");
    SessionDriver b = client().login();
    b.send("e ENABLE IMAP4rev2");
    b.send("s SELECT INBOX");
    assertThat(b.send("q SEARCH 2:*")).isEqualTo("* ESEARCH (TAG \"q\") ALL 2:3\r\nq OK SEARCH completed\r\n");
  }

  @Test
  void append_copy_move_reportUidplusCodes() {
    SessionDriver a = client().login();
    assertThat(a.send("c CREATE Archive")).isEqualTo("c OK CREATE completed\r\n");
    assertThat(a.send("a APPEND Archive (\\Seen) {5+}\r\nhello")).isEqualTo("a OK [APPENDUID 1001 1] APPEND completed\r\n");
    assertThat(a.send("a2 APPEND Nowhere {5+}\r\nhello")).startsWith("a2 NO [TRYCREATE]");
    a.send("s SELECT INBOX");
    assertThat(a.send("cp COPY 1:2 Archive")).isEqualTo("cp OK [COPYUID 1001 1:2 2:3] COPY completed\r\n");
    assertThat(a.send("mv UID MOVE 3 Archive"))
        .isEqualTo("* OK [COPYUID 1001 3 4] Moved\r\n* 3 EXPUNGE\r\nmv OK UID MOVE completed\r\n");
    assertThat(a.send("st STATUS Archive (MESSAGES UIDNEXT UNSEEN)"))
        .isEqualTo("* STATUS Archive (MESSAGES 4 UIDNEXT 5 UNSEEN 3)\r\nst OK STATUS completed\r\n");
  }

  @Test
  void diskFull_writesAnswerNoUnavailable_readsGoOn_andAFetchThatWouldSetSeenStillReads() {
    SessionDriver a = client().login();
    a.send("s SELECT INBOX");
    backend.refuseWrites(new StorageUnavailableException(StorageUnavailableException.Reason.NO_SPACE,
        "the mail store's disk is full"));
    assertThat(a.send("a APPEND INBOX {5+}\r\nhello"))
        .isEqualTo("a NO [UNAVAILABLE] insufficient system storage: the mail store's disk is full; try again later\r\n");
    assertThat(a.send("f STORE 1 +FLAGS (\\Flagged)")).startsWith("f NO [UNAVAILABLE] ");
    assertThat(a.send("c COPY 1 INBOX")).startsWith("c NO [UNAVAILABLE] ");
    assertThat(a.send("m MOVE 1 INBOX")).startsWith("m NO [UNAVAILABLE] ");
    String fetch = a.send("b FETCH 1 BODY[]");
    assertThat(fetch).contains("BODY[] {").endsWith("b OK FETCH completed\r\n").doesNotContain("\\Seen");
    assertThat(a.send("n NOOP")).isEqualTo("n OK NOOP completed\r\n");

    backend.refuseWrites(null);
    assertThat(a.send("f2 STORE 1 +FLAGS (\\Flagged)")).endsWith("f2 OK STORE completed\r\n");
  }

  @Test
  void append_overQuota() {
    backend.quota(10);
    SessionDriver a = client().login();
    assertThat(a.send("a APPEND INBOX {5+}\r\nhello")).isEqualTo("a NO [OVERQUOTA] Quota exceeded\r\n");
    assertThat(a.send("q GETQUOTAROOT INBOX")).startsWith("* QUOTAROOT INBOX \"\"\r\n* QUOTA \"\" (STORAGE ");
    assertThat(a.send("s SETQUOTA \"\" (STORAGE 1)")).startsWith("s NO [NOPERM]");
  }

  @Test
  void quota_withoutOne_hasNoQuotaRoot() {
    SessionDriver a = client().login();
    assertThat(a.send("q GETQUOTAROOT INBOX")).as("no root, so no QUOTA response without resources")
        .isEqualTo("* QUOTAROOT INBOX\r\nq OK GETQUOTAROOT completed\r\n");
    assertThat(a.send("g GETQUOTA \"\"")).isEqualTo("g NO [NONEXISTENT] No such quota root\r\n");
    assertThat(a.send("m GETQUOTAROOT Nowhere")).startsWith("m NO [NONEXISTENT]");
  }

  @Test
  void list_patternsChildrenAndSpecialUse() {
    SessionDriver a = client().login();
    a.send("c1 CREATE Work/Projects");
    a.send("c2 CREATE Sent (USE (\\Sent))");
    a.send("sub SUBSCRIBE Sent");
    assertThat(a.send("l LIST \"\" %")).isEqualTo("* LIST (\\HasNoChildren) \"/\" INBOX\r\n"
        + "* LIST (\\HasNoChildren \\Sent) \"/\" Sent\r\n"
        + "* LIST (\\Noselect \\HasChildren) \"/\" Work\r\n"
        + "l OK LIST completed\r\n");
    assertThat(a.send("l2 LIST \"\" *")).contains("\"/\" Work/Projects\r\n");
    assertThat(a.send("l3 LIST (SUBSCRIBED) \"\" *")).isEqualTo("* LIST (\\HasNoChildren \\Subscribed \\Sent) \"/\" Sent\r\n"
        + "l3 OK LIST completed\r\n");
    assertThat(a.send("l4 LSUB \"\" *")).isEqualTo("* LSUB (\\Sent) \"/\" Sent\r\nl4 OK LSUB completed\r\n");
    assertThat(a.send("l5 LIST \"\" \"\"")).isEqualTo("* LIST (\\Noselect) \"/\" \"\"\r\nl5 OK LIST completed\r\n");
    assertThat(a.send("l6 LIST \"\" INBOX RETURN (STATUS (MESSAGES))"))
        .contains("* STATUS INBOX (MESSAGES 3)\r\n");
  }

  @Test
  void mailboxNames_modifiedUtf7InRev1_utf8InRev2() {
    SessionDriver a = client().login();
    assertThat(a.send("c CREATE &ZeVnLIqe-")).isEqualTo("c OK CREATE completed\r\n");
    assertThat(backend.mailbox(ALICE, "日本語")).isPresent();
    assertThat(a.send("l LIST \"\" *")).contains("\"/\" &ZeVnLIqe-\r\n");
    assertThat(a.send("bad CREATE &Jjo!")).startsWith("bad NO [CANNOT]");
    SessionDriver b = client().login();
    b.send("e ENABLE IMAP4rev2");
    assertThat(b.send("l LIST \"\" *")).contains("\"/\" \"日本語\"");
  }

  @Test
  void fetch_corruptMessageSkipped_withServerbug() {
    backend.corrupt(2);
    SessionDriver a = client().login();
    a.send("s EXAMINE INBOX");
    String out = a.send("f FETCH 1:3 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    assertThat(out).contains("* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT)] {").doesNotContain("* 2 FETCH")
        .contains("* 3 FETCH").endsWith("f NO [SERVERBUG] 1 message(s) failed their integrity check and were skipped\r\n");
  }

  @Test
  void fetch_bodyWithoutPeekSetsSeen_peekDoesNot() {
    SessionDriver a = client().login();
    a.send("s SELECT INBOX");
    assertThat(a.send("f FETCH 1 (BODY.PEEK[TEXT])")).isEqualTo("* 1 FETCH (BODY[TEXT] {14}\r\nHello Alice.\r\n)\r\n"
        + "f OK FETCH completed\r\n");
    assertThat(a.send("f2 FETCH 1 BODY[TEXT]<0.5>")).isEqualTo("* 1 FETCH (BODY[TEXT]<0> {5}\r\nHello FLAGS (\\Seen \\Recent))\r\n"
        + "f2 OK FETCH completed\r\n");
    assertThat(a.send("f3 UID FETCH 1:* (FLAGS RFC822.SIZE INTERNALDATE)"))
        .startsWith("* 1 FETCH (UID 1 FLAGS (\\Seen \\Recent) RFC822.SIZE " + M1.length() + " INTERNALDATE \"01-Mar-2024 10:00:00 +0000\")");
    assertThat(a.send("f4 FETCH 9 FLAGS")).isEqualTo("f4 BAD Invalid message number\r\n");
  }

  @Test
  void tooManyErrors_endsWithBye() {
    SessionDriver c = new SessionDriver(backend, recent, InetAddress.getLoopbackAddress(), false, 3);
    c.send("a FOO");
    c.send("b BAR");
    assertThat(c.send("c BAZ")).isEqualTo("c BAD Unknown command\r\n* BYE Too many errors\r\n");
    assertThat(c.last).isEqualTo(ImapSession.Outcome.CLOSE);
  }

  @Test
  void stateRules_closeExpungesSilently_unselectDoesNot() {
    SessionDriver a = client().login();
    a.send("s SELECT INBOX");
    a.send("st STORE 1 +FLAGS.SILENT (\\Deleted)");
    assertThat(a.send("c CLOSE")).isEqualTo("c OK CLOSE completed\r\n");
    assertThat(backend.messages(ALICE, "INBOX")).hasSize(2);
    assertThat(a.send("f FETCH 1 FLAGS")).isEqualTo("f BAD FETCH not allowed now\r\n");
    a.send("s2 EXAMINE INBOX");
    assertThat(a.send("st STORE 1 +FLAGS (\\Deleted)")).startsWith("st NO [READ-ONLY]");
    assertThat(a.send("e ENABLE CONDSTORE")).isEqualTo("e BAD ENABLE not allowed now\r\n");
    assertThat(a.send("lo LOGOUT")).isEqualTo("* BYE Logging out\r\nlo OK LOGOUT completed\r\n");
    assertThat(List.of(a.last)).containsExactly(ImapSession.Outcome.CLOSE);
  }

  /**
   * CLOSE has no NO (RFC 9051, 6.4.2): when its expunge is refused (here a cluster node out of reach)
   * the refusal is an untagged NO, the mailbox is closed all the same, and the messages stay, still
   * flagged, for the next CLOSE or EXPUNGE.
   */
  @Test
  void close_whoseExpungeIsRefused_stillCloses_withAnUntaggedNo_andTheMessagesStay() {
    SessionDriver a = client().login();
    a.send("s SELECT INBOX");
    a.send("st STORE 1 +FLAGS.SILENT (\\Deleted)");
    backend.refuseWrites(new dev.quill.store.StoreException("n2 holds UID 1 and does not answer; try again"));
    assertThat(a.send("c CLOSE")).isEqualTo("* NO [UNAVAILABLE] CLOSE expunged nothing: n2 holds UID 1 and does not "
        + "answer; try again\r\nc OK CLOSE completed\r\n");
    assertThat(a.send("f FETCH 1 FLAGS")).isEqualTo("f BAD FETCH not allowed now\r\n");
    backend.refuseWrites(null);
    assertThat(backend.messages(ALICE, "INBOX")).hasSize(3);
    a.send("s2 SELECT INBOX");
    assertThat(a.send("f2 FETCH 1 FLAGS")).contains("\\Deleted");
    assertThat(a.send("c2 CLOSE")).isEqualTo("c2 OK CLOSE completed\r\n");
    assertThat(backend.messages(ALICE, "INBOX")).hasSize(2);
  }

  @Test
  void emptyMailbox_starRangeNamesNothing_explicitNumberIsBad() {
    SessionDriver a = client().login();
    a.send("e ENABLE IMAP4rev2");
    a.send("c CREATE Empty");
    assertThat(a.send("s SELECT Empty")).contains("* 0 EXISTS\r\n", "* LIST () \"/\" Empty\r\n").doesNotContain("RECENT");
    assertThat(a.send("f FETCH 1:* FLAGS")).isEqualTo("f OK FETCH completed\r\n");
    assertThat(a.send("f2 FETCH 1 FLAGS")).isEqualTo("f2 BAD Invalid message number\r\n");
    assertThat(a.send("f3 UID FETCH 1:* FLAGS")).isEqualTo("f3 OK UID FETCH completed\r\n");
  }

  @Test
  void examine_seesRecentButDoesNotTakeIt() {
    assertThat(client().login().send("x EXAMINE INBOX")).contains("* 3 RECENT");
    assertThat(client().login().send("s SELECT INBOX")).contains("* 3 RECENT");
    assertThat(client().login().send("x EXAMINE INBOX")).contains("* 0 RECENT");
  }

  @Test
  void ownStoreAndExpunge_needNoReread_othersChangesStillReported() {
    SessionDriver a = client().login();
    a.send("s SELECT INBOX");
    long reads = backend.messagesCalls.get();
    assertThat(a.send("st STORE 1 +FLAGS (\\Flagged)")).startsWith("* 1 FETCH (FLAGS (\\Flagged \\Recent))");
    assertThat(a.send("n NOOP")).isEqualTo("n OK NOOP completed\r\n");
    a.send("st2 STORE 3 +FLAGS.SILENT (\\Deleted)");
    assertThat(a.send("e EXPUNGE")).isEqualTo("* 3 EXPUNGE\r\ne OK EXPUNGE completed\r\n");
    assertThat(a.send("n2 NOOP")).isEqualTo("n2 OK NOOP completed\r\n");
    assertThat(backend.messagesCalls.get()).as("the session's own writes updated its view directly").isEqualTo(reads);

    SessionDriver b = client().login();
    b.send("s SELECT INBOX");
    b.send("st STORE 2 +FLAGS.SILENT (\\Seen)");
    assertThat(a.send("n3 NOOP")).isEqualTo("* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))\r\nn3 OK NOOP completed\r\n");
    assertThat(backend.messagesCalls.get()).isGreaterThan(reads + 1);
  }

  @Test
  void fetch_manyMessages_loadedInBatches_everyOneAnswered_corruptOneSkipped() {
    for (int i = 4; i <= 75; i++) {
      backend.deliver(ALICE, "INBOX", "Subject: message " + i + "\r\n\r\nbody " + i + "\r\n");
    }
    backend.corrupt(40);
    SessionDriver a = client().login();
    a.send("s SELECT INBOX");
    long loads = backend.loadCalls.get();
    String out = a.send("f UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    for (int i = 4; i <= 75; i++) {
      if (i == 40) {
        assertThat(out).doesNotContain("* 40 FETCH");
      } else {
        assertThat(out).contains("* " + i + " FETCH (UID " + i + " BODY[HEADER.FIELDS (SUBJECT)] {"
            + ("Subject: message " + i + "\r\n\r\n").length() + "}\r\nSubject: message " + i + "\r\n\r\n)");
      }
    }
    assertThat(out).endsWith("f NO [SERVERBUG] 1 message(s) failed their integrity check and were skipped\r\n");
    assertThat(backend.loadCalls.get() - loads).as("75 messages in batches of %d", MessageView.BATCH)
        .isEqualTo((75 + MessageView.BATCH - 1) / MessageView.BATCH);

    String seen = a.send("f2 FETCH 50:75 BODY[TEXT]");
    assertThat(seen.lines().filter(l -> l.contains("FLAGS (\\Seen \\Recent)"))).hasSize(26);
    assertThat(a.send("f3 FETCH 50,75 FLAGS")).contains("* 50 FETCH (FLAGS (\\Seen \\Recent))")
        .contains("* 75 FETCH (FLAGS (\\Seen \\Recent))");
  }
}
