package dev.quill.mail.pop3.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.pop3.MaildropLocks;
import dev.quill.mail.pop3.Pop3Config;
import dev.quill.mail.pop3.codec.Pop3CommandParser;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever a client sends, the session answers each line exactly once and never throws. */
class Pop3SessionPropertyTest {
  private static final String USER = "alice@example.org";

  @Property(tries = 500)
  void anyLineSequence_everyInputGetsExactlyOneWellFormedReply(@ForAll("sessions") List<String> lines,
      @ForAll boolean loopback, @ForAll boolean tls) throws Exception {
    FakeMaildropStore store = new FakeMaildropStore().user(USER, "secret");
    store.add(USER, "Subject: a\r\n\r\nbody\r\n");
    store.add(USER, ".dot\r\n\r\n.\r\n");
    store.corrupt.add(2L);
    MaildropLocks locks = new MaildropLocks();
    LoginThrottle throttle = new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 1000, 1000, Duration.ofMinutes(1)),
        Clock.systemUTC());
    InetAddress from = loopback ? InetAddress.getLoopbackAddress() : InetAddress.getByName("192.0.2.1");
    Pop3Session session = new Pop3Session(Pop3Config.defaults("h"), store, locks, throttle,
        new Pop3Session.Peer("p", from, tls, false));

    for (String line : lines) {
      Pop3Reply reply = session.awaitingSaslResponse()
          ? session.saslResponse(line)
          : session.handle(Pop3CommandParser.parse(line.getBytes(StandardCharsets.UTF_8)));
      assertThat(reply).isNotNull();
      assertThat(reply.status()).matches(s -> s.startsWith("+OK") || s.startsWith("-ERR") || s.equals("+ "),
          "starts with +OK, -ERR or is a continuation");
      assertThat(reply.status()).doesNotContain("\r", "\n");
      if (reply.after() == Pop3Reply.After.START_TLS) {
        session.tlsStarted();
      }
      if (reply.status().equals("+ ")) {
        assertThat(session.awaitingSaslResponse()).isTrue();
      }
    }
    session.close();
    assertThat(locks.size()).isZero();
  }

  @Property(tries = 300)
  void readingAhead_changesNoReply(@ForAll("sessions") List<String> commands) throws Exception {
    List<String> lines = new java.util.ArrayList<>(List.of("USER " + USER, "PASS secret"));
    lines.addAll(commands);
    List<String> plain = replies(lines, false);
    assertThat(plain.get(1)).startsWith("+OK maildrop has 4 messages");
    assertThat(replies(lines, true)).isEqualTo(plain);
  }

  /** Each reply's status, and for a message its content and line limit, with or without read-ahead. */
  private static List<String> replies(List<String> lines, boolean readAhead) throws Exception {
    FakeMaildropStore store = new FakeMaildropStore().user(USER, "secret");
    store.aheadWorthIt = readAhead;
    store.add(USER, "Subject: a\r\n\r\nbody\r\n");
    store.add(USER, ".dot\r\n\r\n.\r\n");
    store.add(USER, "Subject: c\r\n\r\nthird\r\n");
    store.add(USER, "Subject: d\r\n\r\nfourth\r\n");
    store.corrupt.add(2L);
    Pop3Session session = new Pop3Session(Pop3Config.defaults("h"), store, new MaildropLocks(),
        new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 1000, 1000, Duration.ofMinutes(1)), Clock.systemUTC()),
        new Pop3Session.Peer("p", InetAddress.getLoopbackAddress(), false, false));
    List<String> out = new java.util.ArrayList<>();
    for (String line : lines) {
      Pop3Reply reply = session.awaitingSaslResponse()
          ? session.saslResponse(line)
          : session.handle(Pop3CommandParser.parse(line.getBytes(StandardCharsets.UTF_8)));
      out.add(reply instanceof Pop3Reply.Message m
          ? m.status() + " " + m.bodyLines() + " " + new String(m.content(), StandardCharsets.UTF_8) : reply.status());
    }
    session.close();
    return out;
  }

  @Provide
  Arbitrary<List<String>> sessions() {
    String plain = Base64.getEncoder().encodeToString(("\0" + USER + "\0secret").getBytes(StandardCharsets.UTF_8));
    Arbitrary<String> fixed = Arbitraries.of("USER " + USER, "PASS secret", "PASS wrong", "AUTH PLAIN", "AUTH PLAIN " + plain,
        plain, "*", "=", "AUTH", "CAPA", "STLS", "STAT", "LIST", "UIDL", "RSET", "NOOP", "QUIT", "APOP a b", "", " ");
    Arbitrary<String> numbered = Combinators.combine(
            Arbitraries.of("LIST", "RETR", "DELE", "UIDL", "TOP", "TOP 1", "RETR 1"),
            Arbitraries.oneOf(Arbitraries.integers().between(-1, 4).map(String::valueOf), Arbitraries.strings().ofMaxLength(6)))
        .as((verb, arg) -> verb + " " + arg);
    Arbitrary<String> noise = Arbitraries.strings().ofMaxLength(40);
    return Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(5, fixed), net.jqwik.api.Tuple.of(4, numbered), net.jqwik.api.Tuple.of(1, noise))
        .list().ofMaxSize(40);
  }
}
