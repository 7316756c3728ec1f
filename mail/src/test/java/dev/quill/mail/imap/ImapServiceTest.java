package dev.quill.mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.imap.session.FakeImapBackend;
import dev.quill.mail.net.ListenerConfig;
import dev.quill.mail.net.ProtocolServer;
import dev.quill.mail.tls.TlsContexts;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IMAP over real sockets ({@link ProtocolServer} + {@link ImapService}) with an in-memory backend:
 * exact responses to bad input, literal limits, STARTTLS injection, IDLE push, concurrent sessions.
 */
class ImapServiceTest {
  private static final String ALICE = "alice@example.org";
  private static final String M1 = "From: bob@example.org\r\nSubject: first\r\n\r\nHello Alice.\r\n";

  @TempDir Path dir;
  private FakeImapBackend backend;
  private SSLContext serverTls;
  private SSLContext clientTls;
  private ProtocolServer server;

  @BeforeEach
  void setUp() {
    backend = new FakeImapBackend().user(ALICE, "secret");
    backend.deliver(ALICE, "INBOX", M1);
    serverTls = TlsContexts.selfSigned("localhost", dir.resolve("tls"));
    clientTls = TlsContexts.clientTrusting(dir.resolve("tls").resolve(TlsContexts.SELF_SIGNED_CERT_FILE));
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
  }

  private int start(ImapConfig config, LoginThrottle.Limits limits) throws Exception {
    ImapService imap = new ImapService(config, backend, serverTls, new LoginThrottle(limits, Clock.systemUTC()),
        Clock.systemUTC());
    server = new ProtocolServer(new ListenerConfig("imap", InetAddress.getLoopbackAddress(), 0, false, 100, 50,
        "* BYE Too many connections", Duration.ofSeconds(5)), serverTls, imap);
    return server.start();
  }

  private int start(ImapConfig config) throws Exception {
    return start(config, new LoginThrottle.Limits(Duration.ZERO, 50, 50, Duration.ofMinutes(15)));
  }

  private int start() throws Exception {
    return start(ImapConfig.defaults("imap.example.org").withMaxLiteralSize(1000));
  }

  private RawImapClient connect(int port) throws Exception {
    RawImapClient c = new RawImapClient(port);
    assertThat(c.line()).startsWith("* OK [CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS AUTH=PLAIN");
    return c;
  }

  private RawImapClient loggedIn(int port) throws Exception {
    RawImapClient c = connect(port);
    assertThat(c.completion("l", "LOGIN alice@example.org secret")).startsWith("l OK [CAPABILITY");
    return c;
  }

  @Test
  void badInput_getsExactResponses_andTheSessionGoesOn() throws Exception {
    try (RawImapClient c = connect(start())) {
      assertThat(c.completion("a1", "FROB")).isEqualTo("a1 BAD Unknown command");
      assertThat(c.completion("a2", "SELECT INBOX")).isEqualTo("a2 BAD SELECT not allowed now");
      assertThat(c.completion("a3", "LOGIN alice")).isEqualTo("a3 BAD Unexpected end of command");
      c.send("a4 NOOP " + "x".repeat(70_000));
      assertThat(c.line()).isEqualTo("* BAD Command line too long");
      assertThat(c.completion("a5", "LOGIN {5}\r\nalice@example.org secret").length()).isPositive();
    }
  }

  @Test
  void synchronizingLiteral_getsContinuation() throws Exception {
    try (RawImapClient c = connect(start())) {
      c.send("a LOGIN {17}");
      assertThat(c.line()).isEqualTo("+ Ready for literal data");
      c.send("alice@example.org secret");
      assertThat(c.until("a").getLast()).startsWith("a OK [CAPABILITY");
    }
  }

  @Test
  void appendTooBig_synchronizing_refusedWithoutContinuation() throws Exception {
    try (RawImapClient c = loggedIn(start())) {
      c.send("a APPEND INBOX {5000}");
      assertThat(c.line()).isEqualTo("a NO [TOOBIG] Message too large");
      assertThat(c.completion("b", "NOOP")).isEqualTo("b OK NOOP completed");
      assertThat(backend.messages(ALICE, "INBOX")).hasSize(1);
    }
  }

  @Test
  void appendTooBig_nonSynchronizing_discardedAndSessionInSync() throws Exception {
    try (RawImapClient c = loggedIn(start())) {
      // the literal's content looks like commands: none of them may run
      String body = ("x DELETE INBOX\r\n").repeat(400);
      c.write("a APPEND INBOX {" + body.length() + "+}\r\n" + body + "\r\n");
      assertThat(c.line()).isEqualTo("a NO [TOOBIG] Message too large");
      assertThat(c.completion("b", "NOOP")).isEqualTo("b OK NOOP completed");
      assertThat(c.completion("c", "APPEND INBOX {5+}\r\nhello")).isEqualTo("c OK [APPENDUID 1000 2] APPEND completed");
    }
  }

  @Test
  void startTls_discardsInjectedCommands() throws Exception {
    try (RawImapClient c = connect(start())) {
      c.write("s STARTTLS\r\nx LOGIN alice@example.org secret\r\n");
      assertThat(c.line()).isEqualTo("s OK Begin TLS negotiation now");
      c.startTls(clientTls);
      List<String> caps = c.command("y", "CAPABILITY");
      assertThat(caps.get(0)).startsWith("* CAPABILITY").doesNotContain("STARTTLS");
      assertThat(caps.get(1)).isEqualTo("y OK CAPABILITY completed");
      assertThat(c.completion("z", "SELECT INBOX")).isEqualTo("z BAD SELECT not allowed now");
    }
  }

