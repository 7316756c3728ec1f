package dev.quill.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.quill.server.config.NodeConfig;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import jakarta.mail.FetchProfile;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A whole node on a small real file system that fills up or fails (tmpfs, ext4 on a loop device;
 * the tests need root to mount and are skipped without it), used with raw SMTP and IMAP sessions
 * for the exact replies and with Angus Mail to read: writes are refused with temporary errors,
 * the sessions go on, reads go on, nothing acknowledged is lost (checked again after a restart),
 * and writes are accepted again once space returns, without a restart.
 */
class DiskFullNodeTest {
  private static final String USER = "alice@example.test";
  private static final String PASSWORD = "alice-pw";

  @TempDir
  Path dir;

  private ScratchDisk disk;
  private QuillNode node;
  private NodeConfig config;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();

  private Level storageLevel;

  @BeforeEach
  void captureLogs() {
    logs.start();
    root().addAppender(logs);
    storageLevel = storageLogger().getLevel();
    storageLogger().setLevel(Level.INFO); // the tests' configuration shows WARN only; the INFO of recovery counts here
  }

  @AfterEach
  void stop() throws Exception {
    root().detachAppender(logs);
    storageLogger().setLevel(storageLevel);
    try {
      if (node != null) {
        node.close();
      }
    } finally {
      if (disk != null) {
        disk.close();
      }
    }
  }

  @Test
  void belowTheReserve_mailIsRefusedAtMailWith452_readsAndFlagChangesGoOn_andMailIsAcceptedOnceSpaceReturns()
      throws Exception {
    disk = ScratchDisk.tmpfs(dir.resolve("disk"), 160);
    long reserve = 32L << 20;
    start(reserve);
    assertThat(disk.free()).as("room above the reserve after the node started").isGreaterThan(reserve + (8L << 20));
    List<String> acknowledged = new ArrayList<>();
    try (Smtp smtp = new Smtp(port("smtp"))) {
      for (int i = 0; i < 5; i++) {
        String subject = "before " + i + " " + UUID.randomUUID();
        assertThat(smtp.deliver(USER, subject, "Hello.\r\n")).startsWith("250 ");
        acknowledged.add(subject);
      }
    }
    int warningsBefore = warnings();

    disk.fillTo(8L << 20); // below the reserve, not empty: the small writes it keeps room for still fit
    String refused = awaitReply(this::mailFrom, r -> r.startsWith("452 ")); // the probe runs every second
    assertThat(refused).as("temporary, with the enhanced code of a full mail system").startsWith("452 4.3.1 ");
    try (Smtp smtp = new Smtp(port("smtp"))) {
      assertThat(smtp.command("MAIL FROM:<bob@example.org>")).startsWith("452 4.3.1 ");
      assertThat(smtp.command("NOOP")).as("the session goes on").startsWith("250 ");
      assertThat(smtp.command("MAIL FROM:<bob@example.org>")).startsWith("452 4.3.1 ");
    }
    try (Imap imap = new Imap(port("imap"))) {
      assertThat(imap.command("LOGIN " + USER + " " + PASSWORD)).contains("OK");
      assertThat(imap.append("INBOX", "Subject: appended\r\n\r\nHi.\r\n")).contains("NO [UNAVAILABLE]");
      assertThat(imap.command("SELECT INBOX")).contains("OK");
      assertThat(imap.command("COPY 1 Sent")).contains("NO [UNAVAILABLE]");
      assertThat(imap.command("STORE 1 +FLAGS (\\Flagged)")).as("a flag change still fits in the reserve").contains("OK");
    }
    assertThat(subjects("imap")).containsExactlyElementsOf(acknowledged);
    assertThat(subjects("pop3")).containsExactlyElementsOf(acknowledged);

    disk.release();
    awaitReply(this::mailFrom, r -> r.startsWith("250 "));
    try (Smtp smtp = new Smtp(port("smtp"))) {
      String subject = "after " + UUID.randomUUID();
      assertThat(smtp.deliver(USER, subject, "Hello again.\r\n")).startsWith("250 ");
      acknowledged.add(subject);
    }
    assertThat(storageEvents(Level.WARN)).as("one WARN entering the state").containsExactly("event=storage-low-space");
    assertThat(storageEvents(Level.INFO)).as("one INFO leaving it").containsExactly("event=storage-ok");
    assertThat(warnings() - warningsBefore).as("no WARN per refused message").isEqualTo(1);

    restart(reserve);
    assertThat(subjects("imap")).containsExactlyElementsOf(acknowledged);
  }

