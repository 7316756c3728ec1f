package dev.quill.mail.smtp.session;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.auth.SaslCredentials;
import dev.quill.mail.smtp.SmtpConfig;
import dev.quill.mail.smtp.codec.LogText;
import dev.quill.mail.smtp.codec.Mailbox;
import dev.quill.mail.smtp.codec.MessageBuffer;
import dev.quill.mail.smtp.codec.SmtpCommand;
import dev.quill.mail.smtp.codec.SmtpDataReader;
import dev.quill.mail.smtp.codec.SmtpReplies;
import dev.quill.mail.smtp.codec.SmtpReply;
import dev.quill.mail.smtp.session.CommandTable.State;
import dev.quill.mail.smtp.session.CommandTable.Verb;
import dev.quill.mail.smtp.session.Step.Action;
import dev.quill.store.Addresses;
import dev.quill.store.DeliveryResult;
import dev.quill.store.StorageUnavailableException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SMTP server dialogue as a state machine over {@link SmtpCommand} records: one command in,
 * a {@link Step} out (replies plus what the transport does next). It never touches a socket; it
 * reaches storage only through {@link SmtpBackend}, so it runs in unit tests with a fake.
 *
 * <p>Every command passes the same checks, in this order, before its handler runs (as Postfix's
 * {@code smtpd_proto} loop does): error limit, unparseable line, non-SMTP line, unknown verb,
 * STARTTLS required, state (from {@link CommandTable}), junk-command limit. Session data has two
 * scopes: the connection (HELO name, TLS, authenticated user, counters) and the mail transaction
 * (sender, recipients, message), and RSET, EHLO, the end of a message and any failed message clear
 * only the transaction. STARTTLS clears both, as RFC 3207 §4.2 requires.
 *
 * <p>Recipients: a local user or alias is accepted; an unknown user in a local domain gets 550
 * 5.1.1; any other domain gets 550 5.7.1 when the session is not authenticated (no open relay),
 * and 450 4.4.0 when it is (outbound delivery does not exist yet). Quota is checked at RCPT (552
 * 5.2.2 when the mailbox is full, or would be with the SIZE= the client declared), and again by
 * the store at the end of data. If the store refuses every copy the message gets 552 5.2.2 (or 550
 * 5.1.1 for users deleted meanwhile); if it stores some copies the reply is 250, since SMTP has one
 * reply per message, and the refused copies are logged (XXX: they should bounce once outbound
 * delivery exists). 250 is sent only after the store reports the message durable.
 *
 * <p>Storage: while the store's disk is below its free-space reserve, MAIL and RCPT get 452 4.3.1
 * (as Postfix's queue_minfree check does), so no client sends a message that cannot be kept; a
 * delivery the store still refuses for lack of space gets 452 4.3.1 after the data, and one refused
 * for an I/O error 451 4.3.0. Both are temporary: the client keeps the message and retries, and the
 * session goes on. These refusals are logged at DEBUG only: the store logs the disk's state once.
 *
 * <p>Standards: RFC 5321 (SMTP), RFC 6409 (submission: AUTH before MAIL), RFC 2920 (PIPELINING),
 * RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 2034 and RFC 3463 (enhanced status codes), RFC 6531
 * (SMTPUTF8), RFC 3207 (STARTTLS), RFC 3030 (CHUNKING), RFC 4954 (AUTH), RFC 4616 (PLAIN), RFC
 * 3848 (Received "with" keywords).
 *
 * <p>Security: never relays for unauthenticated clients; AUTH is offered only on submission and
 * only over TLS or, if configured, from loopback; failed logins go through {@link LoginThrottle};
 * error and junk-command counters end abusive sessions; all work per input is bounded. Not
 * thread-safe: one session per connection thread.
 */
public final class SmtpSession {
  private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);
  private static final DateTimeFormatter DATE =
      DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);
  private static final SmtpReply LOGIN_USERNAME = SmtpReply.plain(334, "VXNlcm5hbWU6");
  private static final SmtpReply LOGIN_PASSWORD = SmtpReply.plain(334, "UGFzc3dvcmQ6");
  private static final SmtpReply EMPTY_CHALLENGE = SmtpReply.plain(334, "");
  private static final int INITIAL_BUFFER = 16 * 1024;
  private static final int MAX_INITIAL_BUFFER = 1024 * 1024;

  /**
   * The client side of a connection.
   *
   * @param sessionId the connection's id, for logs and message ids
   * @param address the client's IP address
   * @param tlsDescription the TLS protocol and cipher when the connection started with TLS, else null
   */
  public record Peer(String sessionId, InetAddress address, String tlsDescription) {}

  /** The data of one mail transaction (MAIL to end of message, or RSET). */
  private static final class Transaction {
    final Mailbox sender;
    final boolean smtpUtf8;
    final long declaredSize;
    final LinkedHashSet<String> users = new LinkedHashSet<>();
    String firstRecipient;
    int recipients;
    MessageBuffer buffer;
    int headerLength;
    boolean chunking;
    long chunkedSize;
    String id;

    Transaction(Mailbox sender, boolean smtpUtf8, long declaredSize) {
      this.sender = sender;
      this.smtpUtf8 = smtpUtf8;
      this.declaredSize = declaredSize;
    }
  }

  /** An AUTH exchange in progress. */
  private record AuthExchange(String mechanism, String username) {}

  private final SmtpConfig config;
  private final SmtpBackend backend;
  private final LoginThrottle throttle;
  private final Clock clock;
  private final Peer peer;
  private final boolean tlsAvailable;
  private final String host;

  // ---- connection scope ----
  private State state = State.CONNECTED;
  private String helo;
  private boolean esmtp;
  private String tlsDescription;
  private String authenticatedUser;
  private int errors;
  private int junk;
  private long messages;
  private AuthExchange auth;

  // ---- transaction scope ----
  private Transaction tx;

  // ---- BDAT chunk in flight ----
  private long pendingChunk;
  private boolean pendingLast;
  private MessageBuffer chunkSink;
  private SmtpReply chunkRefusal;

  /**
   * @param throttle slows password guessing; null disables it (tests)
   * @param tlsAvailable whether STARTTLS can be offered (the server has a TLS context)
   */
  public SmtpSession(SmtpConfig config, SmtpBackend backend, LoginThrottle throttle, Clock clock, Peer peer,
      boolean tlsAvailable) {
    this.config = config;
    this.backend = backend;
    this.throttle = throttle;
    this.clock = clock;
    this.peer = peer;
    this.tlsAvailable = tlsAvailable;
    this.host = config.hostname();
    this.tlsDescription = peer.tlsDescription();
  }

  // ==== inputs ==================================================================================

  /** The 220 greeting that opens the session. */
  public Step greeting() {
    return new Step(List.of(SmtpReplies.greeting(host, config.banner())), Action.CONTINUE, true);
  }

  /** Handles one command line. */
  public Step handle(SmtpCommand command) {
    if (errors >= config.maxErrors()) {
      return Step.close(SmtpReplies.tooManyErrors(host));
    }
    Verb verb = CommandTable.verbOf(command);
    if (verb == null) {
      return switch (command) {
        case SmtpCommand.Invalid i when i.verb().equals("BDAT") -> Step.close(i.reply()); // chunk boundary unknown
        case SmtpCommand.Invalid i -> error(i.reply());
        case SmtpCommand.NonSmtp n -> Step.close(SmtpReplies.NON_SMTP_COMMAND);
        default -> junk() ? tooMuchJunk() : error(SmtpReplies.COMMAND_UNRECOGNIZED);
      };
    }
    SmtpReply refusal = null;
    if (config.requireTls() && tlsDescription == null && !verb.beforeTls) {
      refusal = SmtpReplies.STARTTLS_REQUIRED;
    } else if (!verb.allowed.contains(state)) {
      refusal = verb.refusal(state);
    }
    if (command instanceof SmtpCommand.Bdat b) {
      return bdat(b, refusal); // the chunk is read even when refused, to stay in sync
    }
    if (refusal != null) {
      return error(refusal).flushed(verb.endsGroup);
    }
    if (verb.junk && junk()) {
      return tooMuchJunk();
    }
    Step step = switch (command) {
      case SmtpCommand.Ehlo e -> ehlo(e.domain());
      case SmtpCommand.Helo h -> helo(h.domain());
      case SmtpCommand.Mail m -> respond(mail(m));
      case SmtpCommand.Rcpt r -> respond(rcpt(r));
      case SmtpCommand.Data d -> data();
      case SmtpCommand.Rset r -> {
        resetTransaction();
        yield Step.reply(SmtpReplies.OK);
      }
      case SmtpCommand.Noop n -> Step.reply(SmtpReplies.OK);
      case SmtpCommand.Quit q -> Step.close(SmtpReplies.BYE);
      case SmtpCommand.Help h -> Step.reply(SmtpReplies.HELP);
      case SmtpCommand.Vrfy v -> Step.reply(SmtpReplies.CANNOT_VRFY);
      case SmtpCommand.Expn e -> error(SmtpReplies.COMMAND_NOT_IMPLEMENTED);
      case SmtpCommand.StartTls s -> startTls();
      case SmtpCommand.Auth a -> auth(a);
      default -> throw new AssertionError("unhandled command " + command); // verbOf covers the rest
    };
    return verb.endsGroup && !step.flush() ? step.flushed(true) : step;
  }

  /** The TLS handshake after STARTTLS succeeded: everything is forgotten, EHLO must come again. */
  public void tlsStarted(String description) {
    tlsDescription = description == null ? "TLS" : description;
    state = State.CONNECTED;
    helo = null;
    esmtp = false;
    authenticatedUser = null;
    auth = null;
    tx = null;
  }

  /** Where DATA content goes, after a READ_DATA step. */
  public MessageBuffer messageBuffer() {
    return tx.buffer;
  }

  /** The end of DATA content: delivers a complete message, rejects a broken one. */
  public Step dataRead(SmtpDataReader.Result result) {
    if (result.outcome() == SmtpDataReader.Outcome.EOF) {
      resetTransaction();
      return new Step(List.of(), Action.CLOSE, true);
    }
    if (result.outcome() != SmtpDataReader.Outcome.COMPLETE) {
      log.debug("session={} id={} message rejected reason={} size={}", peer.sessionId(), tx.id, result.outcome(),
          result.size());
      resetTransaction();
      return error(result.outcome().reply()).flushed(true);
    }
    return finishMessage(result.size());
  }

  /** Octets of the BDAT chunk to read, after a READ_CHUNK step. */
  public long pendingChunkSize() {
    return pendingChunk;
  }

  /** Where the BDAT chunk goes, or null to read and discard it. */
  public MessageBuffer chunkSink() {
    return chunkSink;
  }

  /**
   * The BDAT chunk has been read.
   *
   * @param complete false when the connection ended inside the chunk
   */
  public Step chunkRead(boolean complete) {
    long size = pendingChunk;
    SmtpReply refusal = chunkRefusal;
    pendingChunk = 0;
    chunkSink = null;
    chunkRefusal = null;
    if (!complete) {
      resetTransaction();
      return new Step(List.of(), Action.CLOSE, true);
    }
    if (refusal != null) {
      if (tx != null && tx.chunking) {
        resetTransaction(); // RFC 3030 §2: a failed chunk fails the whole message
      }
      return error(refusal);
    }
    tx.chunkedSize += size;
    if (!pendingLast) {
      return Step.reply(SmtpReplies.CHUNK_OK.withText(size + " octets received"));
    }
    SmtpDataReader.Outcome check = SmtpDataReader.checkLines(tx.buffer.array(), tx.headerLength, tx.buffer.length(),
        config.textLineLimit());
    if (check != SmtpDataReader.Outcome.COMPLETE) {
      resetTransaction();
      return error(check.reply()).flushed(true);
    }
    return finishMessage(tx.chunkedSize);
  }

  /**
   * One line of SASL response, after a READ_AUTH_RESPONSE step.
   *
   * @param line the line, or null when it was too long or badly framed
   */
  public Step authResponse(String line) {
    AuthExchange exchange = auth;
    auth = null;
    if (exchange == null) {
      throw new IllegalStateException("no AUTH exchange in progress");
    }
    if (line == null) {
      return error(SmtpReplies.AUTH_BAD_RESPONSE);
    }
    if (line.equals("*")) {
      return error(SmtpReplies.AUTH_CANCELLED);
    }
    if (exchange.mechanism().equals("PLAIN")) {
      return plain(line);
    }
    if (exchange.username() == null) {
      Optional<String> user = SaslCredentials.loginField(line);
      if (user.isEmpty() || user.get().isEmpty()) {
        return error(SmtpReplies.AUTH_BAD_RESPONSE);
      }
      auth = new AuthExchange("LOGIN", user.get());
      return Step.of(LOGIN_PASSWORD, Action.READ_AUTH_RESPONSE);
    }
    Optional<String> password = SaslCredentials.loginField(line);
    if (password.isEmpty()) {
      return error(SmtpReplies.AUTH_BAD_RESPONSE);
    }
    return verify("", exchange.username(), password.get().toCharArray());
  }

  // ==== state for the transport and tests =======================================================

  /** The authenticated user, or null. */
  public String authenticatedUser() {
    return authenticatedUser;
  }

  // ==== handlers ================================================================================

  private Step ehlo(String domain) {
    resetTransaction();
    helo = domain;
    esmtp = true;
    state = State.READY;
    List<String> lines = new ArrayList<>();
    lines.add(host);
    lines.add("PIPELINING");
    lines.add("SIZE " + config.maxMessageSize());
    lines.add("8BITMIME");
    lines.add("ENHANCEDSTATUSCODES");
    lines.add("SMTPUTF8");
    lines.add("CHUNKING");
    if (tlsAvailable && tlsDescription == null) {
      lines.add("STARTTLS");
    }
    if (authOffered()) {
      lines.add("AUTH PLAIN LOGIN");
    }
    lines.add("HELP");
    return new Step(List.of(new SmtpReply(250, null, lines)), Action.CONTINUE, true);
  }

  private Step helo(String domain) {
    resetTransaction();
    helo = domain;
    esmtp = false;
    state = State.READY;
    return Step.reply(SmtpReply.plain(250, host));
  }

  private SmtpReply mail(SmtpCommand.Mail m) {
    if (config.isSubmission() && authenticatedUser == null) {
      return SmtpReplies.AUTH_REQUIRED;
    }
    if (!esmtp && !m.params().isEmpty()) {
      return SmtpReplies.UNKNOWN_PARAMETER; // parameters are an ESMTP feature: EHLO first
    }
    boolean utf8 = false;
    long declared = 0;
    for (Map.Entry<String, String> p : m.params().entrySet()) {
      String value = p.getValue();
      switch (p.getKey()) {
        case "SIZE" -> {
          if (value == null || value.length() > 18 || !value.chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
            return SmtpReplies.BAD_SIZE;
          }
          declared = Long.parseLong(value);
          if (declared > config.maxMessageSize()) {
            return SmtpReplies.MESSAGE_TOO_BIG;
          }
        }
        case "BODY" -> {
          if (value == null || !(value.equalsIgnoreCase("7BIT") || value.equalsIgnoreCase("8BITMIME"))) {
            return SmtpReplies.BAD_BODY;
          }
        }
        case "SMTPUTF8" -> {
          if (value != null) {
            return SmtpReplies.BAD_PARAMETER;
          }
          utf8 = true;
        }
        case "AUTH" -> {
          // RFC 4954 §5: the original submitter; accepted and not used (no relaying onwards)
        }
        default -> {
          return SmtpReplies.UNKNOWN_PARAMETER;
        }
      }
    }
    if (m.reversePath() != null && !m.reversePath().isAscii() && !utf8) {
      return SmtpReplies.NON_ASCII_WITHOUT_SMTPUTF8;
    }
    if (!storageAccepts()) {
      return SmtpReplies.INSUFFICIENT_STORAGE;
    }
    tx = new Transaction(m.reversePath(), utf8, declared);
    state = State.MAIL;
    return SmtpReplies.SENDER_OK;
  }

  private SmtpReply rcpt(SmtpCommand.Rcpt r) {
    if (!r.params().isEmpty()) {
      return SmtpReplies.UNKNOWN_PARAMETER; // DSN (NOTIFY, ORCPT) is not offered
    }
    Mailbox to = r.forwardPath();
    if (!to.isAscii() && !tx.smtpUtf8) {
      return SmtpReplies.NON_ASCII_WITHOUT_SMTPUTF8;
    }
    if (tx.recipients >= config.maxRecipients()) {
      return SmtpReplies.TOO_MANY_RECIPIENTS;
    }
    String address = to.isBarePostmaster() ? "postmaster@" + host : to.address();
    SmtpBackend.Resolution resolution;
    try {
      resolution = backend.resolveRecipient(address, tx.declaredSize);
    } catch (RuntimeException e) {
      log.warn("{} recipient lookup failed address={} error={}", peer.sessionId(), LogText.escape(address),
          e.toString());
      return SmtpReplies.LOCAL_ERROR;
    }
    SmtpReply reply = switch (resolution.disposition()) {
      case LOCAL -> SmtpReplies.RECIPIENT_OK;
      case NO_SUCH_USER -> SmtpReplies.USER_UNKNOWN;
      case MAILBOX_FULL -> SmtpReplies.MAILBOX_FULL;
      case NOT_LOCAL -> to.isBarePostmaster() ? SmtpReplies.USER_UNKNOWN
          : authenticatedUser != null ? SmtpReplies.OUTBOUND_NOT_AVAILABLE : SmtpReplies.RELAY_DENIED;
    };
    if (resolution.disposition() == SmtpBackend.Disposition.LOCAL && !storageAccepts()) {
      return SmtpReplies.INSUFFICIENT_STORAGE; // the disk filled up since MAIL
    }
    if (resolution.disposition() == SmtpBackend.Disposition.LOCAL) {
      tx.users.add(resolution.user());
      tx.recipients++;
      if (tx.firstRecipient == null) {
        tx.firstRecipient = to.address();
      }
      state = State.RCPT;
    }
    return reply;
  }

  private Step data() {
    if (tx.chunking) {
      return error(SmtpReplies.DATA_AFTER_BDAT);
    }
    startMessage();
    return Step.of(SmtpReplies.START_MAIL_INPUT, Action.READ_DATA);
  }

  private Step bdat(SmtpCommand.Bdat b, SmtpReply refusal) {
    if (b.size() > config.maxMessageSize()) {
      // Too big to read and discard within reason, so the session cannot stay in sync.
      resetTransaction();
      return Step.close(SmtpReplies.BDAT_CHUNK_TOO_BIG);
    }
    pendingChunk = b.size();
    pendingLast = b.last();
    chunkSink = null;
    chunkRefusal = refusal;
    if (refusal == null) {
      if (tx.buffer == null) {
        startMessage();
      }
      tx.chunking = true;
      if (tx.chunkedSize + b.size() > config.maxMessageSize()) {
        chunkRefusal = SmtpReplies.MESSAGE_TOO_BIG;
      } else {
        chunkSink = tx.buffer;
      }
    }
    return new Step(List.of(), Action.READ_CHUNK, false);
  }

  private Step startTls() {
    if (tlsDescription != null) {
      return error(SmtpReplies.TLS_ALREADY_ACTIVE);
    }
    if (!tlsAvailable) {
      return error(SmtpReplies.COMMAND_NOT_IMPLEMENTED);
    }
    return Step.of(SmtpReplies.READY_FOR_TLS, Action.START_TLS);
  }

  // ---- AUTH (RFC 4954) -------------------------------------------------------------------------

  private boolean authOffered() {
    return config.isSubmission() && (tlsDescription != null
        || (config.allowPlaintextAuthOnLoopback() && peer.address().isLoopbackAddress()));
  }

  private Step auth(SmtpCommand.Auth a) {
    if (!config.isSubmission()) {
      return error(SmtpReplies.AUTH_NOT_OFFERED);
    }
    if (authenticatedUser != null) {
      return error(SmtpReplies.ALREADY_AUTHENTICATED);
    }
    if (!authOffered()) {
      return error(SmtpReplies.ENCRYPTION_REQUIRED_FOR_AUTH);
    }
    String initial = a.initialResponse();
    switch (a.mechanism()) {
      case "PLAIN" -> {
        if (initial == null) {
          auth = new AuthExchange("PLAIN", null);
          return Step.of(EMPTY_CHALLENGE, Action.READ_AUTH_RESPONSE);
        }
        return plain(initial.equals("=") ? "" : initial);
      }
      case "LOGIN" -> {
        if (initial == null) {
          auth = new AuthExchange("LOGIN", null);
          return Step.of(LOGIN_USERNAME, Action.READ_AUTH_RESPONSE);
        }
        Optional<String> user = SaslCredentials.loginField(initial);
        if (user.isEmpty() || user.get().isEmpty()) {
          return error(SmtpReplies.AUTH_BAD_RESPONSE);
        }
        auth = new AuthExchange("LOGIN", user.get());
        return Step.of(LOGIN_PASSWORD, Action.READ_AUTH_RESPONSE);
      }
      default -> {
        return error(SmtpReplies.AUTH_MECHANISM_UNKNOWN);
      }
    }
  }

  private Step plain(String base64) {
    Optional<SaslCredentials> credentials = SaslCredentials.plain(base64);
    if (credentials.isEmpty()) {
      return error(SmtpReplies.AUTH_BAD_RESPONSE);
    }
    SaslCredentials c = credentials.get();
    return verify(c.authzid(), c.authcid(), c.password());
  }

  private Step verify(String authzid, String user, char[] password) {
    try {
      if (!authzid.isEmpty() && !authzid.equalsIgnoreCase(user)) {
        // Acting as another user (proxy authorisation) is not supported.
        return failedLogin(user);
      }
      if (throttle != null && !throttle.allowed(peer.address(), Addresses.normalize(user))) {
        log.info("{} authentication refused, too many failures, user={} after AUTH from [{}]", peer.sessionId(),
            LogText.escape(user), peer.address().getHostAddress());
        return error(SmtpReplies.AUTH_THROTTLED);
      }
      boolean ok;
      try {
        ok = backend.authenticate(Addresses.normalize(user), password);
      } catch (RuntimeException e) {
        log.warn("{} authentication check failed error={}", peer.sessionId(), e.toString());
        return Step.reply(SmtpReplies.LOCAL_ERROR);
      }
      if (!ok) {
        return failedLogin(user);
      }
      authenticatedUser = Addresses.normalize(user);
      if (throttle != null) {
        throttle.succeeded(peer.address());
      }
      log.debug("{} authenticated user={}", peer.sessionId(), LogText.escape(authenticatedUser));
      return Step.reply(SmtpReplies.AUTH_OK);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  private Step failedLogin(String user) {
    log.info("{} authentication failed user={} after AUTH from [{}]", peer.sessionId(), LogText.escape(user),
        peer.address().getHostAddress());
    if (throttle != null) {
      try {
        throttle.failed(peer.address(), Addresses.normalize(user));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Step.close(SmtpReplies.shuttingDown(host));
      }
    }
    return error(SmtpReplies.AUTH_FAILED);
  }

  // ---- messages --------------------------------------------------------------------------------

  /** Opens the message buffer with the trace headers: Return-Path and Received (RFC 5321 §4.4). */
  private void startMessage() {
    tx.id = peer.sessionId() + "." + Long.toString(++messages, 36);
    // A declared SIZE is only a hint: trust it up to a point, so that a claim alone cannot make
    // every connection reserve the maximum message size.
    int capacity = tx.declaredSize > 0 ? (int) Math.min(tx.declaredSize, MAX_INITIAL_BUFFER) : INITIAL_BUFFER;
    MessageBuffer buffer = new MessageBuffer(capacity + 512);
    buffer.writeText("Return-Path: <" + (tx.sender == null ? "" : tx.sender.address()) + ">");
    buffer.writeCrlf();
    StringBuilder received = new StringBuilder(256)
        .append("Received: from ").append(sanitize(helo)).append(" (").append(addressLiteral(peer.address()))
        .append(")\r\n\tby ").append(host).append(" with ").append(protocol()).append(" id ").append(tx.id);
    if (tlsDescription != null) {
      received.append("\r\n\t(using ").append(sanitize(tlsDescription)).append(')');
    }
    if (tx.users.size() == 1) {
      received.append("\r\n\tfor <").append(tx.firstRecipient).append('>');
    }
    received.append(";\r\n\t").append(DATE.format(clock.instant()));
    buffer.writeText(received.toString());
    buffer.writeCrlf();
    tx.buffer = buffer;
    tx.headerLength = buffer.length();
  }

  private Step finishMessage(long size) {
    Transaction t = tx;
    resetTransaction();
    byte[] message = t.buffer.toByteArray();
    t.buffer = null;
    long start = System.nanoTime();
    List<DeliveryResult> results;
    try {
      results = backend.deliver(List.copyOf(t.users), message, clock.instant())
          .get(config.dataTerminationTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Step.close(SmtpReplies.shuttingDown(host));
    } catch (TimeoutException e) {
      log.warn("{} id={} store did not confirm within {}, answered 451", peer.sessionId(), t.id,
          config.dataTerminationTimeout());
      return Step.of(SmtpReplies.LOCAL_ERROR, Action.CONTINUE);
    } catch (ExecutionException | RuntimeException e) {
      Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
      Optional<StorageUnavailableException> storage = StorageUnavailableException.in(cause);
      if (storage.isPresent()) {
        // The store logged the disk's state once; one line per refused message would flood the log.
        log.debug("{} id={} delivery refused by storage error={}", peer.sessionId(), t.id, storage.get().getMessage());
        return Step.of(storage.get().reason() == StorageUnavailableException.Reason.NO_SPACE
            ? SmtpReplies.INSUFFICIENT_STORAGE : SmtpReplies.LOCAL_ERROR, Action.CONTINUE);
      }
      log.warn("{} id={} delivery failed error={}", peer.sessionId(), t.id, String.valueOf(cause));
      return Step.of(SmtpReplies.LOCAL_ERROR, Action.CONTINUE);
    }
    long durableMicros = (System.nanoTime() - start) / 1000;
    int stored = 0;
    boolean overQuota = false;
    for (DeliveryResult r : results) {
      if (r.status() == DeliveryResult.Status.STORED) {
        stored++;
      } else {
        overQuota |= r.status() == DeliveryResult.Status.OVER_QUOTA;
        log.info("{} id={} copy not stored user={} reason={}", peer.sessionId(), t.id, LogText.escape(r.user()),
            r.status());
      }
    }
    if (stored == 0) {
      return Step.of(overQuota ? SmtpReplies.MAILBOX_FULL : SmtpReplies.USER_UNKNOWN, Action.CONTINUE);
    }
    junk = 0;
    if (log.isDebugEnabled()) {
      log.debug("{} id={} accepted from=<{}> rcpts={} stored={} size={} durable_ms={}", peer.sessionId(), t.id,
          t.sender == null ? "" : LogText.escape(t.sender.address()), t.recipients, stored, size,
          durableMicros / 1000.0);
    }
    return Step.of(SmtpReply.of(250, "2.0.0", "OK id=" + t.id), Action.CONTINUE);
  }

  /** Whether the backend has room for new mail; a failing check does not refuse (the delivery will say). */
  private boolean storageAccepts() {
    try {
      return backend.acceptsMail();
    } catch (RuntimeException e) {
      log.debug("{} storage check failed error={}", peer.sessionId(), e.toString());
      return true;
    }
  }

  /** The Received "with" keyword (RFC 3848, RFC 6531 §3.7.3). */
  private String protocol() {
    boolean tls = tlsDescription != null;
    boolean authed = authenticatedUser != null;
    String base = tx.smtpUtf8 ? "UTF8SMTP" : esmtp ? "ESMTP" : "SMTP";
    if (!tx.smtpUtf8 && !esmtp) {
      return base;
    }
    return base + (tls ? "S" : "") + (authed ? "A" : "");
  }

  private static String addressLiteral(InetAddress address) {
    String ip = address.getHostAddress();
    int scope = ip.indexOf('%');
    if (scope >= 0) {
      ip = ip.substring(0, scope);
    }
    return address instanceof Inet6Address ? "[IPv6:" + ip + "]" : "[" + ip + "]";
  }

  /** Client text for a header: printable ASCII except parentheses and backslash, at most 64 characters. */
  private static String sanitize(String s) {
    if (s == null) {
      return "unknown";
    }
    StringBuilder sb = new StringBuilder(Math.min(s.length(), 64));
    for (int i = 0; i < s.length() && sb.length() < 64; i++) {
      char ch = s.charAt(i);
      sb.append(ch > ' ' && ch < 0x7f && ch != '(' && ch != ')' && ch != '\\' ? ch : ch == ' ' ? ' ' : '?');
    }
    return sb.toString();
  }

  // ---- bookkeeping -----------------------------------------------------------------------------

  private void resetTransaction() {
    tx = null;
    if (state == State.MAIL || state == State.RCPT) {
      state = State.READY;
    }
  }

  private Step respond(SmtpReply reply) {
    if (!reply.isError()) {
      return Step.reply(reply);
    }
    // Not the client's fault or an expected part of the dialogue: do not count towards the limit.
    if (reply == SmtpReplies.TOO_MANY_RECIPIENTS || reply == SmtpReplies.LOCAL_ERROR
        || reply == SmtpReplies.INSUFFICIENT_STORAGE) {
      return Step.reply(reply);
    }
    return error(reply);
  }

  /** An error reply, counted; at the limit, the session ends after it with 421. */
  private Step error(SmtpReply reply) {
    errors++;
    if (errors >= config.maxErrors()) {
      return new Step(List.of(reply, SmtpReplies.tooManyErrors(host)), Action.CLOSE, true);
    }
    return Step.reply(reply);
  }

  private boolean junk() {
    return ++junk > config.maxJunkCommands();
  }

  private Step tooMuchJunk() {
    return Step.close(SmtpReplies.tooManyErrors(host));
  }
}
