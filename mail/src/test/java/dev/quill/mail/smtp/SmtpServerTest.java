package dev.quill.mail.smtp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.net.ListenerConfig;
import dev.quill.mail.net.ProtocolServer;
import dev.quill.mail.tls.TlsContexts;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * SMTP and submission end to end: real sockets, the real {@link ProtocolServer}, {@link SmtpService}
 * and {@link RocksMailStore}; clients are Angus Mail and a byte-exact raw client.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SmtpServerTest {
  static final String HOST = "mx.test";

  RocksMailStore store;
  SSLContext serverTls;
  SSLContext clientTls;
  ProtocolServer relay;
  ProtocolServer submission;
  final List<ProtocolServer> extra = new ArrayList<>();

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    store = RocksMailStore.open(dir.resolve("store"), StoreOptions.defaults().withHashIterations(1000));
    store.addDomain("local.example");
    store.addUser("alice@local.example", "alice-pw".toCharArray());
    store.addUser("bob@local.example", "bob-pw".toCharArray());
    store.addUser("carol@local.example", "carol-pw".toCharArray());
    store.addAlias("info@local.example", "alice@local.example");
    serverTls = TlsContexts.selfSigned(HOST, dir.resolve("tls"));
    clientTls = TlsContexts.clientTrusting(dir.resolve("tls").resolve(TlsContexts.SELF_SIGNED_CERT_FILE));
    relay = server(SmtpConfig.defaults(HOST), 100);
    submission = server(SmtpConfig.submissionDefaults(HOST), 100);
    extra.clear();
  }

  @AfterEach
  void stopExtra() {
    extra.forEach(ProtocolServer::close);
    extra.clear();
  }

  @AfterAll
  void stop() {
    relay.close();
    submission.close();
    store.close();
  }

  ProtocolServer server(SmtpConfig config, int perIp) throws IOException {
    return server(config, perIp, Duration.ofSeconds(5));
  }

  ProtocolServer server(SmtpConfig config, int perIp, Duration grace) throws IOException {
    var throttle = new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 50, 50, Duration.ofMinutes(1)),
        Clock.systemUTC());
    var service = new SmtpService(config, store, serverTls, throttle, Clock.systemUTC());
    var listener = new ListenerConfig(config.isSubmission() ? "submission" : "smtp", InetAddress.getLoopbackAddress(),
        0, false, 1000, perIp, service.busyReply(), grace);
    var server = new ProtocolServer(listener, serverTls, service);
    server.start();
    return server;
  }

  ProtocolServer extraServer(SmtpConfig config, int perIp) throws IOException {
    ProtocolServer s = server(config, perIp);
    extra.add(s);
    return s;
  }

  /** The messages in a user's INBOX whose text contains {@code marker}. */
  List<String> inbox(String user, String marker) {
    List<String> found = new ArrayList<>();
    for (MessageMeta m : store.messages(user, MailStore.INBOX)) {
      String text;
      try {
        text = new String(store.readMessage(user, MailStore.INBOX, m.uid()).orElseThrow(), StandardCharsets.UTF_8);
      } catch (CorruptMessageException e) {
        throw new AssertionError("stored message " + m.uid() + " of " + user + " is corrupt", e);
      }
      if (text.contains(marker)) {
        found.add(text);
      }
    }
    return found;
  }

  static String marker() {
    return "m-" + UUID.randomUUID();
  }

  // ==== Angus Mail ==============================================================================

  Properties angus(int port) {
    var p = new Properties();
    p.put("mail.smtp.host", "127.0.0.1");
    p.put("mail.smtp.port", String.valueOf(port));
    p.put("mail.smtp.localhost", "client.example");
    p.put("mail.smtp.connectiontimeout", "5000");
    p.put("mail.smtp.timeout", "10000");
    return p;
  }

  Properties withStartTls(Properties p) {
    p.put("mail.smtp.starttls.enable", "true");
    p.put("mail.smtp.starttls.required", "true");
    p.put("mail.smtp.ssl.socketFactory", clientTls.getSocketFactory());
    return p;
  }

  static MimeMessage message(Session session, String from, String subject, String... to) throws MessagingException {
    var m = new MimeMessage(session);
    m.setFrom(new InternetAddress(from));
    for (String t : to) {
      m.addRecipient(Message.RecipientType.TO, new InternetAddress(t));
    }
    m.setSubject(subject);
    m.setText("Hello,\n.leading dot line\nbye\n");
    return m;
  }

  @Nested
  class WithAngusMail {
    @Test
    void plainSmtp_deliveredWithTraceHeaders() throws Exception {
      String subject = marker();
      Session session = Session.getInstance(angus(relay.port()));
      Transport.send(message(session, "sender@remote.example", subject, "alice@local.example"));
      List<String> got = inbox("alice@local.example", subject);
      assertThat(got).hasSize(1);
      assertThat(got.getFirst()).startsWith("Return-Path: <sender@remote.example>\r\nReceived: from client.example ([127.0.0.1])\r\n\tby mx.test with ESMTP id ");
      assertThat(got.getFirst()).contains("\tfor <alice@local.example>;", "\r\n.leading dot line\r\n");
    }

    @Test
    void starttls_deliveredOverTls() throws Exception {
      String subject = marker();
      Session session = Session.getInstance(withStartTls(angus(relay.port())));
      Transport.send(message(session, "sender@remote.example", subject, "bob@local.example"));
      assertThat(inbox("bob@local.example", subject)).singleElement().asString()
          .contains("with ESMTPS id", "(using TLSv1.");
    }

    @Test
    void submission_authPlainOverStarttls_delivered() throws Exception {
      String subject = marker();
      Properties p = withStartTls(angus(submission.port()));
      p.put("mail.smtp.auth", "true");
      p.put("mail.smtp.auth.mechanisms", "PLAIN");
      Session session = Session.getInstance(p);
      try (Transport t = session.getTransport("smtp")) {
        t.connect("alice@local.example", "alice-pw");
        MimeMessage m = message(session, "alice@local.example", subject, "bob@local.example");
        t.sendMessage(m, m.getAllRecipients());
      }
      assertThat(inbox("bob@local.example", subject)).singleElement().asString().contains("with ESMTPSA id");
    }

    @Test
    void submission_authLoginPlaintextOnLoopback_delivered() throws Exception {
      String subject = marker();
      Properties p = angus(submission.port());
      p.put("mail.smtp.auth", "true");
      p.put("mail.smtp.auth.mechanisms", "LOGIN");
      Session session = Session.getInstance(p);
      try (Transport t = session.getTransport("smtp")) {
        t.connect("carol@local.example", "carol-pw");
        MimeMessage m = message(session, "carol@local.example", subject, "alice@local.example", "info@local.example");
        t.sendMessage(m, m.getAllRecipients());
      }
      // info@ is an alias of alice@: one copy
      assertThat(inbox("alice@local.example", subject)).singleElement().asString().contains("with ESMTPA id");
    }

    @Test
    void submission_wrongPassword_authenticationFails() {
      Properties p = angus(submission.port());
      p.put("mail.smtp.auth", "true");
      Session session = Session.getInstance(p);
      assertThatThrownBy(() -> {
        try (Transport t = session.getTransport("smtp")) {
          t.connect("alice@local.example", "wrong");
        }
      }).isInstanceOf(AuthenticationFailedException.class).hasMessageContaining("535 5.7.8");
    }

    @Test
    void relay_otherDomain_refused() throws Exception {
      Session session = Session.getInstance(angus(relay.port()));
      assertThatThrownBy(() -> Transport.send(message(session, "x@remote.example", marker(), "victim@elsewhere.example")))
          .isInstanceOf(SendFailedException.class)
          .hasStackTraceContaining("550 5.7.1 Relaying denied");
    }

    @Test
    void severalRecipients_eachGetsOneCopy() throws Exception {
      String subject = marker();
      Session session = Session.getInstance(angus(relay.port()));
      Transport.send(message(session, "x@remote.example", subject, "alice@local.example", "bob@local.example",
          "carol@local.example"));
      assertThat(inbox("alice@local.example", subject)).hasSize(1);
      assertThat(inbox("bob@local.example", subject)).hasSize(1);
      assertThat(inbox("carol@local.example", subject)).singleElement().asString().doesNotContain("\tfor <");
    }
  }

  // ==== raw protocol ============================================================================

  @Nested
  class RawProtocol {
    @Test
    void unknownLocalUser_550_5_1_1_andSessionContinues() throws IOException {
      try (var c = RawClient.ehlo(relay.port())) {
        assertThat(c.command("MAIL FROM:<x@remote.example>")).startsWith("250 2.1.0");
        assertThat(c.command("RCPT TO:<nobody@local.example>")).isEqualTo("550 5.1.1 User unknown");
        assertThat(c.command("RCPT TO:<victim@elsewhere.example>")).isEqualTo("550 5.7.1 Relaying denied");
        assertThat(c.command("RCPT TO:<alice@local.example>")).startsWith("250 2.1.5");
        assertThat(c.command("QUIT")).startsWith("221 2.0.0");
      }
    }

    @Test
    void submission_mailWithoutAuth_530() throws IOException {
      try (var c = RawClient.ehlo(submission.port())) {
        assertThat(c.command("MAIL FROM:<alice@local.example>")).isEqualTo("530 5.7.0 Authentication required");
      }
    }

    @Test
    void submission_authenticatedToOtherDomain_temporaryRefusal() throws IOException {
      try (var c = RawClient.ehlo(submission.port())) {
        String plain = Base64.getEncoder().encodeToString("\0alice@local.example\0alice-pw".getBytes(StandardCharsets.UTF_8));
        assertThat(c.command("AUTH PLAIN " + plain)).startsWith("235 2.7.0");
        assertThat(c.command("MAIL FROM:<alice@local.example>")).startsWith("250");
        assertThat(c.command("RCPT TO:<friend@elsewhere.example>")).startsWith("450 4.4.0");
      }
    }

    @Test
    void relayPort_authNotOffered() throws IOException {
      try (var c = RawClient.connect(relay.port())) {
        c.reply();
        c.writeUtf8("EHLO client.example\r\n");
        List<String> ehlo = c.replyLines();
        assertThat(ehlo).contains("250-PIPELINING", "250-SIZE 52428800", "250-8BITMIME", "250-ENHANCEDSTATUSCODES",
            "250-SMTPUTF8", "250-CHUNKING", "250-STARTTLS");
        assertThat(ehlo).noneMatch(l -> l.contains("AUTH"));
        assertThat(c.command("AUTH PLAIN AGEAYg==")).startsWith("503 5.5.1");
      }
    }

    @Test
    void pipelining_oneWrite_allRepliesInOrderAndDelivered() throws IOException {
      String subject = marker();
      try (var c = RawClient.ehlo(relay.port())) {
        c.write("MAIL FROM:<p@remote.example>\r\nRCPT TO:<alice@local.example>\r\nRCPT TO:<nobody@local.example>\r\n"
            + "RCPT TO:<bob@local.example>\r\nDATA\r\n");
        assertThat(c.reply()).startsWith("250 2.1.0");
        assertThat(c.reply()).startsWith("250 2.1.5");
        assertThat(c.reply()).startsWith("550 5.1.1");
        assertThat(c.reply()).startsWith("250 2.1.5");
        assertThat(c.reply()).startsWith("354");
        // the next transaction pipelined right behind the end of data
        c.write("Subject: " + subject + "\r\n\r\nbody\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<carol@local.example>\r\nDATA\r\n");
        assertThat(c.reply()).startsWith("250 2.0.0");
        assertThat(c.reply()).startsWith("250 2.1.0");
        assertThat(c.reply()).startsWith("250 2.1.5");
        assertThat(c.reply()).startsWith("354");
        assertThat(c.command("Subject: " + subject + "\r\n\r\nsecond\r\n.")).startsWith("250 2.0.0");
      }
      assertThat(inbox("alice@local.example", subject)).hasSize(1);
      assertThat(inbox("bob@local.example", subject)).hasSize(1);
      assertThat(inbox("carol@local.example", subject)).singleElement().asString().endsWith("\r\nsecond\r\n");
    }

    @Test
    void longCommandLine_500AndSessionContinues() throws IOException {
      try (var c = RawClient.ehlo(relay.port())) {
        assertThat(c.command("NOOP " + "x".repeat(600))).isEqualTo("500 5.5.2 Line too long");
        assertThat(c.command("NOOP " + "x".repeat(20_000))).isEqualTo("500 5.5.2 Line too long");
        assertThat(c.command("NOOP")).startsWith("250 2.0.0");
      }
    }

    @Test
    void bareLfInCommand_500AndSessionContinues() throws IOException {
      try (var c = RawClient.ehlo(relay.port())) {
        c.write("NOOP\n");
        assertThat(c.reply()).isEqualTo("500 5.5.2 Bare LF not allowed, use CRLF");
        assertThat(c.command("NOOP")).startsWith("250 2.0.0");
      }
    }

    @Test
    void nulInCommand_500() throws IOException {
      try (var c = RawClient.ehlo(relay.port())) {
        assertThat(c.command("NO\0OP")).isEqualTo("500 5.5.2 NUL character not allowed");
        assertThat(c.command("NOOP")).startsWith("250 2.0.0");
      }
    }

    @Test
    void httpRequest_554AndClosed() throws IOException {
      try (var c = RawClient.connect(relay.port())) {
        RawClient.assertCode(c.reply(), "220");
        c.write("GET / HTTP/1.1\r\nHost: mx.test\r\n\r\n");
        assertThat(c.reply()).startsWith("554 5.5.1");
        assertThat(c.closedByServer()).isTrue();
      }
    }

    @Test
    void tooManyErrors_421AndClosed() throws IOException {
      try (var c = RawClient.ehlo(relay.port())) {
        c.write("BOGUS\r\n".repeat(50));
        for (int i = 0; i < 20; i++) {
          assertThat(c.reply()).isEqualTo("500 5.5.1 Command unrecognized");
        }
        assertThat(c.reply()).isEqualTo("421 4.7.0 mx.test Too many errors, closing connection");
        assertThat(c.closedByServer()).isTrue();
      }
    }

    @Test
    void tooManyRecipients_452ThenDataDelivers() throws IOException {
      String subject = marker();
      try (var c = RawClient.ehlo(relay.port())) {
        assertThat(c.command("MAIL FROM:<>")).startsWith("250");
        c.write("RCPT TO:<alice@local.example>\r\n".repeat(101));
        for (int i = 0; i < 100; i++) {
          assertThat(c.reply()).startsWith("250 2.1.5");
        }
        assertThat(c.reply()).isEqualTo("452 4.5.3 Too many recipients");
        assertThat(c.command("DATA")).startsWith("354");
        assertThat(c.command("Subject: " + subject + "\r\n\r\nx\r\n.")).startsWith("250 2.0.0");
      }
      assertThat(inbox("alice@local.example", subject)).hasSize(1);
    }

    @Test
    void oversizeDeclared_552AndSessionContinues() throws IOException {
      try (var c = RawClient.ehlo(relay.port())) {
        assertThat(c.command("MAIL FROM:<> SIZE=52428801"))
            .isEqualTo("552 5.3.4 Message size exceeds fixed maximum message size");
        assertThat(c.command("MAIL FROM:<> SIZE=1000")).startsWith("250 2.1.0");
      }
    }

    @Test
    void dataLineTooLong_552AndInSync() throws IOException {
      try (var c = RawClient.ehlo(relay.port())) {
        c.command("MAIL FROM:<>");
        c.command("RCPT TO:<alice@local.example>");
        assertThat(c.command("DATA")).startsWith("354");
        assertThat(c.command("Subject: long\r\n\r\n" + "y".repeat(5000) + "\r\nend\r\n.")).startsWith("552 5.3.4");
        assertThat(c.command("NOOP")).startsWith("250 2.0.0");
      }
    }

    @Test
    void dataBareLfSmuggling_rejectedAndNothingSmuggled() throws IOException {
      String smuggled = marker();
      try (var c = RawClient.ehlo(relay.port())) {
        c.command("MAIL FROM:<>");
        c.command("RCPT TO:<alice@local.example>");
        assertThat(c.command("DATA")).startsWith("354");
        c.write("Subject: outer\r\n\r\nhi\n.\r\nMAIL FROM:<>\r\nRCPT TO:<bob@local.example>\r\nDATA\r\nSubject: "
            + smuggled + "\r\n\r\nsmuggled\r\n.\r\n");
        assertThat(c.reply()).startsWith("550 5.6.0");
        assertThat(c.command("NOOP")).startsWith("250 2.0.0");
      }
      assertThat(inbox("bob@local.example", smuggled)).isEmpty();
      assertThat(inbox("alice@local.example", smuggled)).isEmpty();
    }

    @Test
    void bdat_chunksDelivered_dataAfterBdatRefused() throws IOException {
      String subject = marker();
      try (var c = RawClient.ehlo(relay.port())) {
        c.command("MAIL FROM:<>");
        c.command("RCPT TO:<bob@local.example>");
        String first = "Subject: " + subject + "\r\n\r\n";
        c.write("BDAT " + first.length() + "\r\n" + first);
        assertThat(c.reply()).startsWith("250 2.0.0");
        assertThat(c.command("DATA")).isEqualTo("503 5.5.1 DATA not allowed after BDAT");
        c.write("BDAT 6 LAST\r\nbody\r\n");
        assertThat(c.reply()).startsWith("250 2.0.0");
      }
      assertThat(inbox("bob@local.example", subject)).singleElement().asString().endsWith("\r\n\r\nbody\r\n");
    }

    @Test
    void smtputf8_sender_accepted() throws IOException {
      String subject = marker();
      try (var c = RawClient.ehlo(relay.port())) {
        assertThat(c.command("MAIL FROM:<jürgen@bücher.example> SMTPUTF8 BODY=8BITMIME")).startsWith("250 2.1.0");
        assertThat(c.command("RCPT TO:<alice@local.example>")).startsWith("250 2.1.5");
        assertThat(c.command("DATA")).startsWith("354");
        assertThat(c.command("Subject: " + subject + "\r\n\r\nGrüße\r\n.")).startsWith("250 2.0.0");
      }
      assertThat(inbox("alice@local.example", subject)).singleElement().asString()
          .startsWith("Return-Path: <jürgen@bücher.example>").contains("with UTF8SMTP id", "Grüße");
    }

    @Test
    void quota_fullMailbox_552AtRcpt() throws IOException {
      store.addUser("full@local.example", "pw".toCharArray());
      try (var c = RawClient.ehlo(relay.port())) {
        c.command("MAIL FROM:<>");
        c.command("RCPT TO:<full@local.example>");
        c.command("DATA");
        assertThat(c.command("Subject: fill\r\n\r\n" + "z".repeat(500) + "\r\n.")).startsWith("250 2.0.0");
        store.setQuota("full@local.example", 100);
        c.command("MAIL FROM:<>");
        assertThat(c.command("RCPT TO:<full@local.example>")).isEqualTo("552 5.2.2 Mailbox full");
      }
    }

    @Test
    void starttls_pipelinedInjection_discarded() throws IOException {
      try (var c = RawClient.ehlo(relay.port())) {
        c.write("STARTTLS\r\nMAIL FROM:<injected@evil.example>\r\n");
        assertThat(c.reply()).startsWith("220 2.0.0");
        c.startTls(clientTls);
        // had the injected MAIL been executed, this MAIL would be refused as nested (or need EHLO)
        assertThat(c.command("MAIL FROM:<a@remote.example>")).isEqualTo("503 5.5.1 Send HELO/EHLO first");
        c.writeUtf8("EHLO client.example\r\n");
        assertThat(c.replyLines()).doesNotContain("250-STARTTLS").contains("250 HELP");
        assertThat(c.command("MAIL FROM:<a@remote.example>")).startsWith("250 2.1.0");
      }
    }

    @Test
    void submission_starttlsThenAuthPlain_succeeds() throws IOException {
      try (var c = RawClient.ehlo(submission.port())) {
        assertThat(c.command("STARTTLS")).startsWith("220");
        c.startTls(clientTls);
        c.writeUtf8("EHLO client.example\r\n");
        assertThat(c.replyLines()).contains("250-AUTH PLAIN LOGIN");
        c.writeUtf8("AUTH LOGIN\r\n");
        assertThat(c.reply()).isEqualTo("334 VXNlcm5hbWU6");
        assertThat(c.command(Base64.getEncoder().encodeToString("bob@local.example".getBytes()))).isEqualTo("334 UGFzc3dvcmQ6");
        assertThat(c.command(Base64.getEncoder().encodeToString("bob-pw".getBytes()))).startsWith("235 2.7.0");
      }
    }
  }

  // ==== connection-level behaviour, each on its own listener ===================================

  @Nested
  class Connections {
    @Test
    void aTakenPort_failsToStart_namingTheServiceAndAddress() throws IOException {
      var listener = new ListenerConfig("smtp", InetAddress.getLoopbackAddress(), relay.port(), false, 10, 10,
          "421 busy", Duration.ofSeconds(1));
      var second = new ProtocolServer(listener, serverTls, (connection) -> { });
      assertThatThrownBy(second::start)
          .isInstanceOf(java.net.BindException.class)
          .hasMessageStartingWith("smtp: cannot listen on 127.0.0.1:" + relay.port() + ": ")
          .hasMessageContaining("choose another port");
      try (var c = RawClient.connect(relay.port())) {
        assertThat(c.reply()).startsWith("220 ");  // the listener that has the port is unharmed
      }
    }

    /**
     * A stopping server answers 421 at once to a client waiting between commands (not after the
     * grace period, here a minute), and lets a client in the middle of DATA finish its message:
     * 250, then 421 without waiting for another command. The timeout only guards against a hang.
     */
    @Test
    @org.junit.jupiter.api.Timeout(30)
    void stopping_421AtOnceToAnIdleClient_andAfterTheMessageToOneInData() throws Exception {
      ProtocolServer s = server(SmtpConfig.defaults(HOST), 10, Duration.ofMinutes(1));
      try (var idle = RawClient.ehlo(s.port()); var busy = RawClient.ehlo(s.port())) {
        assertThat(busy.command("MAIL FROM:<sender@remote.example>")).startsWith("250");
        assertThat(busy.command("RCPT TO:<carol@local.example>")).startsWith("250");
        assertThat(busy.command("DATA")).startsWith("354");
        busy.write("Subject: stopping\r\n\r\nfirst half, ");

        Thread stopper = Thread.ofVirtual().start(s::close);
        assertThat(idle.reply()).isEqualTo("421 4.3.2 mx.test Service shutting down");
        assertThat(idle.closedByServer()).isTrue();

        busy.write("second half\r\n.\r\n");
        assertThat(busy.reply()).startsWith("250 2.0.0");
        assertThat(busy.reply()).isEqualTo("421 4.3.2 mx.test Service shutting down");
        assertThat(busy.closedByServer()).isTrue();
        stopper.join();
      }
      assertThat(inbox("carol@local.example", "first half, second half")).hasSize(1);
    }

    @Test
    void pregreet_554AndClosed() throws IOException {
      ProtocolServer s = extraServer(SmtpConfig.defaults(HOST).withPregreetWait(Duration.ofSeconds(2)), 10);
      try (var c = RawClient.connect(s.port())) {
        c.write("EHLO eager.example\r\n");
        assertThat(c.reply()).isEqualTo("554 5.5.1 Protocol error: talked before the greeting");
        assertThat(c.closedByServer()).isTrue();
      }
    }

    @Test
    void pregreet_patientClient_greeted() throws IOException {
      ProtocolServer s = extraServer(SmtpConfig.defaults(HOST).withPregreetWait(Duration.ofMillis(100)), 10);
      try (var c = RawClient.connect(s.port())) {
        assertThat(c.reply()).isEqualTo("220 mx.test ESMTP");
        assertThat(c.command("EHLO x")).startsWith("250 ");
      }
    }

    @Test
    void idle_commandTimeout_421AndClosed() throws IOException {
      ProtocolServer s = extraServer(SmtpConfig.defaults(HOST).withCommandTimeout(Duration.ofSeconds(1)), 10);
      try (var c = RawClient.ehlo(s.port())) {
        assertThat(c.reply()).isEqualTo("421 4.4.2 mx.test Timeout exceeded, closing connection");
        assertThat(c.closedByServer()).isTrue();
      }
    }

    @Test
    void messageOverMaximumSize_552AndSessionInSync() throws IOException {
      ProtocolServer s = extraServer(SmtpConfig.defaults(HOST).withMaxMessageSize(2048), 10);
      try (var c = RawClient.ehlo(s.port())) {
        c.command("MAIL FROM:<>");
        c.command("RCPT TO:<alice@local.example>");
        assertThat(c.command("DATA")).startsWith("354");
        assertThat(c.command("Subject: big\r\n\r\n" + ("x".repeat(98) + "\r\n").repeat(30) + "."))
            .isEqualTo("552 5.3.4 Message size exceeds fixed maximum message size");
        assertThat(c.command("NOOP")).startsWith("250 2.0.0");
      }
    }

    @Test
    void perIpLimit_busyReply() throws IOException {
      ProtocolServer s = extraServer(SmtpConfig.defaults(HOST), 1);
      try (var first = RawClient.ehlo(s.port()); var second = RawClient.connect(s.port())) {
        assertThat(second.reply()).isEqualTo("421 4.7.0 mx.test Too many connections, try again later");
        assertThat(second.closedByServer()).isTrue();
        assertThat(first.command("NOOP")).startsWith("250");
      }
    }

    @Test
    void shutdown_nextCommand421() throws Exception {
      ProtocolServer s = server(SmtpConfig.defaults(HOST), 10); // closed by this test
      try (var c = RawClient.ehlo(s.port())) {
        CompletableFuture<Void> stopping = CompletableFuture.runAsync(s::close);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!s.isStopping() && System.nanoTime() < deadline) {
          Thread.onSpinWait(); // close() sets the flag first thing; this only waits for the async task to start
        }
        String reply = c.command("NOOP");
        if (reply.startsWith("250")) {
          // The NOOP was read before the goodbye reached this idle session: answered, then the goodbye
          // comes as soon as the session waits again, without another command.
          reply = c.reply();
        }
        assertThat(reply).isEqualTo("421 4.3.2 mx.test Service shutting down");
        assertThat(c.closedByServer()).isTrue();
        stopping.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(s.activeConnections()).isZero();
      }
    }
  }
}