  @Test
  void diskFullUnderTheEngine_writesGetTemporaryErrors_readsGoOn_nothingAcknowledgedIsLost_andWritesResume()
      throws Exception {
    disk = ScratchDisk.tmpfs(dir.resolve("disk"), 192);
    start(0); // no reserve: the disk fills under RocksDB itself
    List<String> acknowledged = new ArrayList<>();
    try (Smtp smtp = new Smtp(port("smtp")); Imap imap = new Imap(port("imap"))) {
      String subject = "marked deleted " + UUID.randomUUID();
      assertThat(smtp.deliver(USER, subject, "Delete me later.\r\n")).startsWith("250 ");
      acknowledged.add(subject);
      assertThat(imap.command("LOGIN " + USER + " " + PASSWORD)).contains("OK");
      assertThat(imap.command("SELECT INBOX")).contains("OK");
      assertThat(imap.command("STORE 1 +FLAGS (\\Deleted)")).contains("OK");
    }
    disk.fill();
    int warningsBefore = warnings();
    String refusal = null;
    var random = new Random(5);
    try (Smtp smtp = new Smtp(port("smtp"))) {
      // Incompressible 1 MiB messages until the store refuses one: RocksDB has room left in its
      // preallocated log, so the refusal comes when that or a memtable flush runs out of disk.
      for (int i = 0; i < 250 && refusal == null; i++) {
        String subject = "big " + i + " " + UUID.randomUUID();
        String reply = smtp.deliver(USER, subject, randomBody(random, 768 * 1024));
        if (reply.startsWith("250 ")) {
          acknowledged.add(subject);
        } else {
          refusal = reply;
        }
      }
      assertThat(refusal).as("the full disk refused a message, after the data, as temporary").startsWith("452 4.3.1 ");
      assertThat(smtp.command("NOOP")).as("the session goes on").startsWith("250 ");
      assertThat(smtp.deliver(USER, "while full", "Hello.\r\n")).startsWith("452 4.3.1 ");
    }
    try (Imap imap = new Imap(port("imap"))) {
      assertThat(imap.command("LOGIN " + USER + " " + PASSWORD)).contains("OK");
      assertThat(imap.append("INBOX", "Subject: appended\r\n\r\nHi.\r\n")).contains("NO [UNAVAILABLE]");
      assertThat(imap.command("SELECT INBOX")).contains("OK");
      assertThat(imap.command("STORE 2 +FLAGS (\\Flagged)")).contains("NO [UNAVAILABLE]");
      assertThat(imap.command("COPY 2 Sent")).contains("NO [UNAVAILABLE]");
      assertThat(imap.command("MOVE 2 Sent")).contains("NO [UNAVAILABLE]");
      assertThat(imap.command("EXPUNGE")).as("message 1 is \\Deleted and stays").contains("NO [UNAVAILABLE]");
      assertThat(imap.command("FETCH 2 BODY[]")).as("a read that would set \\Seen still reads").contains("OK");
    }
    try (Pop3 pop = new Pop3(port("pop3"))) {
      assertThat(pop.command("USER " + USER)).startsWith("+OK");
      assertThat(pop.command("PASS " + PASSWORD)).startsWith("+OK");
      assertThat(pop.command("DELE 1")).startsWith("+OK");
      assertThat(pop.command("QUIT")).as("the deletion is refused as temporary").startsWith("-ERR [SYS/TEMP]");
    }
    assertThat(subjects("imap")).containsExactlyElementsOf(acknowledged);

    disk.release();
    String subject = "after " + UUID.randomUUID();
    // RocksDB resumes by itself once enough space is free (it checks every few seconds).
    awaitReply(() -> {
      try (Smtp smtp = new Smtp(port("smtp"))) {
        return smtp.deliver(USER, subject, "Hello again.\r\n");
      }
    }, r -> r.startsWith("250 "));
    acknowledged.add(subject);
    assertThat(storageEvents(Level.WARN)).as("one WARN entering the state").containsExactly("event=storage-full");
    assertThat(storageEvents(Level.INFO)).as("one INFO leaving it").containsExactly("event=storage-ok");
    assertThat(warnings() - warningsBefore).as("no WARN per refused message").isEqualTo(1);

    restart(0);
    assertThat(subjects("imap")).containsExactlyElementsOf(acknowledged);
    assertEveryMessageIntact(acknowledged.size());
  }

