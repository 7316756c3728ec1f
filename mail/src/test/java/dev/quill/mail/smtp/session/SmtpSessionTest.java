package dev.quill.mail.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.net.LineReader;
import dev.quill.mail.smtp.SmtpConfig;
import dev.quill.mail.smtp.codec.SmtpCommandParser;
import dev.quill.mail.smtp.codec.SmtpDataReader;
import dev.quill.mail.smtp.codec.SmtpReplies;
import dev.quill.mail.smtp.codec.SmtpReply;
import dev.quill.mail.smtp.session.Step.Action;
import dev.quill.store.StorageUnavailableException;
import dev.quill.store.StoreException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The session state machine with a fake store: sequence, policy, AUTH, BDAT and limits. */
class SmtpSessionTest {
  static final InetAddress REMOTE = InetAddress.ofLiteral("192.0.2.10");
  static final InetAddress LOOPBACK = InetAddress.ofLiteral("127.0.0.1");
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);

  final FakeBackend backend = new FakeBackend()
      .user("alice@local.example", "secret")
      .user("bob@local.example", "hunter2")
      .user("jürgen@local.example", "pw")
      .alias("info@local.example", "alice@local.example");
  final SmtpCommandParser parser = new SmtpCommandParser(512);
  SmtpSession session;

  SmtpSession start(SmtpConfig config, InetAddress peer, String tls, boolean tlsAvailable, LoginThrottle throttle) {
    session = new SmtpSession(config, backend, throttle, CLOCK, new SmtpSession.Peer("t-1", peer, tls), tlsAvailable);
    return session;
  }

  void relay() {
    start(SmtpConfig.defaults("mx.test"), REMOTE, null, true, null);
  }

  void submissionLoopback() {
    start(SmtpConfig.submissionDefaults("mx.test"), LOOPBACK, null, true, null);
  }

  Step send(String line) {
    return session.handle(parser.parse(line.getBytes(StandardCharsets.UTF_8)));
  }

  SmtpReply reply(String line) {
    Step step = send(line);
    assertThat(step.replies()).as("replies to %s", line).hasSize(1);
    return step.replies().getFirst();
  }

  /** DATA, then the content through the real DATA reader (content without the final dot). */
  Step data(String content) {
    Step step = send("DATA");
    assertThat(step.action()).isEqualTo(Action.READ_DATA);
    assertThat(step.replies()).containsExactly(SmtpReplies.START_MAIL_INPUT);
    try {
      var in = new LineReader(new ByteArrayInputStream((content + ".\r\n").getBytes(StandardCharsets.UTF_8)), 256);
      return session.dataRead(SmtpDataReader.read(in, session.messageBuffer(), 1000, 50L << 20));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  Step bdat(String command, String chunk) {
    Step step = send(command);
    assertThat(step.action()).isEqualTo(Action.READ_CHUNK);
    assertThat(step.replies()).isEmpty();
    byte[] bytes = chunk.getBytes(StandardCharsets.UTF_8);
    assertThat(session.pendingChunkSize()).isEqualTo(bytes.length);
    if (session.chunkSink() != null) {
      try {
        session.chunkSink().write(bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return session.chunkRead(true);
  }

  static String plain(String authzid, String user, String password) {
    return Base64.getEncoder().encodeToString((authzid + "\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8));
  }

  static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  // ==== greeting and EHLO =======================================================================

  @Nested
  class Greeting {
    @Test
    void greeting_relay_220WithHostname() {
      relay();
      assertThat(session.greeting().replies()).containsExactly(SmtpReply.plain(220, "mx.test ESMTP"));
    }

    @Test
    void ehlo_relayIn_advertisesExtensionsWithoutAuth() {
      relay();
      SmtpReply ehlo = reply("EHLO client.example");
      assertThat(ehlo.code()).isEqualTo(250);
      assertThat(ehlo.text()).containsExactly("mx.test", "PIPELINING", "SIZE 52428800", "8BITMIME",
          "ENHANCEDSTATUSCODES", "SMTPUTF8", "CHUNKING", "STARTTLS", "HELP");
    }

    @Test
    void ehlo_submissionOnLoopback_advertisesAuth() {
      submissionLoopback();
      assertThat(reply("EHLO c").text()).contains("AUTH PLAIN LOGIN", "STARTTLS");
    }

    @Test
    void ehlo_submissionRemoteWithoutTls_noAuth() {
      start(SmtpConfig.submissionDefaults("mx.test"), REMOTE, null, true, null);
      assertThat(reply("EHLO c").text()).doesNotContain("AUTH PLAIN LOGIN").contains("STARTTLS");
    }

    @Test
    void ehlo_submissionRemoteOverTls_authNotStarttls() {
      start(SmtpConfig.submissionDefaults("mx.test"), REMOTE, "TLSv1.3", true, null);
      assertThat(reply("EHLO c").text()).contains("AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
    }

    @Test
    void ehlo_loopbackPlaintextAuthDisabled_noAuth() {
      start(SmtpConfig.submissionDefaults("mx.test").withAllowPlaintextAuthOnLoopback(false), LOOPBACK, null, true, null);
      assertThat(reply("EHLO c").text()).doesNotContain("AUTH PLAIN LOGIN");
    }

    @Test
    void ehlo_noTlsContext_noStarttls() {
      start(SmtpConfig.defaults("mx.test"), REMOTE, null, false, null);
      assertThat(reply("EHLO c").text()).doesNotContain("STARTTLS");
    }

    @Test
    void helo_plainReply() {
      relay();
      assertThat(reply("HELO c")).isEqualTo(SmtpReply.plain(250, "mx.test"));
    }

    @Test
    void ehlo_endsPipelineGroup_flushed() {
      relay();
      assertThat(send("EHLO c").flush()).isTrue();
      assertThat(send("MAIL FROM:<a@b.example>").flush()).isFalse();
    }
  }

  // ==== sequence ================================================================================

  @Nested
  class Sequence {
    @BeforeEach
    void open() {
      relay();
    }

    @Test
    void mail_beforeHelo_rejected() {
      assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.SEND_HELO_FIRST);
    }

    @Test
    void rcpt_beforeMail_rejected() {
      send("EHLO c");
      assertThat(reply("RCPT TO:<alice@local.example>")).isEqualTo(SmtpReplies.NEED_MAIL_BEFORE_RCPT);
    }

    @Test
    void data_beforeMail_rejected() {
      send("EHLO c");
      assertThat(reply("DATA")).isEqualTo(SmtpReplies.NEED_MAIL_BEFORE_DATA);
    }

    @Test
    void data_withoutRecipient_rejected() {
      send("EHLO c");
      send("MAIL FROM:<a@b.example>");
      send("RCPT TO:<nobody@local.example>");
      assertThat(reply("DATA")).isEqualTo(SmtpReplies.NEED_RCPT_BEFORE_DATA);
    }

    @Test
    void mail_nested_rejected() {
      send("EHLO c");
      send("MAIL FROM:<a@b.example>");
      assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.NESTED_MAIL);
    }

    @Test
    void rset_clearsTransactionButKeepsHelo() {
      send("EHLO c");
      send("MAIL FROM:<a@b.example>");
      send("RCPT TO:<alice@local.example>");
      assertThat(reply("RSET")).isEqualTo(SmtpReplies.OK);
      assertThat(reply("RCPT TO:<alice@local.example>")).isEqualTo(SmtpReplies.NEED_MAIL_BEFORE_RCPT);
      assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.SENDER_OK);
    }

    @Test
    void ehlo_midTransaction_resetsTransaction() {
      send("EHLO c");
      send("MAIL FROM:<a@b.example>");
      send("EHLO c");
      assertThat(reply("DATA")).isEqualTo(SmtpReplies.NEED_MAIL_BEFORE_DATA);
    }

    @Test
    void simpleCommands_expectedReplies() {
      assertThat(reply("NOOP")).isEqualTo(SmtpReplies.OK);
      assertThat(reply("VRFY alice")).isEqualTo(SmtpReplies.CANNOT_VRFY);
      assertThat(reply("VRFY alice").code()).isEqualTo(252);
      assertThat(reply("HELP")).isEqualTo(SmtpReplies.HELP);
      assertThat(reply("EXPN staff")).isEqualTo(SmtpReplies.COMMAND_NOT_IMPLEMENTED);
      assertThat(reply("FOO")).isEqualTo(SmtpReplies.COMMAND_UNRECOGNIZED);
    }

    @Test
    void quit_byeAndClose() {
      Step quit = send("QUIT");
      assertThat(quit.replies()).containsExactly(SmtpReplies.BYE);
      assertThat(quit.action()).isEqualTo(Action.CLOSE);
    }

    @Test
    void nonSmtpLine_554AndClose() {
      Step step = send("GET / HTTP/1.1");
      assertThat(step.replies()).containsExactly(SmtpReplies.NON_SMTP_COMMAND);
      assertThat(step.action()).isEqualTo(Action.CLOSE);
    }

    @Test
    void syntaxError_replyAndSessionContinues() {
      send("EHLO c");
      assertThat(reply("MAIL FROM:<bad")).isEqualTo(SmtpReplies.BAD_SENDER_SYNTAX);
      assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.SENDER_OK);
      assertThat(reply("RCPT TO:<x>")).isEqualTo(SmtpReplies.BAD_RECIPIENT_SYNTAX);
    }
  }

  // ==== MAIL parameters =========================================================================

  @Nested
  class MailParameters {
    @BeforeEach
    void open() {
      relay();
      send("EHLO c");
    }

    @Test
    void mail_sizeOverMaximum_552() {
      assertThat(reply("MAIL FROM:<a@b.example> SIZE=52428801")).isEqualTo(SmtpReplies.MESSAGE_TOO_BIG);
      assertThat(reply("MAIL FROM:<a@b.example> SIZE=52428800")).isEqualTo(SmtpReplies.SENDER_OK);
    }

    @Test
    void mail_badSize_501() {
      assertThat(reply("MAIL FROM:<a@b.example> SIZE=ten")).isEqualTo(SmtpReplies.BAD_SIZE);
      assertThat(reply("MAIL FROM:<a@b.example> SIZE")).isEqualTo(SmtpReplies.BAD_SIZE);
    }

    @Test
    void mail_body8bitmime_accepted() {
      assertThat(reply("MAIL FROM:<a@b.example> BODY=8BITMIME")).isEqualTo(SmtpReplies.SENDER_OK);
    }

    @Test
    void mail_bodyBinary_rejected() {
      assertThat(reply("MAIL FROM:<a@b.example> BODY=BINARYMIME")).isEqualTo(SmtpReplies.BAD_BODY);
    }

    @Test
    void mail_unknownParameter_555() {
      assertThat(reply("MAIL FROM:<a@b.example> RET=HDRS")).isEqualTo(SmtpReplies.UNKNOWN_PARAMETER);
    }

    @Test
    void rcpt_dsnParameter_555() {
      send("MAIL FROM:<a@b.example>");
      assertThat(reply("RCPT TO:<alice@local.example> NOTIFY=NEVER")).isEqualTo(SmtpReplies.UNKNOWN_PARAMETER);
    }

    @Test
    void mail_paramsAfterHelo_555() {
      send("HELO c");
      assertThat(reply("MAIL FROM:<a@b.example> SIZE=10")).isEqualTo(SmtpReplies.UNKNOWN_PARAMETER);
    }

    @Test
    void mail_nonAsciiWithoutSmtputf8_553() {
      assertThat(reply("MAIL FROM:<jürgen@b.example>")).isEqualTo(SmtpReplies.NON_ASCII_WITHOUT_SMTPUTF8);
    }

    @Test
    void rcpt_nonAsciiLocalUserWithSmtputf8_accepted() {
      assertThat(reply("MAIL FROM:<jürgen@b.example> SMTPUTF8")).isEqualTo(SmtpReplies.SENDER_OK);
      assertThat(reply("RCPT TO:<jürgen@local.example>")).isEqualTo(SmtpReplies.RECIPIENT_OK);
    }

    @Test
    void rcpt_nonAsciiWithoutSmtputf8_553() {
      send("MAIL FROM:<a@b.example>");
      assertThat(reply("RCPT TO:<jürgen@local.example>")).isEqualTo(SmtpReplies.NON_ASCII_WITHOUT_SMTPUTF8);
    }

    @Test
    void mail_nullReversePath_accepted() {
      assertThat(reply("MAIL FROM:<>")).isEqualTo(SmtpReplies.SENDER_OK);
    }
  }

  // ==== recipients ==============================================================================

  @Nested
  class Recipients {
    @BeforeEach
    void open() {
      relay();
      send("EHLO c");
      send("MAIL FROM:<a@b.example>");
    }

    @Test
    void rcpt_localUser_accepted() {
      assertThat(reply("RCPT TO:<Alice@LOCAL.example>")).isEqualTo(SmtpReplies.RECIPIENT_OK);
    }

    @Test
    void rcpt_unknownLocalUser_550_5_1_1() {
      assertThat(reply("RCPT TO:<nobody@local.example>")).isEqualTo(SmtpReplies.USER_UNKNOWN);
    }

    @Test
    void rcpt_otherDomainUnauthenticated_relayDenied() {
      SmtpReply r = reply("RCPT TO:<someone@elsewhere.example>");
      assertThat(r).isEqualTo(SmtpReplies.RELAY_DENIED);
      assertThat(r.code() + " " + r.enhanced()).isEqualTo("550 5.7.1");
    }

    @Test
    void rcpt_addressLiteral_relayDenied() {
      assertThat(reply("RCPT TO:<someone@[192.0.2.1]>")).isEqualTo(SmtpReplies.RELAY_DENIED);
    }

    @Test
    void rcpt_sourceRouteToOtherDomain_relayDenied() {
      assertThat(reply("RCPT TO:<@local.example:someone@elsewhere.example>")).isEqualTo(SmtpReplies.RELAY_DENIED);
    }

    @Test
    void rcpt_mailboxFull_552_5_2_2() {
      backend.fullMailboxes.add("bob@local.example");
      assertThat(reply("RCPT TO:<bob@local.example>")).isEqualTo(SmtpReplies.MAILBOX_FULL);
    }

    @Test
    void rcpt_declaredSizeOverQuota_552() {
      backend.quotaLeft.put("bob@local.example", 1000L);
      send("RSET");
      send("MAIL FROM:<a@b.example> SIZE=5000");
      assertThat(reply("RCPT TO:<bob@local.example>")).isEqualTo(SmtpReplies.MAILBOX_FULL);
      assertThat(reply("RCPT TO:<alice@local.example>")).isEqualTo(SmtpReplies.RECIPIENT_OK);
    }

    @Test
    void rcpt_barePostmaster_resolvedAtHostname() {
      backend.domains.add("mx.test");
      backend.alias("postmaster@mx.test", "alice@local.example");
      assertThat(reply("RCPT TO:<Postmaster>")).isEqualTo(SmtpReplies.RECIPIENT_OK);
    }

    @Test
    void rcpt_overLimit_452AndNotCountedAsError() {
      start(SmtpConfig.defaults("mx.test").withMaxRecipients(2).withMaxErrors(3), REMOTE, null, true, null);
      send("EHLO c");
      send("MAIL FROM:<a@b.example>");
      assertThat(reply("RCPT TO:<alice@local.example>")).isEqualTo(SmtpReplies.RECIPIENT_OK);
      assertThat(reply("RCPT TO:<bob@local.example>")).isEqualTo(SmtpReplies.RECIPIENT_OK);
      for (int i = 0; i < 5; i++) {
        assertThat(reply("RCPT TO:<info@local.example>")).isEqualTo(SmtpReplies.TOO_MANY_RECIPIENTS);
      }
      assertThat(data("x\r\n").replies().getFirst().code()).isEqualTo(250);
    }

    @Test
    void rcpt_lookupThrows_451() {
      backend.lookupFailure = new StoreException("engine closed");
      send("EHLO c");
      send("MAIL FROM:<a@b.example>");
      assertThat(reply("RCPT TO:<alice@local.example>")).isEqualTo(SmtpReplies.LOCAL_ERROR);
    }
  }

  // ==== DATA and delivery =======================================================================

  @Nested
  class Delivery {
    @BeforeEach
    void open() {
      relay();
      send("EHLO client.example");
    }

    @Test
    void data_complete_deliveredWithTraceHeaders() {
      send("MAIL FROM:<sender@b.example>");
      send("RCPT TO:<alice@local.example>");
      Step done = data("Subject: hi\r\n\r\nhello\r\n");
      assertThat(done.replies()).hasSize(1);
      assertThat(done.replies().getFirst().code()).isEqualTo(250);
      assertThat(done.replies().getFirst().enhanced()).isEqualTo("2.0.0");
      assertThat(backend.deliveries).hasSize(1);
      FakeBackend.Delivery d = backend.deliveries.getFirst();
      assertThat(d.users()).containsExactly("alice@local.example");
      assertThat(d.message()).isEqualTo("Return-Path: <sender@b.example>\r\n"
          + "Received: from client.example ([192.0.2.10])\r\n"
          + "\tby mx.test with ESMTP id t-1.1\r\n"
          + "\tfor <alice@local.example>;\r\n"
          + "\tSun, 1 Mar 2026 10:00:00 +0000\r\n"
          + "Subject: hi\r\n\r\nhello\r\n");
    }

    @Test
    void data_afterDelivery_newTransactionNeedsMail() {
      send("MAIL FROM:<sender@b.example>");
      send("RCPT TO:<alice@local.example>");
      data("x\r\n");
      assertThat(reply("RCPT TO:<alice@local.example>")).isEqualTo(SmtpReplies.NEED_MAIL_BEFORE_RCPT);
      assertThat(reply("MAIL FROM:<>")).isEqualTo(SmtpReplies.SENDER_OK);
    }

    @Test
    void data_severalRecipients_oneCopyEachNoForClause() {
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      send("RCPT TO:<bob@local.example>");
      send("RCPT TO:<info@local.example>"); // alias of alice: one copy only
      data("x\r\n");
      FakeBackend.Delivery d = backend.deliveries.getFirst();
      assertThat(d.users()).containsExactly("alice@local.example", "bob@local.example");
      assertThat(d.message()).startsWith("Return-Path: <>\r\n").doesNotContain("\tfor <");
    }

    @Test
    void data_someCopiesOverQuota_250() {
      backend.overQuotaAtDelivery.add("bob@local.example");
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      send("RCPT TO:<bob@local.example>");
      assertThat(data("x\r\n").replies().getFirst().code()).isEqualTo(250);
    }

    @Test
    void data_everyCopyOverQuota_552_5_2_2() {
      backend.overQuotaAtDelivery.add("bob@local.example");
      send("MAIL FROM:<>");
      send("RCPT TO:<bob@local.example>");
      assertThat(data("x\r\n").replies()).containsExactly(SmtpReplies.MAILBOX_FULL);
    }

    @Test
    void data_storeFails_451AndSessionContinues() {
      backend.deliveryFailure = new StoreException("disk full");
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      assertThat(data("x\r\n").replies()).containsExactly(SmtpReplies.LOCAL_ERROR);
      assertThat(reply("MAIL FROM:<>")).isEqualTo(SmtpReplies.SENDER_OK);
    }

    @Test
    void data_diskFull_452_4_3_1AndSessionContinues() {
      backend.deliveryFailure = new StorageUnavailableException(StorageUnavailableException.Reason.NO_SPACE, "full");
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      assertThat(data("x\r\n").replies()).containsExactly(SmtpReplies.INSUFFICIENT_STORAGE);
      assertThat(SmtpReplies.INSUFFICIENT_STORAGE.code()).isEqualTo(452);
      assertThat(SmtpReplies.INSUFFICIENT_STORAGE.enhanced()).isEqualTo("4.3.1");
      assertThat(reply("MAIL FROM:<>")).isEqualTo(SmtpReplies.SENDER_OK);
    }

    @Test
    void data_diskFullAsCauseOfAClusterFailure_stillFound_452() {
      backend.deliveryFailure = new java.util.concurrent.CompletionException(new StoreException("storing failed",
          new StorageUnavailableException(StorageUnavailableException.Reason.NO_SPACE, "full")));
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      assertThat(data("x\r\n").replies()).containsExactly(SmtpReplies.INSUFFICIENT_STORAGE);
    }

    @Test
    void data_diskIoError_451AndSessionContinues() {
      backend.deliveryFailure = new StorageUnavailableException(StorageUnavailableException.Reason.IO_ERROR, "EIO");
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      assertThat(data("x\r\n").replies()).containsExactly(SmtpReplies.LOCAL_ERROR);
      assertThat(reply("MAIL FROM:<>")).isEqualTo(SmtpReplies.SENDER_OK);
    }

    @Test
    void mail_belowTheStoreReserve_452_4_3_1_notCountedAsError() {
      start(SmtpConfig.defaults("mx.test").withMaxErrors(3), REMOTE, null, true, null);
      backend.acceptsMail = false;
      send("EHLO c");
      for (int i = 0; i < 5; i++) {
        assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.INSUFFICIENT_STORAGE);
      }
      backend.acceptsMail = true;
      assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.SENDER_OK);
    }

    @Test
    void rcpt_storeFilledUpSinceMail_452_4_3_1_andNoRecipientTaken() {
      send("MAIL FROM:<a@b.example>");
      backend.acceptsMail = false;
      assertThat(reply("RCPT TO:<alice@local.example>")).isEqualTo(SmtpReplies.INSUFFICIENT_STORAGE);
      assertThat(reply("DATA")).isEqualTo(SmtpReplies.NEED_RCPT_BEFORE_DATA);
    }

    @Test
    void data_storeNeverConfirms_451AfterTerminationTimeout() {
      start(SmtpConfig.defaults("mx.test").withDataTerminationTimeout(Duration.ofMillis(20)), REMOTE, null, true, null);
      backend.neverComplete = true;
      send("EHLO c");
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      assertThat(data("x\r\n").replies()).containsExactly(SmtpReplies.LOCAL_ERROR);
    }

    @Test
    void data_bareLf_rejected550AndNothingStored() {
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      assertThat(data("a\nb\r\n").replies()).containsExactly(SmtpReplies.MESSAGE_BARE_LINE_END);
      assertThat(backend.deliveries).isEmpty();
      assertThat(reply("MAIL FROM:<>")).isEqualTo(SmtpReplies.SENDER_OK);
    }

    @Test
    void data_eof_closesWithoutReply() {
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      send("DATA");
      Step step = session.dataRead(new SmtpDataReader.Result(SmtpDataReader.Outcome.EOF, 10));
      assertThat(step.action()).isEqualTo(Action.CLOSE);
      assertThat(step.replies()).isEmpty();
      assertThat(backend.deliveries).isEmpty();
    }

    @Test
    void data_smtputf8AndTlsAndAuth_receivedWithKeyword() {
      start(SmtpConfig.submissionDefaults("mx.test"), REMOTE, "TLSv1.3 TLS_AES_128_GCM_SHA256", true, null);
      send("EHLO c");
      send("AUTH PLAIN " + plain("", "alice@local.example", "secret"));
      send("MAIL FROM:<alice@local.example> SMTPUTF8");
      send("RCPT TO:<jürgen@local.example>");
      data("x\r\n");
      assertThat(backend.deliveries.getFirst().message())
          .contains("with UTF8SMTPSA id", "(using TLSv1.3 TLS_AES_128_GCM_SHA256)", "for <jürgen@local.example>");
    }
  }

  // ==== BDAT ====================================================================================

  @Nested
  class Chunking {
    @BeforeEach
    void open() {
      relay();
      send("EHLO c");
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
    }

    @Test
    void bdat_chunksThenLast_deliveredOnce() {
      assertThat(bdat("BDAT 13", "Subject: x\r\n\r").replies().getFirst().code()).isEqualTo(250);
      Step last = bdat("BDAT 7 LAST", "\nbody\r\n");
      assertThat(last.replies().getFirst().code()).isEqualTo(250);
      assertThat(backend.deliveries).hasSize(1);
      assertThat(backend.deliveries.getFirst().message()).endsWith("\r\nSubject: x\r\n\r\nbody\r\n");
    }

    @Test
    void bdat_zeroLast_endsMessage() {
      bdat("BDAT 6", "a\r\nb\r\n");
      assertThat(bdat("BDAT 0 LAST", "").replies().getFirst().code()).isEqualTo(250);
      assertThat(backend.deliveries.getFirst().message()).endsWith("\r\na\r\nb\r\n");
    }

    @Test
    void data_afterBdat_503() {
      bdat("BDAT 3", "a\r\n");
      assertThat(reply("DATA")).isEqualTo(SmtpReplies.DATA_AFTER_BDAT);
    }

    @Test
    void bdat_withoutMail_chunkDiscardedAnd503() {
      send("RSET");
      Step step = bdat("BDAT 4", "junk");
      assertThat(step.replies()).containsExactly(SmtpReplies.NEED_MAIL_BEFORE_BDAT);
      assertThat(backend.deliveries).isEmpty();
    }

    @Test
    void bdat_chunkLargerThanMaximum_552AndClose() {
      Step step = send("BDAT 99999999999");
      assertThat(step.replies()).containsExactly(SmtpReplies.BDAT_CHUNK_TOO_BIG);
      assertThat(step.action()).isEqualTo(Action.CLOSE);
    }

    @Test
    void bdat_totalOverMaximum_552AndTransactionReset() {
      start(SmtpConfig.defaults("mx.test").withMaxMessageSize(1024), REMOTE, null, true, null);
      send("EHLO c");
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      bdat("BDAT 1000", "x".repeat(1000));
      assertThat(bdat("BDAT 100 LAST", "y".repeat(100)).replies()).containsExactly(SmtpReplies.MESSAGE_TOO_BIG);
      assertThat(reply("RCPT TO:<alice@local.example>")).isEqualTo(SmtpReplies.NEED_MAIL_BEFORE_RCPT);
      assertThat(backend.deliveries).isEmpty();
    }

    @Test
    void bdat_bareLfInContent_550() {
      assertThat(bdat("BDAT 5 LAST", "a\nb\r\n").replies()).containsExactly(SmtpReplies.MESSAGE_BARE_LINE_END);
    }

    @Test
    void bdat_invalidSyntax_closes() {
      Step step = send("BDAT ten");
      assertThat(step.action()).isEqualTo(Action.CLOSE);
      assertThat(step.replies()).containsExactly(SmtpReplies.SYNTAX_BDAT);
    }

    @Test
    void bdat_connectionLostInChunk_closes() {
      send("BDAT 100");
      assertThat(session.chunkRead(false).action()).isEqualTo(Action.CLOSE);
    }
  }

  // ==== AUTH ====================================================================================

  @Nested
  class Auth {
    @Test
    void auth_onRelayIn_503() {
      relay();
      send("EHLO c");
      assertThat(reply("AUTH PLAIN " + plain("", "alice@local.example", "secret"))).isEqualTo(SmtpReplies.AUTH_NOT_OFFERED);
    }

    @Test
    void mail_submissionWithoutAuth_530() {
      submissionLoopback();
      send("EHLO c");
      assertThat(reply("MAIL FROM:<alice@local.example>")).isEqualTo(SmtpReplies.AUTH_REQUIRED);
    }

    @Test
    void auth_remoteWithoutTls_538() {
      start(SmtpConfig.submissionDefaults("mx.test"), REMOTE, null, true, null);
      send("EHLO c");
      assertThat(reply("AUTH PLAIN " + plain("", "alice@local.example", "secret")))
          .isEqualTo(SmtpReplies.ENCRYPTION_REQUIRED_FOR_AUTH);
    }

    @Test
    void auth_plainInitialResponse_authenticatedThenMailAccepted() {
      submissionLoopback();
      send("EHLO c");
      assertThat(reply("AUTH PLAIN " + plain("", "Alice@local.example", "secret"))).isEqualTo(SmtpReplies.AUTH_OK);
      assertThat(session.authenticatedUser()).isEqualTo("alice@local.example");
      assertThat(reply("MAIL FROM:<alice@local.example>")).isEqualTo(SmtpReplies.SENDER_OK);
      assertThat(reply("RCPT TO:<friend@elsewhere.example>")).isEqualTo(SmtpReplies.OUTBOUND_NOT_AVAILABLE);
      assertThat(reply("RCPT TO:<bob@local.example>")).isEqualTo(SmtpReplies.RECIPIENT_OK);
    }

    @Test
    void auth_plainWithChallenge_authenticated() {
      submissionLoopback();
      send("EHLO c");
      Step challenge = send("AUTH PLAIN");
      assertThat(challenge.action()).isEqualTo(Action.READ_AUTH_RESPONSE);
      assertThat(challenge.replies().getFirst().lines()).containsExactly("334 ");
      assertThat(session.authResponse(plain("", "bob@local.example", "hunter2")).replies())
          .containsExactly(SmtpReplies.AUTH_OK);
    }

    @Test
    void auth_loginExchange_authenticated() {
      submissionLoopback();
      send("EHLO c");
      Step user = send("AUTH LOGIN");
      assertThat(user.replies().getFirst().lines()).containsExactly("334 VXNlcm5hbWU6");
      Step password = session.authResponse(b64("bob@local.example"));
      assertThat(password.replies().getFirst().lines()).containsExactly("334 UGFzc3dvcmQ6");
      assertThat(password.action()).isEqualTo(Action.READ_AUTH_RESPONSE);
      assertThat(session.authResponse(b64("hunter2")).replies()).containsExactly(SmtpReplies.AUTH_OK);
    }

    @Test
    void auth_loginWithInitialUsername_asksPassword() {
      submissionLoopback();
      send("EHLO c");
      Step password = send("AUTH LOGIN " + b64("bob@local.example"));
      assertThat(password.replies().getFirst().lines()).containsExactly("334 UGFzc3dvcmQ6");
      assertThat(session.authResponse(b64("wrong")).replies()).containsExactly(SmtpReplies.AUTH_FAILED);
    }

    @Test
    void auth_wrongPassword_535() {
      submissionLoopback();
      send("EHLO c");
      assertThat(reply("AUTH PLAIN " + plain("", "alice@local.example", "nope"))).isEqualTo(SmtpReplies.AUTH_FAILED);
      assertThat(session.authenticatedUser()).isNull();
    }

    @Test
    void auth_otherAuthzid_535() {
      submissionLoopback();
      send("EHLO c");
      assertThat(reply("AUTH PLAIN " + plain("bob@local.example", "alice@local.example", "secret")))
          .isEqualTo(SmtpReplies.AUTH_FAILED);
    }

    @Test
    void auth_cancelled_501() {
      submissionLoopback();
      send("EHLO c");
      send("AUTH LOGIN");
      assertThat(session.authResponse("*").replies()).containsExactly(SmtpReplies.AUTH_CANCELLED);
    }

    @Test
    void auth_garbageResponse_501() {
      submissionLoopback();
      send("EHLO c");
      assertThat(reply("AUTH PLAIN !!!")).isEqualTo(SmtpReplies.AUTH_BAD_RESPONSE);
      send("AUTH PLAIN");
      assertThat(session.authResponse(null).replies()).containsExactly(SmtpReplies.AUTH_BAD_RESPONSE);
    }

    @Test
    void auth_unknownMechanism_504() {
      submissionLoopback();
      send("EHLO c");
      assertThat(reply("AUTH CRAM-MD5")).isEqualTo(SmtpReplies.AUTH_MECHANISM_UNKNOWN);
    }

    @Test
    void auth_twice_503() {
      submissionLoopback();
      send("EHLO c");
      send("AUTH PLAIN " + plain("", "alice@local.example", "secret"));
      assertThat(reply("AUTH PLAIN " + plain("", "alice@local.example", "secret")))
          .isEqualTo(SmtpReplies.ALREADY_AUTHENTICATED);
    }

    @Test
    void auth_inTransaction_503() {
      submissionLoopback();
      send("EHLO c");
      send("AUTH PLAIN " + plain("", "alice@local.example", "secret"));
      send("MAIL FROM:<alice@local.example>");
      assertThat(reply("AUTH LOGIN")).isEqualTo(SmtpReplies.AUTH_IN_TRANSACTION);
    }

    @Test
    void auth_tooManyFailures_throttled454() {
      var throttle = new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 2, 20, Duration.ofMinutes(15)), CLOCK);
      start(SmtpConfig.submissionDefaults("mx.test"), LOOPBACK, null, true, throttle);
      send("EHLO c");
      send("AUTH PLAIN " + plain("", "alice@local.example", "x"));
      send("AUTH PLAIN " + plain("", "alice@local.example", "y"));
      assertThat(reply("AUTH PLAIN " + plain("", "alice@local.example", "secret"))).isEqualTo(SmtpReplies.AUTH_THROTTLED);
      assertThat(session.authenticatedUser()).isNull();
    }
  }

  // ==== STARTTLS ================================================================================

  @Nested
  class StartTls {
    @Test
    void starttls_thenTlsStarted_sessionResetAndEhloRequired() {
      start(SmtpConfig.submissionDefaults("mx.test"), REMOTE, null, true, null);
      send("EHLO c");
      Step step = send("STARTTLS");
      assertThat(step.replies()).containsExactly(SmtpReplies.READY_FOR_TLS);
      assertThat(step.action()).isEqualTo(Action.START_TLS);
      session.tlsStarted("TLSv1.3 TLS_AES_256_GCM_SHA384");
      assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.SEND_HELO_FIRST);
      assertThat(reply("EHLO c").text()).contains("AUTH PLAIN LOGIN").doesNotContain("STARTTLS");
    }

    @Test
    void starttls_beforeEhlo_503() {
      relay();
      assertThat(reply("STARTTLS")).isEqualTo(SmtpReplies.SEND_HELO_FIRST);
    }

    @Test
    void starttls_noContext_502() {
      start(SmtpConfig.defaults("mx.test"), REMOTE, null, false, null);
      send("EHLO c");
      assertThat(reply("STARTTLS")).isEqualTo(SmtpReplies.COMMAND_NOT_IMPLEMENTED);
    }

    @Test
    void starttls_whenActive_503() {
      start(SmtpConfig.defaults("mx.test"), REMOTE, "TLSv1.3", true, null);
      send("EHLO c");
      assertThat(reply("STARTTLS")).isEqualTo(SmtpReplies.TLS_ALREADY_ACTIVE);
    }

    @Test
    void requireTls_mailBeforeStarttls_530ButNoopAllowed() {
      start(SmtpConfig.defaults("mx.test").withRequireTls(true), REMOTE, null, true, null);
      send("EHLO c");
      assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.STARTTLS_REQUIRED);
      assertThat(reply("NOOP")).isEqualTo(SmtpReplies.OK);
      session.tlsStarted("TLSv1.3");
      send("EHLO c");
      assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.SENDER_OK);
    }
  }

  // ==== limits ==================================================================================

  @Nested
  class Limits {
    @Test
    void errors_reachLimit_421AndClose() {
      start(SmtpConfig.defaults("mx.test").withMaxErrors(3), REMOTE, null, true, null);
      assertThat(reply("BOGUS")).isEqualTo(SmtpReplies.COMMAND_UNRECOGNIZED);
      assertThat(reply("MAIL FROM:<a@b.example>")).isEqualTo(SmtpReplies.SEND_HELO_FIRST);
      Step third = send("BOGUS");
      assertThat(third.replies()).containsExactly(SmtpReplies.COMMAND_UNRECOGNIZED, SmtpReplies.tooManyErrors("mx.test"));
      assertThat(third.action()).isEqualTo(Action.CLOSE);
      assertThat(send("NOOP").replies()).containsExactly(SmtpReplies.tooManyErrors("mx.test"));
    }

    @Test
    void junkCommands_overLimit_421AndClose() {
      start(SmtpConfig.defaults("mx.test").withMaxJunkCommands(3), REMOTE, null, true, null);
      send("NOOP");
      send("RSET");
      send("HELP");
      Step fourth = send("NOOP");
      assertThat(fourth.replies()).containsExactly(SmtpReplies.tooManyErrors("mx.test"));
      assertThat(fourth.action()).isEqualTo(Action.CLOSE);
    }

    @Test
    void junkCounter_resetByDeliveredMessage() {
      start(SmtpConfig.defaults("mx.test").withMaxJunkCommands(2), REMOTE, null, true, null);
      send("EHLO c");
      send("NOOP");
      send("NOOP");
      send("MAIL FROM:<>");
      send("RCPT TO:<alice@local.example>");
      data("x\r\n");
      assertThat(reply("NOOP")).isEqualTo(SmtpReplies.OK);
      assertThat(reply("RSET")).isEqualTo(SmtpReplies.OK);
    }

    @Test
    void tooManyConnectionsReply_namesHost() {
      assertThat(SmtpReplies.tooManyConnections("mx.test").lines())
          .containsExactly("421 4.7.0 mx.test Too many connections, try again later");
    }
  }
}
