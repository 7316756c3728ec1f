package dev.quill.mail.pop3;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.net.ConnectionHandler;
import dev.quill.mail.net.ListenerConfig;
import dev.quill.mail.net.ProtocolServer;
import dev.quill.mail.tls.TlsContexts;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.DeliveryResult;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.angus.mail.pop3.POP3Folder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * POP3 end to end: a real {@link ProtocolServer} and {@link Pop3Service} over a real
 * {@link RocksMailStore}, driven by Angus Mail and by a raw socket client.
 */
class Pop3ServiceTest {
  private static final String ALICE = "alice@example.org";
  private static final String BOB = "bob@example.org";
  private static final String M1 = "From: bob@example.org\r\nSubject: first\r\n\r\nHello Alice.\r\n";
  private static final String M2 = "From: bob@example.org\r\nSubject: dots\r\n\r\n.hidden line\r\n.\r\nend\r\n";
  private static final String M3 = "From: bob@example.org\r\nSubject: no final crlf\r\n\r\nline 1\r\nline 2\r\nlast";

  @TempDir Path dir;
  private RocksMailStore rocks;
  private MailStore store; // what the service sees; some tests wrap rocks to inject faults
  private SSLContext serverTls;
  private SSLContext clientTls;
  private MaildropLocks locks;
  private ProtocolServer server;
  private final Semaphore sessionsEnded = new Semaphore(0);
  private final Set<Long> corruptUids = ConcurrentHashMap.newKeySet();
  private volatile boolean failExpunge;

  @BeforeEach
  void setUp() {
    rocks = RocksMailStore.open(dir.resolve("store"), StoreOptions.defaults().withHashIterations(1_000));
    rocks.addDomain("example.org");
    rocks.addUser(ALICE, "secret".toCharArray());
    rocks.addUser(BOB, "bobpw".toCharArray());
    deliver(ALICE, M1);
    deliver(ALICE, M2);
    deliver(ALICE, M3);
    store = faulty(rocks);
    serverTls = TlsContexts.selfSigned("localhost", dir.resolve("tls"));
    clientTls = TlsContexts.clientTrusting(dir.resolve("tls").resolve(TlsContexts.SELF_SIGNED_CERT_FILE));
    locks = new MaildropLocks();
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
    rocks.close();
  }

  private void deliver(String user, String message) {
    List<DeliveryResult> results = rocks.deliver(List.of(user), MailStore.INBOX,
        message.getBytes(StandardCharsets.UTF_8), Instant.now()).join();
    assertThat(results).extracting(DeliveryResult::status).containsExactly(DeliveryResult.Status.STORED);
  }