  @Test
  void diskFailsWithIoErrors_writesGetTemporaryErrors_theNodeStaysUp_andARestartFindsEveryAcknowledgedMessage()
      throws Throwable {
    disk = ScratchDisk.ext4(dir.resolve("disk"), dir.resolve("disk.img"), 128);
    start(0);
    List<String> acknowledged = new ArrayList<>();
    try (Smtp smtp = new Smtp(port("smtp"))) {
      for (int i = 0; i < 5; i++) {
        String subject = "before " + i + " " + UUID.randomUUID();
        assertThat(smtp.deliver(USER, subject, "Hello.\r\n")).startsWith("250 ");
        acknowledged.add(subject);
      }
    }

    disk.shutdown(); // from now on every read and write of that file system fails with EIO
    try (Smtp smtp = new Smtp(port("smtp"))) {
      assertThat(smtp.deliver(USER, "after the failure", "Hello.\r\n")).as("temporary: a local error")
          .startsWith("451 4.3.0 ");
      assertThat(smtp.command("NOOP")).as("the session goes on").startsWith("250 ");
    }
    try (Imap imap = new Imap(port("imap"))) {
      assertThat(imap.command("LOGIN " + USER + " " + PASSWORD)).contains("OK");
      assertThat(imap.append("INBOX", "Subject: appended\r\n\r\nHi.\r\n")).contains("NO [UNAVAILABLE]");
      assertThat(imap.command("NOOP")).contains("OK");
    }
    assertThat(storageEvents(Level.WARN)).containsExactly("event=storage-io-error");

    // The operator repairs the disk and restarts the node.
    try {
      node.close();
    } finally {
      node = null;
    }
    disk.remount();
    restart(0);
    assertThat(subjects("imap")).containsExactlyElementsOf(acknowledged);
    assertEveryMessageIntact(acknowledged.size());
  }

  // ---- the node --------------------------------------------------------------------------------

  private void start(long minFreeSpace) throws Exception {
    config = NodeConfig.defaults().withData(disk.path().resolve("data")).withHostname("localhost").withSmtpPort(0)
        .withSubmissionPort(0).withPop3Port(0).withImapPort(0).withStore(new NodeConfig.Store(minFreeSpace));
    node = QuillNode.start(config);
    node.store().addDomain("example.test");
    node.store().addUser(USER, PASSWORD.toCharArray());
  }

  private void restart(long minFreeSpace) throws Exception {
    if (node != null) {
      node.close();
    }
    node = null;
    node = QuillNode.start(config.withStore(new NodeConfig.Store(minFreeSpace)));
  }

  /** The reply to MAIL FROM on a new connection. */
  private String mailFrom() throws IOException {
    try (Smtp smtp = new Smtp(port("smtp"))) {
      return smtp.command("MAIL FROM:<bob@example.org>");
    }
  }

  private int port(String service) {
    return node.ports().get(service);
  }

  /** Every message in the store reads back whole: the store checks each one's CRC32C as it reads. */
  private void assertEveryMessageIntact(int expected) throws Exception {
    MailStore store = node.store();
    List<MessageMeta> messages = store.messages(USER, MailStore.INBOX);
    assertThat(messages).hasSize(expected);
    for (MessageMeta m : messages) {
      assertThat(store.readMessage(USER, MailStore.INBOX, m.uid())).isPresent();
    }
  }

  /** The INBOX's subjects in order, read with Angus Mail over {@code protocol}. */
  private List<String> subjects(String protocol) throws Exception {
    Properties p = new Properties();
    p.put("mail." + protocol + ".timeout", "20000");
    try (Store store = Session.getInstance(p).getStore(protocol)) {
      store.connect("127.0.0.1", port(protocol), USER, PASSWORD);
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      Message[] messages = inbox.getMessages();
      FetchProfile headers = new FetchProfile();
      headers.add(FetchProfile.Item.ENVELOPE);
      inbox.fetch(messages, headers);
      List<String> subjects = new ArrayList<>();
      for (Message m : messages) {
        subjects.add(m.getSubject());
      }
      inbox.close(false);
      return subjects;
    }
  }

  private static String randomBody(Random random, int bytes) {
    byte[] raw = new byte[bytes];
    random.nextBytes(raw);
    return Base64.getMimeEncoder().encodeToString(raw) + "\r\n";
  }

