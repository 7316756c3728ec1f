package dev.quill.mail.pop3;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.auth.SaslCredentials;
import dev.quill.mail.net.Connection;
import dev.quill.mail.net.ConnectionHandler;
import dev.quill.mail.net.LineReader;
import dev.quill.mail.pop3.codec.MultiLineEncoder;
import dev.quill.mail.pop3.codec.Pop3Command;
import dev.quill.mail.pop3.codec.Pop3CommandParser;
import dev.quill.mail.pop3.session.Pop3Reply;
import dev.quill.mail.pop3.session.Pop3Session;
import dev.quill.store.MailStore;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves POP3 on one connection: reads bounded lines, parses them ({@link Pop3CommandParser}),
 * hands them to a {@link Pop3Session} and writes its replies, streaming messages byte-stuffed
 * ({@link MultiLineEncoder}). Meant for a {@link dev.quill.mail.net.ProtocolServer} on port 110
 * (Quill's default 2110), or 995 with implicit TLS.
 *
 * <pre>{@code
 * var pop3 = new Pop3Service(Pop3Config.defaults("mx1.example.org"), store, tls, throttle, new MaildropLocks());
 * new ProtocolServer(listenerConfig, tls, pop3).start();
 * }</pre>
 *
 * <p>Output: each reply is collected in a small per-session buffer and sent with one socket
 * write and one flush, and while more pipelined input is already buffered the replies keep
 * collecting (up to 64 KiB), so a 4 KB RETR costs one write instead of three, and a client that
 * pipelines RETR 1..n gets large writes. A message above 64 KiB is streamed from the store's
 * byte array to the socket buffer without that extra copy.
 *
 * <p>Standards: RFC 1939 (POP3), RFC 2449 (CAPA, PIPELINING, response codes), RFC 2595 (STLS),
 * RFC 3206 (response codes), RFC 5034 (AUTH), RFC 4616 (PLAIN), RFC 8314 (implicit TLS).
 *
 * <p>Security: command lines are bounded ({@link Pop3Config#commandLineLimit()}); longer ones are
 * skipped to their end and refused, keeping the session in sync. Bytes the client sent before
 * STLS completed are discarded, never read as TLS-protected commands (command injection,
 * CVE-2011-0411 style). A line ended by a bare LF is accepted as a command: unlike SMTP DATA,
 * POP3 commands are never relayed, so there is no smuggling risk, and some clients send LF.
 * An idle session is closed without a reply and without UPDATE (RFC 1939 section 3).
 */
public final class Pop3Service implements ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(Pop3Service.class);

  /** The longest SASL response line: a base64 PLAIN message of {@link SaslCredentials#MAX_PLAIN_OCTETS}. */
  private static final int SASL_LINE_LIMIT = 4 * ((SaslCredentials.MAX_PLAIN_OCTETS + 2) / 3) + 4;

  private final Pop3Config config;
  private final StoreMaildrops maildrops;
  private final SSLContext tls;
  private final LoginThrottle throttle;
  private final MaildropLocks locks;

  /**
   * @param config the service's tunables
   * @param store the node's mail store
   * @param tls the context for STLS, or null to offer no STLS
   * @param throttle the node's failed-login throttle (shared by all services that log users in)
   * @param locks the node's maildrop locks (shared by all POP3 listeners of the node)
   */
  public Pop3Service(Pop3Config config, MailStore store, SSLContext tls, LoginThrottle throttle, MaildropLocks locks) {
    this.config = config;
    this.maildrops = new StoreMaildrops(store);
    this.tls = tls;
    this.throttle = throttle;
    this.locks = locks;
  }

  @Override
  public void handle(Connection connection) throws IOException {
    Pop3Session session = new Pop3Session(config, maildrops, locks, throttle,
        new Pop3Session.Peer(connection.id(), connection.remoteAddress(), tls != null, connection.isTls()));
    ReplyBuffer out = new ReplyBuffer();
    String last = "CONNECT";
    try {
      connection.setReadTimeout(config.idleTimeout());
      connection.send(session.greeting());
      while (true) {
        boolean sasl = session.awaitingSaslResponse();
        LineReader.Line line = connection.reader().readLine(sasl ? Math.max(SASL_LINE_LIMIT, config.commandLineLimit())
            : config.commandLineLimit());
        if (line == null) {
          log.debug("session={} event=disconnected after={} from={}", connection.id(), last, peer(connection));
          return; // dropped without QUIT: no UPDATE, nothing deleted
        }
        Pop3Reply reply;
        if (connection.serverStopping()) {
          reply = session.shutdown();
        } else if (sasl) {
          last = "AUTH-RESPONSE";
          reply = session.saslResponse(line.tooLong() ? null : line.text());
        } else {
          Pop3Command command = line.tooLong()
              ? Pop3CommandParser.tooLong(line.length(), config.commandLineLimit())
              : Pop3CommandParser.parse(line.bytes());
          last = command.verb().isEmpty() ? "INVALID" : command.verb();
          reply = session.handle(command);
        }
        write(connection, out, reply);
        switch (reply.after()) {
          case CLOSE -> {
            out.drainTo(connection);
            connection.flush();
            return;
          }
          case START_TLS -> {
            out.drainTo(connection);
            int dropped = connection.reader().discardBuffered();
            if (dropped > 0) {
              log.info("session={} event=stls-discarded-input octets={} from={}", connection.id(), dropped, peer(connection));
            }
            connection.startTls(tls); // flushes the +OK first
            session.tlsStarted();
          }
          case CONTINUE -> {
            // while more pipelined commands are already buffered, keep collecting their replies
            if (connection.reader().buffered() == 0 || out.full()) {
              out.drainTo(connection);
              connection.flush();
            }
          }
        }
      }
    } catch (SocketTimeoutException e) {
      // RFC 1939 section 3: the autologout timer closes the connection without a reply or UPDATE.
      log.info("session={} event=idle-timeout after={} user={} from={}", connection.id(), last, session.user(), peer(connection));
    } finally {
      session.close();
    }
  }

  private static void write(Connection connection, ReplyBuffer out, Pop3Reply reply) throws IOException {
    out.line(reply.status());
    switch (reply) {
      case Pop3Reply.Line line -> { }
      case Pop3Reply.Listing listing -> {
        for (String l : listing.lines()) {
          MultiLineEncoder.writeLine(l, out);
        }
        MultiLineEncoder.writeEnd(out);
      }
      case Pop3Reply.Message message -> {
        if (message.content().length > ReplyBuffer.MAX_STAGED) {
          out.drainTo(connection); // large message: stream it straight to the socket buffer
          MultiLineEncoder.writeMessage(message.content(), message.bodyLines(), connection::writeRaw);
        } else {
          MultiLineEncoder.writeMessage(message.content(), message.bodyLines(), out);
        }
      }
    }
  }

  /**
   * Collects replies so that a typical response (status line, a 4 KB message, terminator) goes
   * to the socket in one write instead of one per piece, and pipelined replies share writes.
   * It holds at most {@link #MAX_STAGED} octets plus one reply; a larger message bypasses it.
   */
  private static final class ReplyBuffer implements MultiLineEncoder.ByteSink {
    static final int MAX_STAGED = 64 * 1024;
    private static final int INITIAL = 512;
    private byte[] buf = new byte[INITIAL];
    private int len;

    void line(String text) {
      byte[] b = text.getBytes(StandardCharsets.UTF_8);
      write(b, 0, b.length);
      write(CRLF, 0, 2);
    }

    @Override
    public void write(byte[] b, int off, int n) {
      if (len + n > buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
      }
      System.arraycopy(b, off, buf, len, n);
      len += n;
    }

    boolean full() {
      return len >= MAX_STAGED;
    }

    void drainTo(Connection connection) throws IOException {
      if (len > 0) {
        connection.writeRaw(buf, 0, len);
        len = 0;
      }
      if (buf.length > 4 * INITIAL * 8) {
        buf = new byte[INITIAL]; // idle sessions keep a small buffer
      }
    }
  }

  private static final byte[] CRLF = {'\r', '\n'};

  private static String peer(Connection connection) {
    return connection.remoteAddress().getHostAddress();
  }

}