  /** The store as the service sees it: reads of {@link #corruptUids} fail the checksum, expunge can be made to fail. */
  private MailStore faulty(MailStore real) {
    return (MailStore) Proxy.newProxyInstance(MailStore.class.getClassLoader(), new Class<?>[] {MailStore.class},
        (proxy, method, args) -> {
          if (method.getName().startsWith("expunge") && failExpunge) {
            return CompletableFuture.failedFuture(new IllegalStateException("disk full (injected by test)"));
          }
          Object result;
          try {
            result = method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (method.getName().equals("loadUnder")) {
            // a message that fails its checksum comes back as the real store returns one
            return ((List<?>) result).stream().map(LoadedMessage.class::cast).map(m -> corruptUids.contains(m.meta().uid())
                ? new LoadedMessage(m.meta(), null, null, "checksum mismatch (injected by test)") : m).toList();
          }
          return result;
        });
  }

  private int start(Pop3Config config) throws Exception {
    LoginThrottle throttle = new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 50, 50, Duration.ofMinutes(15)),
        Clock.systemUTC());
    Pop3Service pop3 = new Pop3Service(config, store, serverTls, throttle, locks);
    ConnectionHandler counted = connection -> {
      try {
        pop3.handle(connection);
      } finally {
        sessionsEnded.release();
      }
    };
    server = new ProtocolServer(new ListenerConfig("pop3", InetAddress.getLoopbackAddress(), 0, false, 100, 50,
        "-ERR [SYS/TEMP] too many connections", Duration.ofSeconds(2)), serverTls, counted);
    return server.start();
  }

  private int start() throws Exception {
    return start(Pop3Config.defaults("pop.example.org"));
  }

  private void awaitSessionEnd() throws InterruptedException {
    assertThat(sessionsEnded.tryAcquire(15, TimeUnit.SECONDS)).as("session ended").isTrue();
  }

  private List<String> subjects(String user) {
    return rocks.messages(user, MailStore.INBOX).stream().map(m -> {
      try {
        String text = new String(rocks.readMessage(user, MailStore.INBOX, m.uid()).orElseThrow(), StandardCharsets.UTF_8);
        int at = text.indexOf("Subject: ");
        return text.substring(at + 9, text.indexOf("\r\n", at));
      } catch (CorruptMessageException e) {
        throw new AssertionError(e);
      }
    }).toList();
  }

  private Properties angusProperties(int port) {
    Properties p = new Properties();
    p.put("mail.pop3.host", "localhost");
    p.put("mail.pop3.port", String.valueOf(port));
    p.put("mail.pop3.connectiontimeout", "15000");
    p.put("mail.pop3.timeout", "15000");
    return p;
  }

  // ---- Angus Mail ----------------------------------------------------------------------------

  @Test
  void angusMail_listReadDelete_goneAfterClose() throws Exception {
    int port = start();
    Store pop3 = Session.getInstance(angusProperties(port)).getStore("pop3");
    pop3.connect("localhost", port, ALICE, "secret");
    POP3Folder inbox = (POP3Folder) pop3.getFolder("INBOX");
    inbox.open(Folder.READ_WRITE);
    assertThat(inbox.getMessageCount()).isEqualTo(3);
    Message[] messages = inbox.getMessages();
    assertThat(messages[0].getSubject()).isEqualTo("first");
    assertThat((String) messages[0].getContent()).isEqualTo("Hello Alice.\r\n");
    assertThat((String) messages[1].getContent()).isEqualTo(".hidden line\r\n.\r\nend\r\n");
    assertThat(messages[2].getSubject()).isEqualTo("no final crlf");
    List<MessageMeta> metas = rocks.messages(ALICE, MailStore.INBOX);
    long uidValidity = rocks.mailbox(ALICE, MailStore.INBOX).orElseThrow().uidValidity();
    assertThat(inbox.getUID(messages[1])).isEqualTo(uidValidity + "." + metas.get(1).uid());
    assertThat(inbox.getSizes()).containsExactly(metas.stream().mapToInt(m -> (int) m.size()).toArray());
    messages[0].setFlag(Flags.Flag.DELETED, true);
    messages[2].setFlag(Flags.Flag.DELETED, true);
    inbox.close(true);
    pop3.close();
    awaitSessionEnd();

    assertThat(subjects(ALICE)).containsExactly("dots");
    assertThat(locks.isLocked(ALICE)).isFalse();
  }

  @Test
  void angusMail_overStls_whenPlaintextRefusedOnLoopback() throws Exception {
    int port = start(Pop3Config.defaults("pop.example.org").withAllowPlaintextAuthOnLoopback(false));
    Properties p = angusProperties(port);
    p.put("mail.pop3.starttls.enable", "true");
    p.put("mail.pop3.starttls.required", "true");
    p.put("mail.pop3.ssl.socketFactory", clientTls.getSocketFactory());
    Store pop3 = Session.getInstance(p).getStore("pop3");
    pop3.connect("localhost", port, ALICE, "secret");
    Folder inbox = pop3.getFolder("INBOX");
    inbox.open(Folder.READ_ONLY);
    assertThat(inbox.getMessageCount()).isEqualTo(3);
    assertThat(inbox.getMessage(1).getSubject()).isEqualTo("first");
    inbox.close(false);
    pop3.close();
  }

  // ---- Raw protocol --------------------------------------------------------------------------

  @Test
  void greetingThenCapa_advertisesStlsAndLogin() throws Exception {
    try (RawPop3Client c = new RawPop3Client(start())) {
      assertThat(c.line()).isEqualTo("+OK pop.example.org Quill POP3 ready");
      assertThat(c.command("CAPA")).startsWith("+OK");
      assertThat(c.multiLine()).contains("TOP", "UIDL", "PIPELINING", "RESP-CODES", "USER", "SASL PLAIN", "STLS");
    }
  }

  @Test
  void retr_streamsStoredBytesStuffedAndTerminated() throws Exception {
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      assertThat(c.login(ALICE, "secret")).startsWith("+OK maildrop has 3 messages");
      long size2 = rocks.messages(ALICE, MailStore.INBOX).get(1).size();
      assertThat(c.command("RETR 2")).isEqualTo("+OK " + size2 + " octets");
      assertThat(c.multiLine()).containsExactly("From: bob@example.org", "Subject: dots", "", "..hidden line", "..", "end");
      assertThat(c.command("RETR 3")).startsWith("+OK");
      assertThat(c.multiLine()).endsWith("line 2", "last");
      assertThat(c.command("NOOP")).isEqualTo("+OK");
    }
  }

  @Test
  void listStatUidlTop_matchTheStore() throws Exception {
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      c.login(ALICE, "secret");
      List<MessageMeta> metas = rocks.messages(ALICE, MailStore.INBOX);
      long total = metas.stream().mapToLong(MessageMeta::size).sum();
      long uidValidity = rocks.mailbox(ALICE, MailStore.INBOX).orElseThrow().uidValidity();
      assertThat(c.command("STAT")).isEqualTo("+OK 3 " + total);
      assertThat(c.command("LIST")).startsWith("+OK 3 messages");
      assertThat(c.multiLine()).containsExactly("1 " + metas.get(0).size(), "2 " + metas.get(1).size(), "3 " + metas.get(2).size());
      assertThat(c.command("UIDL 3")).isEqualTo("+OK 3 " + uidValidity + "." + metas.get(2).uid());
      assertThat(c.command("TOP 3 1")).isEqualTo("+OK top of message follows");
      assertThat(c.multiLine()).containsExactly("From: bob@example.org", "Subject: no final crlf", "", "line 1");
      assertThat(c.command("LIST 4")).isEqualTo("-ERR no such message");
      assertThat(c.command("RETR 0")).isEqualTo("-ERR invalid message number");
      assertThat(c.command("DELE 12345678901234")).isEqualTo("-ERR no such message");
    }
  }

  @Test
  void authPlain_withContinuation_logsIn() throws Exception {
    String plain = java.util.Base64.getEncoder().encodeToString(("\0" + ALICE + "\0secret").getBytes(StandardCharsets.UTF_8));
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      assertThat(c.command("AUTH PLAIN")).isEqualTo("+ ");
      assertThat(c.command(plain)).startsWith("+OK maildrop has 3");
    }
  }

  @Test
  void commandsBeforeLogin_refused() throws Exception {
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      assertThat(c.command("RETR 1")).isEqualTo("-ERR command not valid in this state");
      assertThat(c.command("STAT")).isEqualTo("-ERR command not valid in this state");
      assertThat(c.command("PASS secret")).isEqualTo("-ERR send USER first");
      assertThat(c.login(ALICE, "wrong")).isEqualTo("-ERR [AUTH] invalid user name or password");
      assertThat(c.command("XYZZY")).isEqualTo("-ERR unknown command");
      assertThat(c.command("QUIT")).isEqualTo("+OK bye");
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void longLine_refusedAndSessionStaysInSync() throws Exception {
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      c.send("USER " + "x".repeat(5000));
      assertThat(c.line()).isEqualTo("-ERR line too long (5005 octets, limit 512)");
      assertThat(c.login(ALICE, "secret")).startsWith("+OK maildrop");
      assertThat(c.command("NOOP")).isEqualTo("+OK");
    }
  }

  @Test
  void pipelinedCommandsInOneWrite_answeredInOrder() throws Exception {
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      c.write("USER " + ALICE + "\r\nPASS secret\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nLIST 1\r\nBOGUS\r\nNOOP\r\n");
      assertThat(c.line()).startsWith("+OK");
      assertThat(c.line()).startsWith("+OK maildrop has 3");
      assertThat(c.line()).startsWith("+OK 3 ");
      assertThat(c.line()).startsWith("+OK");
      assertThat(c.multiLine()).contains("Subject: first");
      assertThat(c.line()).isEqualTo("+OK message 1 deleted");
      assertThat(c.line()).isEqualTo("-ERR no such message");
      assertThat(c.line()).isEqualTo("-ERR unknown command");
      assertThat(c.line()).isEqualTo("+OK");
    }
  }

  @Test
  void tooManyErrors_closesConnection() throws Exception {
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      for (int i = 1; i < 20; i++) {
        assertThat(c.command("BAD" + i)).isEqualTo("-ERR unknown command");
      }
      assertThat(c.command("BAD20")).isEqualTo("-ERR too many errors, closing connection");
      assertThat(c.closedByServer()).isTrue();
    }
  }

  @Test
  void secondSessionOfSameUser_inUse() throws Exception {
    int port = start();
    try (RawPop3Client first = new RawPop3Client(port); RawPop3Client second = new RawPop3Client(port)) {
      first.line();
      second.line();
      assertThat(first.login(ALICE, "secret")).startsWith("+OK maildrop");
      assertThat(second.login(ALICE, "secret")).isEqualTo("-ERR [IN-USE] maildrop is locked by another session");
      assertThat(second.login(BOB, "bobpw")).startsWith("+OK maildrop has 0 messages");
      assertThat(first.command("QUIT")).startsWith("+OK bye");
    }
  }

  @Test
  void dele_thenQuit_expungesAtomically() throws Exception {
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      c.login(ALICE, "secret");
      assertThat(c.command("DELE 1")).isEqualTo("+OK message 1 deleted");
      assertThat(c.command("DELE 3")).isEqualTo("+OK message 3 deleted");
      assertThat(c.command("RETR 1")).isEqualTo("-ERR no such message");
      assertThat(subjects(ALICE)).as("nothing removed before QUIT").hasSize(3);
      assertThat(c.command("QUIT")).isEqualTo("+OK bye, 1 messages left");
      assertThat(c.closedByServer()).isTrue();
    }
    assertThat(subjects(ALICE)).containsExactly("dots");
  }

  @Test
  void droppedConnection_deletesNothingAndReleasesLock() throws Exception {
    int port = start();
    try (RawPop3Client c = new RawPop3Client(port)) {
      c.line();
      c.login(ALICE, "secret");
      assertThat(c.command("DELE 1")).startsWith("+OK");
      assertThat(c.command("DELE 2")).startsWith("+OK");
    } // no QUIT
    awaitSessionEnd();
    assertThat(subjects(ALICE)).containsExactly("first", "dots", "no final crlf");
    assertThat(locks.isLocked(ALICE)).isFalse();
    try (RawPop3Client again = new RawPop3Client(port)) {
      again.line();
      assertThat(again.login(ALICE, "secret")).startsWith("+OK maildrop has 3 messages");
    }
  }

  @Test
  void expungeFailure_sysTempAndMailKept() throws Exception {
    failExpunge = true;
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      c.login(ALICE, "secret");
      c.command("DELE 2");
      assertThat(c.command("QUIT")).isEqualTo("-ERR [SYS/TEMP] deleting messages failed, no message was removed");
      assertThat(c.closedByServer()).isTrue();
    }
    assertThat(subjects(ALICE)).hasSize(3);
  }

  @Test
  void inboxRenumberedDuringTheSession_retrReadsAndQuitDeletesNothing() throws Exception {
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      c.login(ALICE, "secret");
      assertThat(c.command("DELE 1")).startsWith("+OK");
      // What a cluster's manager does to a fragment whose UIDVALIDITY differs (docs/CLUSTER.md, "Renumbering"):
      // the session's UIDs would name other messages now.
      var inbox = rocks.mailbox(ALICE, MailStore.INBOX).orElseThrow();
      List<Long> uids = rocks.messages(ALICE, MailStore.INBOX).stream().map(MessageMeta::uid).toList();
      rocks.renumber(new dev.quill.store.FragmentRenumbering(ALICE, MailStore.INBOX, inbox.uidValidity(),
          inbox.uidValidity() + 1, uids, 1, inbox.highestModSeq() + 1, java.util.Optional.empty())).join();
      assertThat(c.command("RETR 2")).as("its UID names a message of the new numbering")
          .isEqualTo("-ERR [SYS/TEMP] temporary storage failure, try again later");
      assertThat(c.command("QUIT")).isEqualTo("-ERR [SYS/TEMP] deleting messages failed, no message was removed");
      assertThat(c.closedByServer()).isTrue();
    }
    assertThat(subjects(ALICE)).hasSize(3);
  }

  @Test
  void corruptMessage_sysPermAndSessionContinues() throws Exception {
    corruptUids.add(rocks.messages(ALICE, MailStore.INBOX).get(0).uid());
    try (RawPop3Client c = new RawPop3Client(start())) {
      c.line();
      c.login(ALICE, "secret");
      assertThat(c.command("RETR 1")).isEqualTo("-ERR [SYS/PERM] message is damaged and has been quarantined");
      assertThat(c.command("RETR 2")).startsWith("+OK");
      assertThat(c.multiLine()).contains("Subject: dots");
    }
  }

  @Test
  void stls_upgradesAndDiscardsPipelinedPlaintext() throws Exception {
    int port = start(Pop3Config.defaults("pop.example.org").withAllowPlaintextAuthOnLoopback(false));
    try (RawPop3Client c = new RawPop3Client(port)) {
      c.line();
      assertThat(c.login(ALICE, "secret")).contains("STLS first");
      // an attacker's injected command rides in the same packet as STLS; it must not survive the upgrade
      c.write("STLS\r\nUSER " + ALICE + "\r\n");
      assertThat(c.line()).isEqualTo("+OK begin TLS negotiation");
      c.startTls(clientTls);
      assertThat(c.command("PASS secret")).isEqualTo("-ERR send USER first");
      assertThat(c.command("CAPA")).startsWith("+OK");
      assertThat(c.multiLine()).contains("USER", "SASL PLAIN").doesNotContain("STLS");
      assertThat(c.login(ALICE, "secret")).startsWith("+OK maildrop has 3");
    }
  }

  @Test
  void idleSession_closedWithoutReplyOrUpdate() throws Exception {
    int port = start(Pop3Config.defaults("pop.example.org").withIdleTimeout(Duration.ofMillis(200)));
    try (RawPop3Client c = new RawPop3Client(port)) {
      c.line();
      c.login(ALICE, "secret");
      c.command("DELE 1");
      assertThat(c.closedByServer()).isTrue(); // blocks until the server gives up on us
    }
    awaitSessionEnd();
    assertThat(subjects(ALICE)).hasSize(3);
    assertThat(locks.isLocked(ALICE)).isFalse();
  }

  @Test
  void serverStopping_nextCommandRefusedWithoutUpdate() throws Exception {
    int port = start();
    try (RawPop3Client c = new RawPop3Client(port)) {
      c.line();
      c.login(ALICE, "secret");
      c.command("DELE 1");
      Thread stopper = Thread.ofVirtual().start(server::close);
      while (!server.isStopping()) {
        Thread.onSpinWait();
      }
      assertThat(c.command("QUIT")).isEqualTo("-ERR [SYS/TEMP] server shutting down");
      assertThat(c.closedByServer()).isTrue();
      stopper.join();
    }
    server = null;
    assertThat(subjects(ALICE)).hasSize(3);
  }
}
