package dev.quill.mail.smtp;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.net.Connection;
import dev.quill.mail.net.ConnectionHandler;
import dev.quill.mail.net.LineReader;
import dev.quill.mail.smtp.codec.LogText;
import dev.quill.mail.smtp.codec.SmtpCommand;
import dev.quill.mail.smtp.codec.SmtpCommandParser;
import dev.quill.mail.smtp.codec.SmtpDataReader;
import dev.quill.mail.smtp.codec.SmtpReplies;
import dev.quill.mail.smtp.codec.SmtpReply;
import dev.quill.mail.smtp.session.SmtpBackend;
import dev.quill.mail.smtp.session.SmtpSession;
import dev.quill.mail.smtp.session.Step;
import dev.quill.store.MailStore;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SMTP and submission over a {@link Connection}: the glue between the socket, the codec
 * ({@link SmtpCommandParser}, {@link SmtpDataReader}) and the state machine ({@link SmtpSession}).
 * It reads command lines, feeds the session, writes its replies, streams DATA and BDAT content,
 * performs STARTTLS, and applies the timeouts and the pregreet test. Wire it into a
 * {@code ProtocolServer}, giving {@link #busyReply()} as the listener's busy reply:
 *
 * <pre>{@code
 * var smtp = new SmtpService(SmtpConfig.defaults("mx.example.org"), store, tls, throttle, Clock.systemUTC());
 * var server = new ProtocolServer(new ListenerConfig("smtp", bind, 2525, false, 10_000, 50,
 *     smtp.busyReply(), Duration.ofSeconds(30)), tls, smtp);
 * }</pre>
 *
 * <p>Pipelining (RFC 2920): replies are written to the connection's buffer and flushed only when
 * no further input is buffered, or when the command must end a pipelining group; a client that
 * sends MAIL, RCPT and DATA in one packet gets the three replies in one packet.
 *
 * <p>Standards: RFC 5321, RFC 6409, RFC 2920, RFC 3207, RFC 3030, RFC 4954 (see {@link
 * SmtpSession} for the full list).
 *
 * <p>Security: every read is bounded (command lines by {@link SmtpCommandParser#readLimit()}, DATA
 * by the line and size limits, BDAT chunks by the maximum message size) and timed out. At STARTTLS
 * the plaintext input that is still buffered is discarded, so that commands injected before the
 * handshake are never executed as if they came over TLS (CVE-2011-0411). A client that talks before
 * the greeting is dropped. Client text in logs is escaped and capped. Thread-safe: one instance
 * serves every connection of a listener, and each connection gets its own session.
 */
public final class SmtpService implements ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(SmtpService.class);

  private final SmtpConfig config;
  private final SmtpBackend backend;
  private final SSLContext tls;
  private final LoginThrottle throttle;
  private final Clock clock;
  private final SmtpCommandParser parser;

  /**
   * @param config the listener's settings
   * @param store where mail is delivered and users are looked up
   * @param tls the context for STARTTLS, or null to not offer STARTTLS
   * @param throttle slows password guessing on submission; null disables (tests only)
   * @param clock the time for Received headers and message dates
   */
  public SmtpService(SmtpConfig config, MailStore store, SSLContext tls, LoginThrottle throttle, Clock clock) {
    this(config, new StoreBackend(Objects.requireNonNull(store, "store")), tls, throttle, clock);
  }

  /** A service over any backend; for tests of the transport with a fake store. */
  SmtpService(SmtpConfig config, SmtpBackend backend, SSLContext tls, LoginThrottle throttle, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.backend = backend;
    this.tls = tls;
    this.throttle = throttle;
    this.clock = Objects.requireNonNull(clock, "clock");
    this.parser = new SmtpCommandParser(config.commandLineLimit());
  }

  /** The line to send when the listener refuses a connection for being busy ({@code ListenerConfig.busyReply}). */
  public String busyReply() {
    return SmtpReplies.tooManyConnections(config.hostname()).lines().getFirst();
  }

  /** The settings this service runs with. */
  public SmtpConfig config() {
    return config;
  }

  @Override
  public void handle(Connection connection) throws IOException {
    var peer = new SmtpSession.Peer(connection.id(), connection.remoteAddress(),
        connection.isTls() ? connection.tlsDescription() : null);
    new Dialogue(connection, new SmtpSession(config, backend, throttle, clock, peer, tls != null)).run();
  }

  /** One connection's read-dispatch-write loop. */
  private final class Dialogue {
    private final Connection c;
    private final LineReader in;
    private final SmtpSession session;
    private final String peer;
    private String last = "CONNECT";
    private Duration timeout;

    Dialogue(Connection c, SmtpSession session) {
      this.c = c;
      this.in = c.reader();
      this.session = session;
      this.peer = "[" + c.remoteAddress().getHostAddress() + "]";
    }

    void run() throws IOException {
      try {
        if (pregreet() || !perform(session.greeting())) {
          return;
        }
        while (true) {
          readTimeout(config.commandTimeout());
          if (!c.awaitCommand(() -> {
            write(List.of(SmtpReplies.shuttingDown(config.hostname())));
            c.flush();
          })) {
            log.debug("{} closed for shutdown after {} from {}", c.id(), last, peer);
            return;
          }
          LineReader.Line line;
          try {
            line = in.readLine(parser.readLimit());
          } catch (IOException e) {
            if (c.commandArrived()) {
              throw e;
            }
            log.debug("{} closed for shutdown after {} from {}", c.id(), last, peer);
            return; // the stopping server said 421 and closed the connection
          }
          if (!c.commandArrived()) {
            return;
          }
          if (line == null) {
            log.info("{} lost connection after {} from {}", c.id(), last, peer);
            return;
          }
          // A command that started arriving before the server began stopping is carried out; 421 follows it.
          SmtpCommand command = parser.parse(line);
          if (command instanceof SmtpCommand.NonSmtp n) {
            log.info("{} non-SMTP command after {} from {}: {}", c.id(), last, peer, LogText.escape(n.line()));
          }
          if (!command.verb().isEmpty()) {
            last = command.verb();
          }
          if (!perform(session.handle(command))) {
            return;
          }
        }
      } catch (SocketTimeoutException e) {
        log.info("{} timeout after {} from {}", c.id(), last, peer);
        try {
          write(List.of(SmtpReplies.timeout(config.hostname())));
          c.flush();
        } catch (IOException ignored) {
          // the client is gone as well
        }
      } catch (SSLException e) {
        log.info("{} TLS failed after {} from {}: {}", c.id(), last, peer, LogText.escape(e.getMessage()));
      } catch (IOException e) {
        log.info("{} lost connection after {} from {}: {}", c.id(), last, peer, LogText.escape(e.toString()));
      } catch (RuntimeException e) {
        log.warn("{} internal error after {} from {}", c.id(), last, peer, e);
        try {
          write(List.of(SmtpReplies.internalError(config.hostname())));
          c.flush();
        } catch (IOException ignored) {
          // the session ends either way
        }
      }
    }

    /** Carries out steps until one asks for the next command line; false when the session ends. */
    private boolean perform(Step step) throws IOException {
      while (true) {
        write(step.replies());
        switch (step.action()) {
          case CONTINUE -> {
            if (step.flush() || in.buffered() == 0) {
              c.flush();
            }
            return true;
          }
          case CLOSE -> {
            c.flush();
            if (step.replies().isEmpty()) {
              log.info("{} lost connection after {} from {}", c.id(), last, peer);
            } else if (step.replies().getLast().isError()) {
              log.info("{} disconnected ({}) after {} from {}", c.id(), step.replies().getLast(), last, peer);
            }
            return false;
          }
          case START_TLS -> {
            int dropped = in.discardBuffered();
            if (dropped > 0) {
              log.info("{} discarded {} octets pipelined after STARTTLS from {}", c.id(), dropped, peer);
            }
            c.startTls(tls);
            session.tlsStarted(c.tlsDescription());
            timeout = null;
            return true;
          }
          case READ_DATA -> {
            c.flush();
            readTimeout(config.dataBlockTimeout());
            var result = SmtpDataReader.read(in, session.messageBuffer(), config.textLineLimit(),
                config.maxMessageSize());
            step = session.dataRead(result);
          }
          case READ_CHUNK -> {
            if (in.buffered() == 0) {
              c.flush();
            }
            readTimeout(config.dataBlockTimeout());
            boolean complete = in.readExactly(session.pendingChunkSize(), session.chunkSink());
            step = session.chunkRead(complete);
          }
          case READ_AUTH_RESPONSE -> {
            c.flush();
            readTimeout(config.commandTimeout());
            LineReader.Line line = in.readLine(SmtpCommandParser.MAX_AUTH_LINE - 2);
            if (line == null) {
              log.info("{} lost connection after AUTH from {}", c.id(), peer);
              return false;
            }
            step = session.authResponse(line.tooLong() || line.bareLf() ? null : line.text());
          }
        }
      }
    }

    /** Postfix postscreen's pregreet test: a client that talks before the greeting is a bot. */
    private boolean pregreet() throws IOException {
      Duration wait = config.pregreetWait();
      if (wait.isZero() || c.isTls()) {
        return false; // XXX on implicit TLS the handshake already proved a real client, and reads may not resume after a timeout
      }
      c.setReadTimeout(wait);
      timeout = null;
      try {
        if (!in.awaitInput()) {
          log.debug("{} disconnected before the greeting from {}", c.id(), peer);
          return true;
        }
      } catch (SocketTimeoutException quiet) {
        return false; // the client waited, as it should
      }
      log.info("{} pregreet: {} octets before the greeting from {}", c.id(), in.buffered(), peer);
      write(List.of(SmtpReplies.PREGREET));
      c.flush();
      return true;
    }

    private void write(List<SmtpReply> replies) throws IOException {
      for (SmtpReply reply : replies) {
        for (String line : reply.lines()) {
          c.write(line);
        }
      }
    }

    private void readTimeout(Duration d) throws IOException {
      if (!d.equals(timeout)) {
        c.setReadTimeout(d);
        timeout = d;
      }
    }
  }
}
