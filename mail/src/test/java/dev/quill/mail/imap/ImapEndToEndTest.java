package dev.quill.mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.net.ListenerConfig;
import dev.quill.mail.net.ProtocolServer;
import dev.quill.mail.tls.TlsContexts;
import dev.quill.store.DeliveryResult;
import dev.quill.store.MailStore;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.event.MessageCountAdapter;
import jakarta.mail.event.MessageCountEvent;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.search.SubjectTerm;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.eclipse.angus.mail.imap.IMAPFolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IMAP end to end: Angus Mail and a raw client against {@link ImapService} over the real {@link RocksMailStore}. */
class ImapEndToEndTest {
  private static final String ALICE = "alice@example.org";
  private static final String M1 = "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: first\r\n"
      + "Date: Fri, 01 Mar 2024 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\n\r\nHello Alice.\r\n";
  private static final String M2 = "From: carol@example.org\r\nTo: alice@example.org\r\nSubject: report\r\n"
      + "\r\nquarterly numbers\r\n";

  @TempDir Path dir;
  private RocksMailStore store;
  private SSLContext serverTls;
  private ProtocolServer server;
  private int port;

  @BeforeEach
  void setUp() throws Exception {
    store = RocksMailStore.open(dir.resolve("store"), StoreOptions.defaults().withHashIterations(1_000));
    store.addDomain("example.org");
    store.addUser(ALICE, "secret".toCharArray());
    deliver(M1);
    deliver(M2);
    serverTls = TlsContexts.selfSigned("localhost", dir.resolve("tls"));
    ImapService imap = new ImapService(ImapConfig.defaults("imap.example.org"), store, serverTls,
        new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 50, 50, Duration.ofMinutes(15)), Clock.systemUTC()),
        Clock.systemUTC());
    server = new ProtocolServer(new ListenerConfig("imap", InetAddress.getLoopbackAddress(), 0, false, 100, 50,
        "* BYE Too many connections", Duration.ofSeconds(2)), serverTls, imap);
    port = server.start();
  }

  @AfterEach
  void tearDown() {
    server.close();
    store.close();
  }

  private void deliver(String message) {
    List<DeliveryResult> r = store.deliver(List.of(ALICE), MailStore.INBOX, message.getBytes(StandardCharsets.UTF_8),
        Instant.now()).join();
    assertThat(r).extracting(DeliveryResult::status).containsExactly(DeliveryResult.Status.STORED);
  }

  private Store angus() throws Exception {
    Properties p = new Properties();
    p.put("mail.imap.host", "localhost");
    p.put("mail.imap.port", String.valueOf(port));
    p.put("mail.imap.connectiontimeout", "15000");
    p.put("mail.imap.timeout", "15000");
    p.put("mail.debug", System.getProperty("imap.debug", "false"));
    Store s = Session.getInstance(p).getStore("imap");
    s.connect(ALICE, "secret");
    return s;
  }

  @Test
  void angus_readsFlagsSearchesAndMoves() throws Exception {
    Store s = angus();
    try {
      Folder inbox = s.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      assertThat(inbox.getMessageCount()).isEqualTo(2);
      Message first = inbox.getMessage(1);
      assertThat(first.getSubject()).isEqualTo("first");
      assertThat(new String(first.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).contains("Hello Alice.");
      first.setFlag(Flags.Flag.FLAGGED, true);
      assertThat(inbox.getMessage(1).isSet(Flags.Flag.FLAGGED)).isTrue();
      Message[] found = inbox.search(new SubjectTerm("report"));
      assertThat(found).hasSize(1);
      assertThat(found[0].getMessageNumber()).isEqualTo(2);

      Folder archive = s.getFolder("Saved");
      assertThat(archive.create(Folder.HOLDS_MESSAGES)).isTrue();
      ((IMAPFolder) inbox).moveMessages(new Message[] {inbox.getMessage(2)}, archive);
      archive.open(Folder.READ_ONLY);
      assertThat(archive.getMessage(1).getSubject()).isEqualTo("report");
      archive.close(false);
      inbox.close(false);
    } finally {
      s.close();
    }
    assertThat(store.messages(ALICE, "Saved")).hasSize(1);
    assertThat(store.messages(ALICE, "INBOX")).hasSize(1);
  }

  @Test
  void angus_foldersCreateRenameListDelete_andAppend() throws Exception {
    Store s = angus();
    try {
      Folder work = s.getFolder("Work/Projects");
      assertThat(work.create(Folder.HOLDS_MESSAGES)).isTrue();
      assertThat(Arrays.stream(s.getDefaultFolder().list("*")).map(Folder::getFullName))
          .contains("INBOX", "Work/Projects");
      Folder renamed = s.getFolder("Jobs");
      assertThat(s.getFolder("Work").renameTo(renamed)).isTrue();
      assertThat(s.getFolder("Jobs/Projects").exists()).isTrue();
      MimeMessage m = new MimeMessage(Session.getInstance(new Properties()));
      m.setFrom(new InternetAddress("alice@example.org"));
      m.setSubject("draft");
      m.setText("draft text");
      Folder target = s.getFolder("Jobs/Projects");
      target.appendMessages(new Message[] {m});
      target.open(Folder.READ_ONLY);
      assertThat(target.getMessageCount()).isEqualTo(1);
      assertThat(target.getMessage(1).getSubject()).isEqualTo("draft");
      target.close(false);
      assertThat(target.delete(false)).isTrue();
      assertThat(target.exists()).isFalse();
    } finally {
      s.close();
    }
  }

  @Test
  void angus_idle_getsDeliveryPushed() throws Exception {
    Store s = angus();
    try {
      IMAPFolder inbox = (IMAPFolder) s.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      CountDownLatch added = new CountDownLatch(1);
      inbox.addMessageCountListener(new MessageCountAdapter() {
        @Override
        public void messagesAdded(MessageCountEvent e) {
          added.countDown();
        }
      });
      Thread idler = Thread.ofVirtual().start(() -> {
        try {
          inbox.idle(true);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      // deliver until the IDLE has started on the server: a delivery before IDLE is reported when it starts
      deliver(M2);
      assertThat(added.await(15, TimeUnit.SECONDS)).isTrue();
      idler.join(15_000);
      assertThat(inbox.getMessageCount()).isEqualTo(3);
      inbox.close(false);
    } finally {
      s.close();
    }
  }

  @Test
  void raw_fetchEnvelopeStructureAndBody_fromDerivedData() throws Exception {
    try (RawImapClient c = new RawImapClient(port)) {
      assertThat(c.line()).startsWith("* OK");
      c.command("l", "LOGIN alice@example.org secret");
      c.command("s", "SELECT INBOX");
      List<String> env = c.command("f", "FETCH 1 (ENVELOPE BODYSTRUCTURE)");
      assertThat(env.get(0)).startsWith("* 1 FETCH (ENVELOPE (").contains("\"first\"").containsIgnoringCase("BODYSTRUCTURE (\"TEXT\" \"PLAIN\"");
      assertThat(env.getLast()).isEqualTo("f OK FETCH completed");
      List<String> body = c.command("b", "UID FETCH 1 (BODY[HEADER.FIELDS (SUBJECT)])");
      assertThat(body).contains("Subject: first");
      assertThat(body.getLast()).isEqualTo("b OK UID FETCH completed");
      assertThat(c.command("q", "SEARCH BODY quarterly")).containsExactly("* SEARCH 2", "q OK SEARCH completed");
      assertThat(c.command("q2", "SEARCH SENTON 1-Mar-2024")).containsExactly("* SEARCH 1", "q2 OK SEARCH completed");
      assertThat(c.command("n", "FETCH 1 FLAGS")).contains("* 1 FETCH (FLAGS (\\Seen \\Recent))");
    }
  }

  @Test
  void raw_aSelectedMailboxCreatedAgain_endsTheSession_beforeAnyCommandUsesItsOldUids() throws Exception {
    store.createMailbox(ALICE, "Projects", java.util.Set.of());
    store.append(ALICE, "Projects", "Subject: keep\r\n\r\nkeep\r\n".getBytes(StandardCharsets.US_ASCII),
        java.util.Set.of(), null, null).join();
    long before = store.mailbox(ALICE, "Projects").orElseThrow().uidValidity();
    try (RawImapClient a = new RawImapClient(port); RawImapClient b = new RawImapClient(port)) {
      a.line();
      b.line();
      a.command("l", "LOGIN alice@example.org secret");
      b.command("l", "LOGIN alice@example.org secret");
      assertThat(a.command("s", "SELECT Projects")).contains("* OK [UIDVALIDITY " + before + "] UIDs valid");
      assertThat(b.completion("d", "DELETE Projects")).isEqualTo("d OK DELETE completed");
      assertThat(b.completion("c", "CREATE Projects")).isEqualTo("c OK CREATE completed");
      store.append(ALICE, "Projects", "Subject: other\r\n\r\nother\r\n".getBytes(StandardCharsets.US_ASCII),
          java.util.Set.of(), null, null).join();
      assertThat(store.mailbox(ALICE, "Projects").orElseThrow().uidValidity()).isGreaterThan(before);

      // UID 1 now names another message: the command must not run.
      a.send("x UID STORE 1 +FLAGS (\\Deleted)");
      assertThat(a.line()).isEqualTo("* BYE Mailbox UIDVALIDITY changed; select it again");
      assertThat(a.line()).as("closed").isNull();
      assertThat(store.messages(ALICE, "Projects")).singleElement()
          .satisfies(m -> assertThat(m.flags()).doesNotContain("\\Deleted"));
      assertThat(b.command("n", "NOOP").getLast()).as("other sessions go on").isEqualTo("n OK NOOP completed");
    }
  }

  @Test
  void raw_pop3DeliveryAndImapSeeTheSameInbox_andQuota() throws Exception {
    store.setQuota(ALICE, 100 * 1024);
    try (RawImapClient c = new RawImapClient(port)) {
      assertThat(c.line()).startsWith("* OK");
      c.command("l", "LOGIN alice@example.org secret");
      assertThat(c.command("q", "GETQUOTAROOT INBOX")).startsWith("* QUOTAROOT INBOX \"\"")
          .contains("* QUOTA \"\" (STORAGE 1 100)");
      assertThat(c.command("st", "STATUS INBOX (MESSAGES UIDNEXT SIZE)").get(0)).startsWith("* STATUS INBOX (MESSAGES 2 UIDNEXT 3 SIZE ");
    }
  }

  @Test
  void raw_qresync_vanishedAndReplayFromTheRealStore() throws Exception {
    try (RawImapClient c = new RawImapClient(port)) {
      assertThat(c.line()).startsWith("* OK");
      c.command("l", "LOGIN alice@example.org secret");
      assertThat(c.command("e", "ENABLE QRESYNC")).containsExactly("* ENABLED QRESYNC", "e OK ENABLE completed");
      List<String> select = c.command("s", "SELECT INBOX");
      String validity = select.stream().filter(l -> l.startsWith("* OK [UIDVALIDITY ")).findFirst().orElseThrow()
          .replaceAll("\\D+(\\d+).*", "$1");
      String modSeq = select.stream().filter(l -> l.startsWith("* OK [HIGHESTMODSEQ ")).findFirst().orElseThrow()
          .replaceAll("\\D+(\\d+).*", "$1");
      assertThat(c.command("st", "UID STORE 1 +FLAGS (\\Deleted)").get(0)).startsWith("* 1 FETCH (").contains("MODSEQ (");
      assertThat(c.command("x", "EXPUNGE")).containsExactly("* VANISHED 1", "x OK EXPUNGE completed");
      c.command("u", "UNSELECT");
      List<String> resync = c.command("s2", "SELECT INBOX (QRESYNC (" + validity + " " + modSeq + " 1:2))");
      assertThat(resync).contains("* VANISHED (EARLIER) 1").anyMatch(l -> l.startsWith("* 1 EXISTS"));
      assertThat(resync.getLast()).isEqualTo("s2 OK [READ-WRITE] SELECT completed");
    }
  }
}
