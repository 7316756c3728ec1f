package dev.quill.mail.imap;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.imap.session.ImapBackend;
import dev.quill.mail.net.ListenerConfig;
import dev.quill.mail.net.ProtocolServer;
import dev.quill.mail.tls.TlsContexts;
import dev.quill.store.DeliveryResult;
import dev.quill.store.MailStore;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's kept BODY[HEADER.FIELDS] answers, seen from real sessions over the real store: a second
 * header list reads no message, answers are the same bytes as computed ones, a mailbox created again
 * never shows the old mailbox's headers, and a cache of size 0 changes nothing but the reads.
 */
class HeaderFieldsCacheTest {
  private static final String ALICE = "alice@example.org";
  private static final String M1 = "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: first\r\n"
      + "Date: Fri, 01 Mar 2024 10:00:00 +0000\r\n\r\nHello Alice.\r\n";
  private static final String M2 = "From: carol@example.org\r\nSubject: second\r\n\r\nquarterly report\r\n";

  @TempDir Path dir;
  private RocksMailStore store;
  private ProtocolServer server;
  /** Calls that read message contents from the store (load of anything beyond metadata). */
  private final AtomicInteger reads = new AtomicInteger();

  @BeforeEach
  void setUp() throws Exception {
    store = RocksMailStore.open(dir.resolve("store"), StoreOptions.defaults().withHashIterations(1_000));
    store.addDomain("example.org");
    store.addUser(ALICE, "secret".toCharArray());
    deliver(M1);
    deliver(M2);
  }

  @AfterEach
  void tearDown() {
    if (server != null) {
      server.close();
    }
    store.close();
  }

  @Test
  void aSecondHeaderList_isAnsweredWithoutReadingMessages_inAnySessionAndAnyCase() throws Exception {
    int port = start(64L << 20);
    String first;
    try (RawImapClient c = loggedIn(port)) {
      c.command("s", "SELECT INBOX");
      int before = reads.get();
      first = String.join("\n", c.command("f", "UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])"));
      assertThat(reads.get()).as("the first header list reads the messages").isGreaterThan(before);
      assertThat(first).contains("Subject: first", "From: bob@example.org", "Subject: second").doesNotContain("To:", "Date:");
    }
    try (RawImapClient c = loggedIn(port)) {
      c.command("s", "SELECT INBOX");
      int before = reads.get();
      String second = String.join("\n", c.command("f", "UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (subject From)])"));
      assertThat(reads.get()).as("another session's header list of the same messages").isEqualTo(before);
      // the same bytes, but for \Recent, which only the first session gets
      assertThat(second.replace("(subject From)", "(SUBJECT FROM)")).isEqualTo(first.replace("(\\Recent)", "()"));
      String partial = String.join("\n", c.command("p", "UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)]<0.14>)"));
      assertThat(partial).contains("BODY[HEADER.FIELDS (SUBJECT FROM)]<0> {14}", "From: bob@exam");
      String not = String.join("\n", c.command("n", "UID FETCH 1 (BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT FROM)])"));
      assertThat(not).contains("To: alice@example.org", "Date: Fri").doesNotContain("Subject:");
      assertThat(reads.get()).as("HEADER.FIELDS.NOT is kept apart and read once").isEqualTo(before + 1);
    }
  }

  @Test
  void answersFromTheCache_stillSetSeenWithoutPeek_andMixWithOtherItems() throws Exception {
    int port = start(64L << 20);
    try (RawImapClient c = loggedIn(port)) {
      c.command("s", "SELECT INBOX");
      c.command("w", "UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
      List<String> seen = c.command("f", "UID FETCH 2 (BODY[HEADER.FIELDS (SUBJECT)])");
      assertThat(String.join("\n", seen)).contains("\\Seen", "Subject: second");
      String both = String.join("\n", c.command("b", "UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT])"));
      assertThat(both).contains("Subject: first", "Hello Alice.");
    }
  }

  @Test
  void aMailboxCreatedAgain_showsItsOwnMessagesHeaders() throws Exception {
    int port = start(64L << 20);
    try (RawImapClient c = loggedIn(port)) {
      assertThat(c.completion("c", "CREATE Box")).startsWith("c OK");
      assertThat(c.completion("a", "APPEND Box {" + M1.length() + "+}\r\n" + M1)).startsWith("a OK [APPENDUID ");
      c.command("s", "SELECT Box");
      assertThat(String.join("\n", c.command("f", "UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")))
          .contains("Subject: first");
      c.command("u", "UNSELECT");
      assertThat(c.completion("d", "DELETE Box")).startsWith("d OK");
      assertThat(c.completion("c2", "CREATE Box")).startsWith("c2 OK");
      assertThat(c.completion("a2", "APPEND Box {" + M2.length() + "+}\r\n" + M2))
          .contains(" 1]"); // UID 1 again, under a new UIDVALIDITY
      c.command("s2", "SELECT Box");
      assertThat(String.join("\n", c.command("f2", "UID FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")))
          .contains("Subject: second").doesNotContain("Subject: first");
    }
  }

  @Test
  void withoutACache_theAnswersAreTheSame_andEveryListReads() throws Exception {
    String cached;
    int port = start(64L << 20);
    try (RawImapClient c = loggedIn(port)) {
      c.command("s", "SELECT INBOX");
      c.command("w", "UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT DATE)])");
      cached = String.join("\n", c.command("f", "UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT DATE)])"));
    }
    server.close();
    port = start(0);
    try (RawImapClient c = loggedIn(port)) {
      c.command("s", "SELECT INBOX");
      int before = reads.get();
      c.command("w", "UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT DATE)])");
      String uncached = String.join("\n", c.command("f", "UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT DATE)])"));
      assertThat(uncached).isEqualTo(cached);
      assertThat(reads.get()).isGreaterThanOrEqualTo(before + 2);
    }
  }

  private void deliver(String message) {
    List<DeliveryResult> r = store.deliver(List.of(ALICE), MailStore.INBOX, message.getBytes(StandardCharsets.UTF_8),
        Instant.now()).join();
    assertThat(r).extracting(DeliveryResult::status).containsExactly(DeliveryResult.Status.STORED);
  }

  private int start(long cacheBytes) throws Exception {
    ImapService imap = new ImapService(ImapConfig.defaults("imap.example.org").withHeaderCacheBytes(cacheBytes),
        counting(new StoreImapBackend(store)), TlsContexts.selfSigned("localhost", dir.resolve("tls")),
        new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 50, 50, Duration.ofMinutes(15)), Clock.systemUTC()),
        Clock.systemUTC());
    server = new ProtocolServer(new ListenerConfig("imap", InetAddress.getLoopbackAddress(), 0, false, 100, 50,
        "* BYE Too many connections", Duration.ofSeconds(2)), null, imap);
    return server.start();
  }

  /** The real backend, with its content reads counted. */
  private ImapBackend counting(ImapBackend real) {
    return (ImapBackend) Proxy.newProxyInstance(ImapBackend.class.getClassLoader(), new Class<?>[] {ImapBackend.class},
        (proxy, method, args) -> {
          boolean content = method.getName().equals("load") && !((java.util.Set<?>) args[4]).isEmpty();
          if (content) {
            reads.incrementAndGet();
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private static RawImapClient loggedIn(int port) throws Exception {
    RawImapClient c = new RawImapClient(port);
    assertThat(c.line()).startsWith("* OK");
    assertThat(c.completion("l", "LOGIN alice@example.org secret")).startsWith("l OK");
    return c;
  }
}
