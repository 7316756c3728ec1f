package dev.quill.mail.pop3.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.pop3.MaildropLocks;
import dev.quill.mail.pop3.Pop3Config;
import dev.quill.mail.pop3.codec.Pop3CommandParser;
import dev.quill.mail.pop3.session.Pop3Reply.After;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Pop3SessionTest {
  private static final String ALICE = "alice@example.org";
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final InetAddress REMOTE = address(203, 0, 113, 9);

  private final Pop3Config config = Pop3Config.defaults("pop.example.org");
  private FakeMaildropStore store;
  private MaildropLocks locks;
  private LoginThrottle throttle;

  @BeforeEach
  void setUp() {
    store = new FakeMaildropStore().user(ALICE, "secret");
    store.add(ALICE, "Subject: one\r\n\r\nfirst\r\n");
    store.add(ALICE, "Subject: two\r\n\r\nsecond body\r\nline 2\r\nline 3\r\n");
    store.add(ALICE, "Subject: three\r\n\r\nthird\r\n");
    locks = new MaildropLocks();
    throttle = new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 10, 20, Duration.ofMinutes(15)), Clock.systemUTC());
  }

  private static InetAddress address(int a, int b, int c, int d) {
    try {
      return InetAddress.getByAddress(new byte[] {(byte) a, (byte) b, (byte) c, (byte) d});
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  private Pop3Session session(InetAddress from, boolean tlsAvailable, boolean tlsActive) {
    return new Pop3Session(config, store, locks, throttle, new Pop3Session.Peer("t-1", from, tlsAvailable, tlsActive));
  }

  private Pop3Session session() {
    return session(LOOPBACK, false, false);
  }

  private static Pop3Reply send(Pop3Session s, String line) {
    return s.awaitingSaslResponse() ? s.saslResponse(line) : s.handle(Pop3CommandParser.parse(line));
  }

  private static String status(Pop3Session s, String line) {
    return send(s, line).status();
  }

  private Pop3Session loggedIn() {
    Pop3Session s = session();
    assertThat(status(s, "USER " + ALICE)).startsWith("+OK");
    assertThat(status(s, "PASS secret")).isEqualTo("+OK maildrop has 3 messages (" + totalOctets() + " octets)");
    return s;
  }

  private long totalOctets() {
    return store.inboxes.get(ALICE).values().stream().mapToLong(b -> b.length).sum();
  }

  private static String plain(String authz, String user, String password) {
    return Base64.getEncoder().encodeToString((authz + "\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
  }

  // ---- AUTHORIZATION -------------------------------------------------------------------------

  @Test
  void greeting_isOkWithConfiguredText() {
    assertThat(session().greeting()).isEqualTo("+OK pop.example.org Quill POP3 ready");
  }

  @Test
  void userPass_correct_entersTransaction() {
    Pop3Session s = loggedIn();
    assertThat(s.state()).isEqualTo(Pop3Session.State.TRANSACTION);
    assertThat(s.user()).isEqualTo(ALICE);
    assertThat(locks.isLocked(ALICE)).isTrue();
  }

  @Test
  void userName_caseInsensitive() {
    Pop3Session s = session();
    send(s, "USER Alice@Example.ORG");
    assertThat(status(s, "PASS secret")).startsWith("+OK maildrop has 3");
  }

  @Test
  void partialMaildrop_loginSaysWhichNodesAreMissing() {
    store.unreachable = List.of("node-c");
    Pop3Session s = session();
    send(s, "USER " + ALICE);
    assertThat(status(s, "PASS secret")).startsWith("+OK maildrop has 3 messages")
        .endsWith("; messages stored on node-c are unreachable and not listed until it returns");
    assertThat(status(s, "STAT")).startsWith("+OK 3 ");
  }

  @Test
  void pass_wrong_authErrorAndBackToUser() {
    Pop3Session s = session();
    send(s, "USER " + ALICE);
    assertThat(status(s, "PASS wrong")).isEqualTo("-ERR [AUTH] invalid user name or password");
    assertThat(status(s, "PASS secret")).isEqualTo("-ERR send USER first");
    assertThat(s.state()).isEqualTo(Pop3Session.State.AUTHORIZATION);
  }

  @Test
  void authFailures_thirdClosesSession() {
    Pop3Session s = session();
    for (int i = 0; i < 2; i++) {
      send(s, "USER " + ALICE);
      assertThat(send(s, "PASS wrong" + i).after()).isEqualTo(After.CONTINUE);
    }
    send(s, "USER " + ALICE);
    Pop3Reply third = send(s, "PASS wrong");
    assertThat(third.status()).startsWith("-ERR [AUTH]").contains("closing");
    assertThat(third.after()).isEqualTo(After.CLOSE);
    assertThat(s.state()).isEqualTo(Pop3Session.State.CLOSED);
  }

  @Test
  void throttledUser_refusedWithSysTempWithoutCheckingPassword() {
    throttle = new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 100, 2, Duration.ofMinutes(15)), Clock.systemUTC());
    for (int i = 0; i < 2; i++) {
      Pop3Session s = session();
      send(s, "USER " + ALICE);
      assertThat(status(s, "PASS wrong")).startsWith("-ERR [AUTH]");
    }
    int checks = store.authentications;
    Pop3Session s = session();
    send(s, "USER " + ALICE);
    assertThat(status(s, "PASS secret")).isEqualTo("-ERR [SYS/TEMP] too many failed logins, try later");
    assertThat(store.authentications).isEqualTo(checks);
  }

  @Test
  void secondSessionOfSameUser_inUse_andGetsLockAfterFirstQuits() {
    Pop3Session first = loggedIn();
    Pop3Session second = session();
    send(second, "USER " + ALICE);
    assertThat(status(second, "PASS secret")).isEqualTo("-ERR [IN-USE] maildrop is locked by another session");
    assertThat(second.state()).isEqualTo(Pop3Session.State.AUTHORIZATION);
    assertThat(send(first, "QUIT").after()).isEqualTo(After.CLOSE);
    send(second, "USER " + ALICE);
    assertThat(status(second, "PASS secret")).startsWith("+OK");
  }

  @Test
  void maildropHeldOnAnotherNode_inUse_andThisNodesLockGivenBack() {
    store.lockedElsewhere = true;
    Pop3Session s = session();
    send(s, "USER " + ALICE);
    assertThat(status(s, "PASS secret")).isEqualTo("-ERR [IN-USE] maildrop is locked by another session");
    assertThat(s.state()).isEqualTo(Pop3Session.State.AUTHORIZATION);
    assertThat(locks.isLocked(ALICE)).isFalse();
    store.lockedElsewhere = false;
    send(s, "USER " + ALICE);
    assertThat(status(s, "PASS secret")).startsWith("+OK maildrop has 3");
    assertThat(store.sharedLocksHeld).isEqualTo(1);
  }

  @Test
  void otherNodesOutOfReach_sysTemp_andNothingStaysLocked() {
    store.failLock = true;
    Pop3Session s = session();
    send(s, "USER " + ALICE);
    assertThat(status(s, "PASS secret")).isEqualTo("-ERR [SYS/TEMP] temporary storage failure, try again later");
    assertThat(locks.isLocked(ALICE)).isFalse();
    assertThat(store.sharedLocksHeld).isZero();
  }

  @Test
  void quitAndClose_giveTheSharedLockBack_asDoesAFailedOpen() {
    Pop3Session quitting = loggedIn();
    assertThat(store.sharedLocksHeld).isEqualTo(1);
    send(quitting, "QUIT");
    assertThat(store.sharedLocksHeld).isZero();
    Pop3Session dropped = loggedIn();
    dropped.close();
    dropped.close();
    assertThat(store.sharedLocksHeld).isZero();
    store.failOpen = true;
    Pop3Session failing = session();
    send(failing, "USER " + ALICE);
    assertThat(status(failing, "PASS secret")).startsWith("-ERR [SYS/TEMP]");
    assertThat(store.sharedLocksHeld).isZero();
  }

  @Test
  void close_withoutQuit_releasesLockAndDeletesNothing() {
    Pop3Session s = loggedIn();
    send(s, "DELE 1");
    s.close();
    assertThat(locks.isLocked(ALICE)).isFalse();
    assertThat(store.expunges).isEmpty();
    assertThat(store.inboxes.get(ALICE)).hasSize(3);
  }

  @Test
  void plaintextFromRemoteWithoutTls_refusedAndNotAdvertised() {
    Pop3Session s = session(REMOTE, true, false);
    assertThat(((Pop3Reply.Listing) send(s, "CAPA")).lines()).contains("STLS").doesNotContain("USER", "SASL PLAIN");
    assertThat(status(s, "USER " + ALICE)).isEqualTo("-ERR [AUTH] plaintext login not allowed on an unprotected connection, STLS first");
    assertThat(status(s, "AUTH PLAIN " + plain("", ALICE, "secret"))).startsWith("-ERR [AUTH]").contains("STLS first");
    assertThat(store.authentications).isZero();
  }

  @Test
  void plaintextFromRemote_allowedAfterStls() {
    Pop3Session s = session(REMOTE, true, false);
    Pop3Reply stls = send(s, "STLS");
    assertThat(stls.status()).isEqualTo("+OK begin TLS negotiation");
    assertThat(stls.after()).isEqualTo(After.START_TLS);
    s.tlsStarted();
    assertThat(((Pop3Reply.Listing) send(s, "CAPA")).lines()).contains("USER", "SASL PLAIN").doesNotContain("STLS");
    assertThat(status(s, "STLS")).isEqualTo("-ERR TLS is already active");
    send(s, "USER " + ALICE);
    assertThat(status(s, "PASS secret")).startsWith("+OK maildrop");
  }

  @Test
  void loopback_plaintextDisallowedByConfig_refused() {
    Pop3Session s = new Pop3Session(config.withAllowPlaintextAuthOnLoopback(false), store, locks, throttle,
        new Pop3Session.Peer("t", LOOPBACK, false, false));
    assertThat(status(s, "USER " + ALICE)).contains("STLS first");
    assertThat(((Pop3Reply.Listing) send(s, "CAPA")).lines()).doesNotContain("USER", "STLS");
  }

  @Test
  void stls_withoutTlsContext_errors() {
    assertThat(status(session(), "STLS")).isEqualTo("-ERR TLS is not available");
  }

  @Test
  void stls_forgetsUserGivenBeforeIt() {
    Pop3Session s = session(LOOPBACK, true, false);
    send(s, "USER " + ALICE);
    send(s, "STLS");
    s.tlsStarted();
    assertThat(status(s, "PASS secret")).isEqualTo("-ERR send USER first");
  }

  @Test
  void authPlain_initialResponse_logsIn() {
    Pop3Session s = session();
    assertThat(status(s, "AUTH PLAIN " + plain("", ALICE, "secret"))).startsWith("+OK maildrop has 3");
  }

  @Test
  void authPlain_continuation_logsIn() {
    Pop3Session s = session();
    Pop3Reply cont = send(s, "AUTH PLAIN");
    assertThat(cont.status()).isEqualTo("+ ");
    assertThat(s.awaitingSaslResponse()).isTrue();
    assertThat(status(s, plain(ALICE, ALICE, "secret"))).startsWith("+OK maildrop");
  }

  @Test
  void authPlain_starCancels() {
    Pop3Session s = session();
    send(s, "AUTH PLAIN");
    assertThat(status(s, "*")).isEqualTo("-ERR authentication cancelled");
    assertThat(s.awaitingSaslResponse()).isFalse();
    assertThat(s.state()).isEqualTo(Pop3Session.State.AUTHORIZATION);
  }

  @Test
  void authPlain_wrongPasswordOrOtherAuthzid_authError() {
    Pop3Session s = session();
    assertThat(status(s, "AUTH PLAIN " + plain("", ALICE, "nope"))).startsWith("-ERR [AUTH]");
    store.user("bob@example.org", "bobpw");
    assertThat(status(s, "AUTH PLAIN " + plain(ALICE, "bob@example.org", "bobpw"))).startsWith("-ERR [AUTH]");
  }

  @Test
  void authPlain_garbage_malformed() {
    Pop3Session s = session();
    assertThat(status(s, "AUTH PLAIN !!!notbase64")).isEqualTo("-ERR [AUTH] malformed SASL response");
    send(s, "AUTH PLAIN");
    assertThat(s.saslResponse(null).status()).isEqualTo("-ERR [AUTH] malformed SASL response");
  }

  @Test
  void auth_unknownMechanismOrApop_refused() {
    Pop3Session s = session();
    assertThat(status(s, "AUTH CRAM-MD5")).isEqualTo("-ERR unsupported SASL mechanism");
    assertThat(status(s, "APOP alice abc")).isEqualTo("-ERR unknown command");
    Pop3Reply mechanisms = send(s, "AUTH");
    assertThat(((Pop3Reply.Listing) mechanisms).lines()).containsExactly("PLAIN");
  }

  @Test
  void capa_advertisesExtensionsAndDropsLoginCapsAfterLogin() {
    Pop3Session s = session(LOOPBACK, true, false);
    assertThat(((Pop3Reply.Listing) send(s, "CAPA")).lines())
        .contains("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "USER", "SASL PLAIN", "STLS");
    send(s, "USER " + ALICE);
    send(s, "PASS secret");
    assertThat(((Pop3Reply.Listing) send(s, "CAPA")).lines()).contains("TOP", "UIDL").doesNotContain("USER", "STLS");
  }

  @Test
  void transactionCommands_beforeLogin_wrongState() {
    Pop3Session s = session();
    for (String command : List.of("STAT", "LIST", "RETR 1", "TOP 1 1", "DELE 1", "UIDL", "RSET", "NOOP")) {
      assertThat(status(s, command)).as(command).isEqualTo("-ERR command not valid in this state");
    }
  }

  @Test
  void loginCommands_afterLogin_wrongState() {
    Pop3Session s = loggedIn();
    for (String command : List.of("USER x", "PASS y", "AUTH PLAIN", "STLS")) {
      assertThat(status(s, command)).as(command).isEqualTo("-ERR command not valid in this state");
    }
  }

  @Test
  void openFailure_sysTempAndLockReleased() {
    store.failOpen = true;
    Pop3Session s = session();
    send(s, "USER " + ALICE);
    assertThat(status(s, "PASS secret")).isEqualTo("-ERR [SYS/TEMP] temporary storage failure, try again later");
    assertThat(locks.isLocked(ALICE)).isFalse();
    assertThat(s.state()).isEqualTo(Pop3Session.State.AUTHORIZATION);
  }

  // ---- TRANSACTION ---------------------------------------------------------------------------

  @Test
  void stat_countsAndOctets_excludeDeleted() {
    Pop3Session s = loggedIn();
    long first = store.inboxes.get(ALICE).firstEntry().getValue().length;
    assertThat(status(s, "STAT")).isEqualTo("+OK 3 " + totalOctets());
    send(s, "DELE 1");
    assertThat(status(s, "STAT")).isEqualTo("+OK 2 " + (totalOctets() - first));
  }

  @Test
  void list_all_skipsDeleted() {
    Pop3Session s = loggedIn();
    send(s, "DELE 2");
    Pop3Reply.Listing list = (Pop3Reply.Listing) send(s, "LIST");
    assertThat(list.status()).startsWith("+OK 2 messages");
    assertThat(list.lines()).containsExactly("1 " + size(1), "3 " + size(3));
  }

  private long size(int n) {
    return store.inboxes.get(ALICE).values().stream().skip(n - 1).findFirst().orElseThrow().length;
  }

  @Test
  void list_single_existingDeletedAndOutOfRange() {
    Pop3Session s = loggedIn();
    assertThat(status(s, "LIST 3")).isEqualTo("+OK 3 " + size(3));
    send(s, "DELE 3");
    assertThat(status(s, "LIST 3")).isEqualTo("-ERR no such message");
    assertThat(status(s, "LIST 4")).isEqualTo("-ERR no such message");
    assertThat(status(s, "LIST 99999999999")).isEqualTo("-ERR no such message");
  }

  @Test
  void uidl_stableUniqueIdsOfPrintableChars() {
    Pop3Session s = loggedIn();
    Pop3Reply.Listing uidl = (Pop3Reply.Listing) send(s, "UIDL");
    assertThat(uidl.lines()).containsExactly("1 1717.1", "2 1717.2", "3 1717.3");
    assertThat(status(s, "UIDL 2")).isEqualTo("+OK 2 1717.2");
    send(s, "DELE 2");
    assertThat(status(s, "UIDL 2")).isEqualTo("-ERR no such message");
    assertThat(((Pop3Reply.Listing) send(s, "UIDL")).lines()).containsExactly("1 1717.1", "3 1717.3");
    for (String line : uidl.lines()) {
      String id = line.substring(line.indexOf(' ') + 1);
      assertThat(id).hasSizeLessThanOrEqualTo(70).matches("[\\x21-\\x7e]+");
    }
  }

  @Test
  void retr_returnsMessageWithSize() {
    Pop3Session s = loggedIn();
    Pop3Reply.Message m = (Pop3Reply.Message) send(s, "RETR 1");
    assertThat(m.status()).isEqualTo("+OK " + size(1) + " octets");
    assertThat(new String(m.content(), StandardCharsets.UTF_8)).isEqualTo("Subject: one\r\n\r\nfirst\r\n");
    assertThat(m.bodyLines()).isEqualTo(-1);
  }

  @Test
  void top_passesLineCount() {
    Pop3Session s = loggedIn();
    Pop3Reply.Message m = (Pop3Reply.Message) send(s, "TOP 2 1");
    assertThat(m.status()).isEqualTo("+OK top of message follows");
    assertThat(m.bodyLines()).isEqualTo(1);
    assertThat(status(s, "TOP 9 1")).isEqualTo("-ERR no such message");
  }

  @Test
  void deletedMessage_inaccessibleUntilRset() {
    Pop3Session s = loggedIn();
    assertThat(status(s, "DELE 2")).isEqualTo("+OK message 2 deleted");
    assertThat(status(s, "DELE 2")).isEqualTo("-ERR message 2 already deleted");
    assertThat(status(s, "RETR 2")).isEqualTo("-ERR no such message");
    assertThat(status(s, "TOP 2 0")).isEqualTo("-ERR no such message");
    assertThat(status(s, "RSET")).isEqualTo("+OK maildrop has 3 messages (" + totalOctets() + " octets)");
    assertThat(send(s, "RETR 2")).isInstanceOf(Pop3Reply.Message.class);
  }

  @Test
  void dele_thenQuit_expungesAtomically() {
    Pop3Session s = loggedIn();
    send(s, "DELE 1");
    send(s, "DELE 3");
    Pop3Reply quit = send(s, "QUIT");
    assertThat(quit.status()).isEqualTo("+OK bye, 1 messages left");
    assertThat(quit.after()).isEqualTo(After.CLOSE);
    assertThat(store.expunges).containsExactly(List.of(1L, 3L));
    assertThat(store.inboxes.get(ALICE)).containsOnlyKeys(2L);
    assertThat(locks.isLocked(ALICE)).isFalse();
  }

  @Test
  void dele_thenRset_thenQuit_expungesNothing() {
    Pop3Session s = loggedIn();
    send(s, "DELE 1");
    send(s, "RSET");
    send(s, "QUIT");
    assertThat(store.expunges).isEmpty();
    assertThat(store.inboxes.get(ALICE)).hasSize(3);
  }

  @Test
  void quit_expungeFails_sysTempAndMailKept() {
    store.failExpunge = true;
    Pop3Session s = loggedIn();
    send(s, "DELE 1");
    Pop3Reply quit = send(s, "QUIT");
    assertThat(quit.status()).isEqualTo("-ERR [SYS/TEMP] deleting messages failed, no message was removed");
    assertThat(quit.after()).isEqualTo(After.CLOSE);
    assertThat(store.inboxes.get(ALICE)).hasSize(3);
    assertThat(locks.isLocked(ALICE)).isFalse();
  }

  @Test
  void quit_inAuthorization_closesWithoutUpdate() {
    Pop3Session s = session();
    Pop3Reply quit = send(s, "QUIT");
    assertThat(quit.status()).isEqualTo("+OK bye");
    assertThat(quit.after()).isEqualTo(After.CLOSE);
  }

  @Test
  void corruptMessage_sysPermAndSessionContinues() {
    Pop3Session s = loggedIn();
    store.corrupt.add(2L);
    assertThat(status(s, "RETR 2")).isEqualTo("-ERR [SYS/PERM] message is damaged and has been quarantined");
    assertThat(status(s, "RETR 2")).isEqualTo("-ERR [SYS/PERM] message is damaged and has been quarantined");
    assertThat(send(s, "RETR 3")).isInstanceOf(Pop3Reply.Message.class);
    assertThat(status(s, "NOOP")).isEqualTo("+OK");
  }

  @Test
  void messageRemovedBehindSession_reportedAsGone() {
    Pop3Session s = loggedIn();
    store.inboxes.get(ALICE).remove(1L);
    assertThat(status(s, "RETR 1")).isEqualTo("-ERR message was removed by another session");
  }

  @Test
  void readFailure_sysTemp() {
    Pop3Session s = loggedIn();
    store.failReads = true;
    assertThat(status(s, "RETR 1")).isEqualTo("-ERR [SYS/TEMP] temporary storage failure, try again later");
  }

  @Test
  void inboxRenumberedSinceLogin_retrAndTopRefused_sessionGoesOn() {
    Pop3Session s = loggedIn();
    store.currentUidValidity = FakeMaildropStore.UID_VALIDITY + 1;
    assertThat(status(s, "RETR 1")).isEqualTo("-ERR [SYS/TEMP] temporary storage failure, try again later");
    assertThat(status(s, "TOP 1 0")).isEqualTo("-ERR [SYS/TEMP] temporary storage failure, try again later");
    assertThat(status(s, "NOOP")).isEqualTo("+OK");
  }

  @Test
  void newMail_afterLogin_notVisibleUntilNextLogin() {
    Pop3Session s = loggedIn();
    store.add(ALICE, "Subject: late\r\n\r\nx\r\n");
    assertThat(status(s, "STAT")).startsWith("+OK 3 ");
    assertThat(status(s, "RETR 4")).isEqualTo("-ERR no such message");
  }

  // ---- Errors and shutdown -------------------------------------------------------------------

  @Test
  void unknownAndInvalid_errorsCounted_limitCloses() {
    Pop3Session s = new Pop3Session(config.withLimits(3, 3), store, locks, throttle,
        new Pop3Session.Peer("t", LOOPBACK, false, false));
    assertThat(status(s, "HELO")).isEqualTo("-ERR unknown command");
    assertThat(status(s, "RETR x")).isEqualTo("-ERR invalid message number");
    Pop3Reply third = send(s, "LIST");
    assertThat(third.status()).isEqualTo("-ERR too many errors, closing connection");
    assertThat(third.after()).isEqualTo(After.CLOSE);
    assertThat(send(s, "NOOP").status()).isEqualTo("-ERR session is closed");
  }

  @Test
  void noSuchMessage_notCountedAsProtocolError() {
    Pop3Session s = new Pop3Session(config.withLimits(2, 3), store, locks, throttle,
        new Pop3Session.Peer("t", LOOPBACK, false, false));
    send(s, "USER " + ALICE);
    send(s, "PASS secret");
    for (int i = 0; i < 5; i++) {
      assertThat(send(s, "RETR 42").after()).isEqualTo(After.CONTINUE);
    }
  }

  @Test
  void invalidArguments_errorNamesTheProblem() {
    Pop3Session s = loggedIn();
    assertThat(status(s, "RETR abc")).isEqualTo("-ERR invalid message number");
    assertThat(status(s, "TOP 1")).startsWith("-ERR TOP takes two arguments");
  }

  @Test
  void shutdown_closesWithoutUpdate() {
    Pop3Session s = loggedIn();
    send(s, "DELE 1");
    Pop3Reply reply = s.shutdown();
    assertThat(reply.status()).isEqualTo("-ERR [SYS/TEMP] server shutting down");
    assertThat(reply.after()).isEqualTo(After.CLOSE);
    assertThat(store.expunges).isEmpty();
    assertThat(locks.isLocked(ALICE)).isFalse();
  }

  @Test
  void lineTooLong_reportedAndCounted() {
    Pop3Session s = loggedIn();
    assertThat(s.handle(Pop3CommandParser.tooLong(1000, 512)).status()).isEqualTo("-ERR line too long (1000 octets, limit 512)");
    assertThat(status(s, "NOOP")).isEqualTo("+OK");
  }

  // ---- Read-ahead (a cluster store) ----------------------------------------------------------

  private static String content(Pop3Session s, String line) {
    return new String(((Pop3Reply.Message) send(s, line)).content(), StandardCharsets.UTF_8);
  }

  @Test
  void aClusterStoreReadsTheNextMessagesWithTheFirstRetr_andEachIsServedOnceFromThem() {
    store.aheadWorthIt = true;
    Pop3Session s = loggedIn();
    assertThat(content(s, "RETR 1")).isEqualTo("Subject: one\r\n\r\nfirst\r\n");
    assertThat(content(s, "RETR 2")).startsWith("Subject: two");
    assertThat(content(s, "RETR 3")).isEqualTo("Subject: three\r\n\r\nthird\r\n");
    assertThat(store.calls).containsExactly("ahead [1, 2, 3]");
    assertThat(content(s, "RETR 2")).as("retrieved again: read again").startsWith("Subject: two");
    assertThat(store.calls).containsExactly("ahead [1, 2, 3]", "ahead [2, 3]");
  }

  @Test
  void aLocalStoreReadsEachMessageAlone_andTopNeverReadsAhead() {
    Pop3Session s = loggedIn();
    assertThat(content(s, "RETR 1")).startsWith("Subject: one");
    assertThat(content(s, "RETR 2")).startsWith("Subject: two");
    assertThat(store.calls).containsExactly("read 1", "read 2");

    store.aheadWorthIt = true;
    store.calls.clear();
    Pop3Reply.Message top = (Pop3Reply.Message) send(s, "TOP 1 0");
    assertThat(top.bodyLines()).isZero();
    assertThat(store.calls).containsExactly("read 1");
  }

  @Test
  void deletedAndUnreadMessagesAreLeftOut_andWhatTheReadAheadMissedIsReadAlone() throws Exception {
    store.aheadWorthIt = true;
    store.add(ALICE, "Subject: four\r\n\r\nfourth\r\n");
    store.notReadAhead.add(3L);
    Pop3Session s = session();
    status(s, "USER " + ALICE);
    assertThat(status(s, "PASS secret")).startsWith("+OK maildrop has 4 messages");
    assertThat(status(s, "DELE 2")).startsWith("+OK");
    assertThat(content(s, "RETR 1")).startsWith("Subject: one");
    assertThat(store.calls).containsExactly("ahead [1, 3, 4]");
    assertThat(content(s, "RETR 3")).startsWith("Subject: three");
    assertThat(content(s, "RETR 4")).startsWith("Subject: four");
    assertThat(store.calls).containsExactly("ahead [1, 3, 4]", "read 3");

    // gone since the read-ahead missed it: the single read says so
    store.calls.clear();
    assertThat(status(s, "RSET")).startsWith("+OK");
    store.notReadAhead.add(2L);
    store.inboxes.get(ALICE).remove(2L);
    assertThat(status(s, "RETR 2")).startsWith("-ERR");
    assertThat(store.calls).containsExactly("ahead [2, 3, 4]", "read 2");
    assertThat(status(s, "NOOP")).isEqualTo("+OK");
  }

  @Test
  void aFailedReadAheadFallsBackToSingleReads_andAMarkedMessageIsDroppedFromWhatWasReadAhead() {
    store.aheadWorthIt = true;
    store.failReadAhead = true;
    Pop3Session s = loggedIn();
    assertThat(content(s, "RETR 1")).startsWith("Subject: one");
    assertThat(store.calls).containsExactly("ahead [1, 2, 3]", "read 1");

    store.failReadAhead = false;
    store.calls.clear();
    assertThat(content(s, "RETR 1")).startsWith("Subject: one");
    assertThat(status(s, "DELE 2")).startsWith("+OK");
    assertThat(status(s, "RETR 2")).isEqualTo("-ERR no such message");
    assertThat(status(s, "RSET")).startsWith("+OK");
    assertThat(content(s, "RETR 2")).startsWith("Subject: two");
    assertThat(content(s, "RETR 3")).startsWith("Subject: three");
    assertThat(store.calls).as("2 was dropped at its DELE; 3 is still read ahead")
        .containsExactly("ahead [1, 2, 3]", "read 2");
  }

  @Test
  void theReadAheadStopsAtItsBytes_andAMessageAboveThemIsReadAlone() {
    store.aheadWorthIt = true;
    store.add(ALICE, "Subject: big\r\n\r\n" + "x".repeat((int) Pop3Session.READ_AHEAD_BYTES) + "\r\n");
    store.add(ALICE, "Subject: five\r\n\r\nfifth\r\n");
    Pop3Session s = session();
    status(s, "USER " + ALICE);
    assertThat(status(s, "PASS secret")).startsWith("+OK maildrop has 5 messages");
    assertThat(content(s, "RETR 2")).startsWith("Subject: two");
    assertThat(content(s, "RETR 4")).startsWith("Subject: big");
    assertThat(content(s, "RETR 5")).startsWith("Subject: five");
    assertThat(store.calls).as("the last message alone: nothing to read ahead with it")
        .containsExactly("ahead [2, 3]", "read 4", "read 5");
  }

  @Test
  void aRenumberedInboxRefusesTheReadAhead_andTheSingleReadAnswersTemporary() {
    store.aheadWorthIt = true;
    Pop3Session s = loggedIn();
    store.currentUidValidity = FakeMaildropStore.UID_VALIDITY + 1;
    assertThat(status(s, "RETR 1")).startsWith("-ERR [SYS/TEMP]");
    assertThat(store.calls).containsExactly("ahead [1, 2, 3]", "read 1");
  }
}
