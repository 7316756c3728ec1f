package dev.quill.mail.imap;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.auth.SaslCredentials;
import dev.quill.mail.imap.codec.ImapCommand;
import dev.quill.mail.imap.codec.ImapCommandParser;
import dev.quill.mail.imap.codec.ImapRequestReader;
import dev.quill.mail.imap.codec.ImapWriter;
import dev.quill.mail.imap.session.HeaderFieldsCache;
import dev.quill.mail.imap.session.ImapBackend;
import dev.quill.mail.imap.session.ImapSession;
import dev.quill.mail.imap.session.ImapSession.Outcome;
import dev.quill.mail.imap.session.RecentTracker;
import dev.quill.mail.net.Connection;
import dev.quill.mail.net.ConnectionHandler;
import dev.quill.mail.net.LineReader;
import dev.quill.store.MailStore;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves IMAP on one connection: assembles commands from lines and literals
 * ({@link ImapRequestReader}), parses them ({@link ImapCommandParser}), runs them in an
 * {@link ImapSession} and writes its responses. Meant for a {@link dev.quill.mail.net.ProtocolServer}
 * on port 143 (STARTTLS) or 993 (implicit TLS).
 *
 * <pre>{@code
 * var imap = new ImapService(ImapConfig.defaults("mx1.example.org"), store, tls, throttle, Clock.systemUTC());
 * new ProtocolServer(listenerConfig, tls, imap).start();
 * }</pre>
 *
 * <p>Output is collected per command and flushed only when no pipelined input is already
 * buffered (or the collected output is large). IDLE (RFC 2177) runs a pusher virtual thread that
 * waits for the store's change signal and writes EXISTS/EXPUNGE/FETCH at once, while this thread
 * waits for DONE.
 *
 * <p>Standards: RFC 9051 (IMAP4rev2) and RFC 3501 (IMAP4rev1) on one port; RFC 2177 IDLE, RFC
 * 4315 UIDPLUS, RFC 6851 MOVE, RFC 6154 SPECIAL-USE, RFC 2342 NAMESPACE, RFC 5161 ENABLE, RFC 7888
 * LITERAL+, RFC 4959 SASL-IR, RFC 2971 ID, RFC 3691 UNSELECT, RFC 3348 CHILDREN, RFC 4731
 * ESEARCH, RFC 7162 CONDSTORE/QRESYNC, RFC 9208 QUOTA, RFC 8438 STATUS=SIZE, RFC 5258 LIST-EXTENDED,
 * RFC 5819 LIST-STATUS, RFC 6855 UTF8=ACCEPT, RFC 8314 implicit TLS. See docs/IMAP.md.
 *
 * <p>Security: command text is bounded ({@link ImapConfig#commandLineLimit()}), APPEND literals
 * by {@link ImapConfig#maxLiteralSize()} and refused before they are read (synchronizing) or
 * discarded while streaming (non-synchronizing); input buffered before STARTTLS completes is
 * discarded, never read as TLS-protected (CVE-2011-0411 style injection); plaintext logins are
 * refused without TLS except on loopback when allowed; failed logins go through
 * {@link LoginThrottle}; a session that makes too many protocol errors is ended with BYE.
 */
public final class ImapService implements ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(ImapService.class);

  /** The longest AUTHENTICATE continuation line: a base64 PLAIN message. */
  private static final int SASL_LINE_LIMIT = 4 * ((SaslCredentials.MAX_PLAIN_OCTETS + 2) / 3) + 4;

  private final ImapConfig config;
  private final ImapBackend backend;
  private final SSLContext tls;
  private final LoginThrottle throttle;
  private final Clock clock;
  private final RecentTracker recent = new RecentTracker();
  private final HeaderFieldsCache headers;

  /**
   * @param config the service's tunables
   * @param store the node's mail store
   * @param tls the context for STARTTLS, or null to offer none
   * @param throttle the node's failed-login throttle
   * @param clock time source (internal dates of APPEND without a date)
   */
  public ImapService(ImapConfig config, MailStore store, SSLContext tls, LoginThrottle throttle, Clock clock) {
    this(config, new StoreImapBackend(store), tls, throttle, clock);
  }

  /** A service over any storage port (tests). */
  ImapService(ImapConfig config, ImapBackend backend, SSLContext tls, LoginThrottle throttle, Clock clock) {
    this.config = config;
    this.backend = backend;
    this.tls = tls;
    this.throttle = throttle;
    this.clock = clock;
    this.headers = new HeaderFieldsCache(config.headerCacheBytes());
  }

  @Override
  public void handle(Connection c) throws IOException {
    ImapSession session = new ImapSession(backend, recent, headers, throttle,
        new ImapSession.Settings(config.hostname(), config.maxErrors(), config.allowPlaintextAuthOnLoopback(), clock),
        new ImapSession.Peer(c.id(), c.remoteAddress(), tls != null, c.isTls()));
    ImapWriter out = new ImapWriter();
    out.drainTo(c::writeRaw);
    ImapRequestReader requests = new ImapRequestReader(c.reader(), config.commandLineLimit(), config.maxLiteralSize());
    String last = "CONNECT";
    try {
      c.setReadTimeout(config.idleTimeout());
      session.greeting(out);
      flush(c, out);
      while (true) {
        if (!c.awaitCommand(() -> {
          session.shutdown(out);
          flush(c, out);
        })) {
          log.debug("session={} event=shutdown-bye after={} user={}", c.id(), last, session.user());
          return;
        }
        ImapRequestReader.Request request;
        try {
          request = requests.next(() -> {
            flush(c, out);
            c.send("+ Ready for literal data");
          });
        } catch (IOException e) {
          if (c.commandArrived()) {
            throw e;
          }
          log.debug("session={} event=shutdown-bye after={} user={}", c.id(), last, session.user());
          return; // the stopping server said BYE and closed the connection
        }
        if (!c.commandArrived()) {
          return;
        }
        if (request == null) {
          log.debug("session={} event=disconnected after={} user={}", c.id(), last, session.user());
          return;
        }
        // A command that started arriving before the server began stopping is carried out; the BYE follows it.
        Outcome outcome = switch (request) {
          case ImapRequestReader.Command command -> {
            ImapCommand parsed = ImapCommandParser.parse(command.bytes());
            last = parsed.verb();
            yield session.handle(parsed, out);
          }
          case ImapRequestReader.LineTooLong t -> session.rejected(t.tag(), "BAD Command line too long", out);
          case ImapRequestReader.LiteralTooBig b -> session.rejected(b.tag(),
              b.append() ? "NO [TOOBIG] Message too large" : "BAD [TOOBIG] Literal too large", out);
        };
        if (outcome == Outcome.SASL) {
          flush(c, out);
          LineReader.Line line = c.reader().readLine(SASL_LINE_LIMIT);
          if (line == null) {
            return;
          }
          outcome = session.saslResponse(line.tooLong() ? null : line.text(), out);
        }
        switch (outcome) {
          case CLOSE -> {
            flush(c, out);
            return;
          }
          case START_TLS -> {
            flush(c, out);
            int dropped = c.reader().discardBuffered();
            if (dropped > 0) {
              log.info("session={} event=starttls-discarded-input octets={} from={}", c.id(), dropped,
                  c.remoteAddress().getHostAddress());
            }
            c.startTls(tls);
            session.tlsStarted();
          }
          case IDLE -> {
            if (idle(c, session, out) == Outcome.CLOSE) {
              flush(c, out);
              return;
            }
            flush(c, out);
          }
          case CONTINUE, SASL -> {
            if (c.reader().buffered() == 0 || out.size() >= ImapWriter.DRAIN_AT) {
              flush(c, out);
            }
          }
        }
      }
    } catch (SocketTimeoutException e) {
      log.info("session={} event=idle-timeout after={} user={}", c.id(), last, session.user());
      session.autologout(out);
      flush(c, out);
    } finally {
      session.close();
    }
  }

  /** IDLE: a pusher thread reports changes as they happen until the client sends DONE. */
  private Outcome idle(Connection c, ImapSession session, ImapWriter out) throws IOException {
    Object lock = new Object();
    flush(c, out);
    Semaphore signal = new Semaphore(0);
    AtomicBoolean done = new AtomicBoolean();
    AtomicBoolean stopped = new AtomicBoolean();
    session.onChange(signal::release);
    Thread pusher = Thread.ofVirtual().name("imap-idle-" + c.id()).start(() -> {
      try {
        while (!done.get()) {
          boolean signalled = signal.tryAcquire(1, TimeUnit.SECONDS);
          if (done.get()) {
            return;
          }
          if (c.serverStopping()) {
            synchronized (lock) {
              stopped.set(true);
              session.shutdown(out);
              flush(c, out);
            }
            c.close(); // unblocks the reading thread
            return;
          }
          if (signalled || session.changesPending()) {
            synchronized (lock) {
              session.idleSync(out);
              flush(c, out);
            }
            if (session.ended()) {
              stopped.set(true);
              c.close(); // it said BYE: unblocks the reading thread
              return;
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (IOException | RuntimeException e) {
        log.debug("session={} event=idle-push-failed error={}", c.id(), e.toString());
      }
    });
    LineReader.Line line;
    try {
      line = c.reader().readLine(config.commandLineLimit());
    } catch (SocketTimeoutException e) {
      throw e;
    } catch (IOException e) {
      if (stopped.get()) {
        return Outcome.CLOSE;
      }
      throw e;
    } finally {
      done.set(true);
      signal.release();
      try {
        pusher.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      session.onChange(() -> { });
    }
    if (line == null || stopped.get()) {
      return Outcome.CLOSE;
    }
    return session.idleDone(line.tooLong() ? null : line.text(), out);
  }

  private static void flush(Connection c, ImapWriter out) throws IOException {
    out.flushTo(c::writeRaw);
    c.flush();
  }
}