  /** Asks until the reply satisfies {@code done} (the probe runs every second), for at most 30 s. */
  private static String awaitReply(IoSupplier ask, java.util.function.Predicate<String> done) throws Exception {
    long deadline = System.nanoTime() + 30_000_000_000L;
    String reply;
    do {
      reply = ask.get();
      if (done.test(reply)) {
        return reply;
      }
      Thread.sleep(250);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("still answered '" + reply + "' after 30 s");
  }

  @FunctionalInterface
  private interface IoSupplier {
    String get() throws IOException;
  }

  // ---- logs ------------------------------------------------------------------------------------

  private static Logger storageLogger() {
    return (Logger) LoggerFactory.getLogger("dev.quill.store.StorageHealth");
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  /** The "event=..." of the storage state changes logged at {@code level}, in order. */
  private List<String> storageEvents(Level level) {
    return events(e -> e.getLoggerName().endsWith(".StorageHealth") && e.getLevel() == level).stream()
        .map(e -> e.getFormattedMessage().split(" ", 2)[0]).toList();
  }

  /** WARN and ERROR lines of Quill's own loggers so far. */
  private int warnings() {
    return events(e -> e.getLoggerName().startsWith("dev.quill.") && e.getLevel().isGreaterOrEqual(Level.WARN)).size();
  }

  private List<ILoggingEvent> events(java.util.function.Predicate<ILoggingEvent> which) {
    synchronized (logs) {
      return logs.list.stream().filter(which).toList();
    }
  }

  // ---- raw clients -----------------------------------------------------------------------------

  /** A line-based session on a raw socket with the greeting read. */
  private static class Raw implements AutoCloseable {
    final Socket socket;
    final BufferedReader in;
    final OutputStream out;

    Raw(int port) throws IOException {
      socket = new Socket("127.0.0.1", port);
      socket.setSoTimeout(30_000);
      in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
      out = socket.getOutputStream();
    }

    void write(String text) throws IOException {
      out.write(text.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
    }

    String line() throws IOException {
      String line = in.readLine();
      if (line == null) {
        throw new IOException("the server closed the connection");
      }
      return line;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** SMTP: each command returns the last line of its reply. */
  private static final class Smtp extends Raw {
    Smtp(int port) throws IOException {
      super(port);
      reply();
      command("EHLO client.example.org");
    }

    String command(String line) throws IOException {
      write(line + "\r\n");
      return reply();
    }

    /** One whole transaction; returns the first reply that is not a success, or the reply after the data. */
    String deliver(String to, String subject, String body) throws IOException {
      String r = command("MAIL FROM:<bob@example.org>");
      if (!r.startsWith("250")) {
        return r;
      }
      r = command("RCPT TO:<" + to + ">");
      if (!r.startsWith("250")) {
        command("RSET");
        return r;
      }
      r = command("DATA");
      if (!r.startsWith("354")) {
        return r;
      }
      write("From: bob@example.org\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\n" + body + ".\r\n");
      return reply();
    }

    private String reply() throws IOException {
      String line;
      do {
        line = line();
      } while (line.length() > 3 && line.charAt(3) == '-');
      return line;
    }
  }

  /** IMAP: each command returns its tagged completion. */
  private static final class Imap extends Raw {
    private int tag;

    Imap(int port) throws IOException {
      super(port);
      line();
    }

    String command(String command) throws IOException {
      String t = "t" + ++tag;
      write(t + " " + command + "\r\n");
      return tagged(t);
    }

    String append(String mailbox, String message) throws IOException {
      String t = "t" + ++tag;
      byte[] bytes = message.getBytes(StandardCharsets.ISO_8859_1);
      write(t + " APPEND " + mailbox + " {" + bytes.length + "}\r\n");
      String go = line();
      if (!go.startsWith("+")) {
        return go;
      }
      write(message + "\r\n");
      return tagged(t);
    }

    private String tagged(String t) throws IOException {
      String line;
      do {
        line = line();
      } while (!line.startsWith(t + " "));
      return line;
    }
  }

  /** POP3: each command returns its status line. */
  private static final class Pop3 extends Raw {
    Pop3(int port) throws IOException {
      super(port);
      line();
    }

    String command(String line) throws IOException {
      write(line + "\r\n");
      return line();
    }
  }
}
