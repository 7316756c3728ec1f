package dev.quill.mail.smtp.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.smtp.SmtpConfig;
import dev.quill.mail.smtp.codec.SmtpCommandParser;
import dev.quill.mail.smtp.codec.SmtpDataReader;
import dev.quill.mail.smtp.codec.SmtpReply;
import dev.quill.mail.smtp.session.Step.Action;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Whatever a client sends, every input gets well-formed replies and no exception escapes the session. */
class SmtpSessionProperties {
  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-03-01T10:00:00Z"), ZoneOffset.UTC);
  private final SmtpCommandParser parser = new SmtpCommandParser(512);

  @Property(tries = 300)
  void anyLines_everyInputGetsWellFormedReplies(@ForAll("sessions") List<String> lines, @ForAll boolean submission,
      @ForAll("outcomes") SmtpDataReader.Outcome dataOutcome) {
    var backend = new FakeBackend().user("alice@local.example", "secret");
    SmtpConfig config = submission ? SmtpConfig.submissionDefaults("mx.test") : SmtpConfig.defaults("mx.test");
    var throttle = new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 5, 5, Duration.ofMinutes(1)), CLOCK);
    var session = new SmtpSession(config.withMaxMessageSize(4096), backend, throttle, CLOCK,
        new SmtpSession.Peer("p-1", InetAddress.getLoopbackAddress(), null), true);
    assertWellFormed(session.greeting());
    Step step = null;
    for (String line : lines) {
      if (step != null && step.action() == Action.READ_AUTH_RESPONSE) {
        step = session.authResponse(line);
      } else {
        step = session.handle(parser.parse(line.getBytes(StandardCharsets.UTF_8)));
      }
      step = follow(session, step, dataOutcome);
      assertWellFormed(step);
      if (step.action() == Action.CLOSE) {
        return;
      }
      if (step.action() == Action.START_TLS) {
        session.tlsStarted("TLSv1.3");
      }
    }
  }

  /** Plays the transport's part for DATA and BDAT, as the real one does after such steps. */
  private static Step follow(SmtpSession session, Step step, SmtpDataReader.Outcome dataOutcome) {
    while (true) {
      switch (step.action()) {
        case READ_DATA -> {
          assertWellFormed(step);
          session.messageBuffer().writeText("Subject: x\r\n\r\nbody\r\n");
          step = session.dataRead(new SmtpDataReader.Result(dataOutcome, 21));
        }
        case READ_CHUNK -> {
          assertThat(step.replies()).isEmpty();
          assertThat(session.pendingChunkSize()).isBetween(0L, 4096L);
          if (session.chunkSink() != null) {
            session.chunkSink().write(new byte[(int) session.pendingChunkSize()], 0, (int) session.pendingChunkSize());
          }
          step = session.chunkRead(true);
          if (step.replies().isEmpty()) {
            return step;
          }
        }
        default -> {
          return step;
        }
      }
    }
  }

  private static void assertWellFormed(Step step) {
    if (step.action() != Action.CLOSE && step.action() != Action.READ_CHUNK) {
      assertThat(step.replies()).isNotEmpty();
    }
    for (SmtpReply reply : step.replies()) {
      List<String> wire = reply.lines();
      for (int i = 0; i < wire.size(); i++) {
        String line = wire.get(i);
        assertThat(line).matches("[2-5][0-9][0-9][- ].*");
        assertThat(line.charAt(3)).isEqualTo(i == wire.size() - 1 ? ' ' : '-');
        assertThat(line).doesNotContain("\r", "\n");
      }
    }
  }

  @Provide
  Arbitrary<SmtpDataReader.Outcome> outcomes() {
    return Arbitraries.of(SmtpDataReader.Outcome.COMPLETE, SmtpDataReader.Outcome.TOO_BIG,
        SmtpDataReader.Outcome.LINE_TOO_LONG, SmtpDataReader.Outcome.BARE_LINE_END);
  }

  @Provide
  Arbitrary<List<String>> sessions() {
    String plain = Base64.getEncoder().encodeToString("\0alice@local.example\0secret".getBytes(StandardCharsets.UTF_8));
    Arbitrary<String> commands = Arbitraries.of(
        "EHLO c.example", "HELO c", "MAIL FROM:<a@b.example>", "MAIL FROM:<> SIZE=100 BODY=8BITMIME",
        "MAIL FROM:<jürgen@b.example> SMTPUTF8", "RCPT TO:<alice@local.example>", "RCPT TO:<x@elsewhere.example>",
        "RCPT TO:<nobody@local.example>", "RCPT TO:<Postmaster>", "DATA", "BDAT 10", "BDAT 0 LAST", "BDAT 5000",
        "BDAT 20 LAST", "RSET", "NOOP", "QUIT", "HELP", "VRFY x", "EXPN x", "STARTTLS", "AUTH PLAIN",
        "AUTH PLAIN " + plain, "AUTH LOGIN", "AUTH CRAM-MD5", "*", "=", "GET / HTTP/1.1", "BDAT x", "");
    Arbitrary<String> random = Arbitraries.strings().ofMaxLength(600);
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, commands),
        net.jqwik.api.Tuple.of(1, random)).list().ofMaxSize(40);
  }
}
