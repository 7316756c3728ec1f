package dev.quill.mail.imap.session;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.imap.codec.ImapCommandParser;
import dev.quill.mail.imap.codec.ImapWriter;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;

/** Drives an {@link ImapSession} with command lines, as the service would, and returns its output as text. */
final class SessionDriver {
  final ImapSession session;
  final ImapWriter out = new ImapWriter();
  ImapSession.Outcome last;

  SessionDriver(ImapBackend backend, RecentTracker recent, InetAddress address, boolean tlsActive, int maxErrors) {
    this(backend, recent, new HeaderFieldsCache(1 << 20), address, tlsActive, maxErrors);
  }

  SessionDriver(ImapBackend backend, RecentTracker recent, HeaderFieldsCache headers, InetAddress address,
      boolean tlsActive, int maxErrors) {
    LoginThrottle throttle = new LoginThrottle(new LoginThrottle.Limits(Duration.ZERO, 1000, 1000, Duration.ofMinutes(15)),
        Clock.systemUTC());
    session = new ImapSession(backend, recent, headers, throttle, new ImapSession.Settings("imap.example.org", maxErrors, true, Clock.systemUTC()),
        new ImapSession.Peer("t1", address, true, tlsActive));
  }

  SessionDriver(ImapBackend backend, RecentTracker recent) {
    this(backend, recent, InetAddress.getLoopbackAddress(), false, 20);
  }

  /** Sends one command (CRLF-free text, literals inline in wire form) and returns everything written. */
  String send(String command) {
    last = session.handle(ImapCommandParser.parse(command.getBytes(StandardCharsets.UTF_8)), out);
    return out.takeText();
  }

  String greeting() {
    session.greeting(out);
    return out.takeText();
  }

  SessionDriver login() {
    send("l LOGIN alice@example.org secret");
    return this;
  }
}