  @Test
  void idle_pushesDeliveryAtOnce_andDoneCompletes() throws Exception {
    try (RawImapClient c = loggedIn(start())) {
      c.command("s", "SELECT INBOX");
      c.send("i IDLE");
      assertThat(c.line()).isEqualTo("+ idling");
      backend.deliver(ALICE, "INBOX", M1);
      assertThat(c.line()).isEqualTo("* 2 EXISTS");
      c.send("DONE");
      assertThat(c.until("i")).containsExactly("* 2 RECENT", "i OK IDLE terminated");
    }
  }

  @Test
  void twoSessionsOfOneUser_seeEachOthersChanges() throws Exception {
    int port = start();
    try (RawImapClient a = loggedIn(port); RawImapClient b = loggedIn(port)) {
      a.command("s", "SELECT INBOX");
      b.command("s", "SELECT INBOX");
      assertThat(a.completion("st", "STORE 1 +FLAGS (\\Flagged)")).isEqualTo("st OK STORE completed");
      assertThat(b.command("n", "NOOP")).containsExactly("* 1 FETCH (UID 1 FLAGS (\\Flagged))", "n OK NOOP completed");
      a.command("d", "STORE 1 +FLAGS.SILENT (\\Deleted)");
      a.command("e", "EXPUNGE");
      assertThat(b.command("f", "FETCH 1 FLAGS")).doesNotContain("* 1 EXPUNGE");
      assertThat(b.command("n2", "NOOP")).containsExactly("* 1 EXPUNGE", "n2 OK NOOP completed");
    }
  }

  @Test
  void failedLogins_areThrottled() throws Exception {
    int port = start(ImapConfig.defaults("imap.example.org"),
        new LoginThrottle.Limits(Duration.ZERO, 2, 50, Duration.ofMinutes(15)));
    try (RawImapClient c = connect(port)) {
      assertThat(c.completion("a", "LOGIN alice@example.org nope")).isEqualTo("a NO [AUTHENTICATIONFAILED] Invalid credentials");
      assertThat(c.completion("b", "LOGIN alice@example.org nope")).isEqualTo("b NO [AUTHENTICATIONFAILED] Invalid credentials");
      assertThat(c.completion("c", "LOGIN alice@example.org secret"))
          .isEqualTo("c NO [UNAVAILABLE] Too many failed logins; try again later");
    }
  }

  @Test
  void idleTimeout_sendsAutologoutBye() throws Exception {
    try (RawImapClient c = connect(start(ImapConfig.defaults("imap.example.org").withIdleTimeout(Duration.ofMillis(300))))) {
      assertThat(c.line()).isEqualTo("* BYE Autologout; idle for too long");
      assertThat(c.line()).isNull();
    }
  }

  @Test
  void serverStopping_duringIdle_sendsBye() throws Exception {
    try (RawImapClient c = loggedIn(start())) {
      c.command("s", "SELECT INBOX");
      c.send("i IDLE");
      assertThat(c.line()).isEqualTo("+ idling");
      Thread stopper = Thread.ofVirtual().start(server::close);
      assertThat(c.line()).isEqualTo("* BYE Server shutting down");
      stopper.join();
    }
  }

  /**
   * A stopping server says BYE at once to a session waiting for its next command (not after the
   * grace period, here a minute), and lets a session in the middle of an APPEND finish it first.
   * The timeout only guards against a hang: with the old behaviour the idle client heard nothing
   * for the whole grace period.
   */
  @Test
  @org.junit.jupiter.api.Timeout(30)
  void serverStopping_byeAtOnceToAnIdleSession_andAfterItsCommandToABusyOne() throws Exception {
    ImapService imap = new ImapService(ImapConfig.defaults("imap.example.org"), backend, serverTls,
        new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 50, 50, Duration.ofMinutes(15)), Clock.systemUTC()),
        Clock.systemUTC());
    server = new ProtocolServer(new ListenerConfig("imap", InetAddress.getLoopbackAddress(), 0, false, 100, 50,
        "* BYE Too many connections", Duration.ofMinutes(1)), serverTls, imap);
    int port = server.start();
    try (RawImapClient idle = connect(port); RawImapClient busy = loggedIn(port)) {
      // The idle one over TLS: the BYE is written and the socket closed while its reader is blocked.
      assertThat(idle.completion("s", "STARTTLS")).startsWith("s OK");
      idle.startTls(clientTls);
      assertThat(idle.completion("l", "LOGIN alice@example.org secret")).startsWith("l OK");
      String body = "Subject: late\r\n\r\nwritten while the server stops\r\n";
      busy.send("a APPEND INBOX {" + body.length() + "}");
      assertThat(busy.line()).isEqualTo("+ Ready for literal data");

      Thread stopper = Thread.ofVirtual().start(server::close);
      assertThat(idle.line()).isEqualTo("* BYE Server shutting down");
      assertThat(idle.line()).as("closed after the BYE").isNull();

      busy.write(body + "\r\n");
      assertThat(busy.until("a").getLast()).startsWith("a OK [APPENDUID");
      assertThat(busy.line()).isEqualTo("* BYE Server shutting down");
      assertThat(busy.line()).isNull();
      stopper.join();
      assertThat(backend.messages(ALICE, "INBOX")).as("the APPEND finished is stored").hasSize(2);
    }
  }

  @Test
  void tooManyErrors_closesWithBye() throws Exception {
    try (RawImapClient c = connect(start(ImapConfig.defaults("imap.example.org").withMaxErrors(2)))) {
      assertThat(c.completion("a", "FROB")).isEqualTo("a BAD Unknown command");
      c.send("b FROB");
      assertThat(c.line()).isEqualTo("b BAD Unknown command");
      assertThat(c.line()).isEqualTo("* BYE Too many errors");
      assertThat(c.line()).isNull();
    }
  }
}
