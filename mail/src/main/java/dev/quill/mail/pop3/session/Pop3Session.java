package dev.quill.mail.pop3.session;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.auth.SaslCredentials;
import dev.quill.mail.pop3.MaildropLocks;
import dev.quill.mail.pop3.Pop3Config;
import dev.quill.mail.pop3.codec.Pop3Command;
import dev.quill.mail.pop3.codec.Pop3Replies;
import dev.quill.mail.pop3.session.Pop3Reply.After;
import dev.quill.store.Addresses;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.MaildropLock;
import dev.quill.store.StorageUnavailableException;
import dev.quill.store.UidValidityChangedException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The POP3 state machine of one session: AUTHORIZATION, TRANSACTION, UPDATE (RFC 1939 section
 * 3), over parsed {@link Pop3Command}s, answering each input with exactly one {@link Pop3Reply}.
 * It never sees sockets or bytes on the wire, and reaches storage only through
 * {@link MaildropStore}, so it runs in unit tests without either.
 *
 * <p>Checks run in a fixed order before a command's handler: session closed, then the command
 * table ({@link #RULES}: the states a verb is allowed in), then the handler's own checks
 * (plaintext policy, argument ranges). Every protocol error counts towards
 * {@link Pop3Config#maxErrors()}; failed logins count towards {@link Pop3Config#maxAuthFailures()}.
 *
 * <p>Message numbers are fixed at login: the INBOX is listed once, and mail delivered later is
 * seen at the next login. Messages marked by DELE are inaccessible until RSET, and are removed
 * only at QUIT from TRANSACTION (the UPDATE state), all at once by one atomic expunge. A session
 * that ends any other way (dropped connection, idle timeout, shutdown, too many errors) removes
 * nothing. The maildrop lock is taken at login and released at QUIT or {@link #close()}.
 *
 * <p>Standards: RFC 1939 (POP3), RFC 2449 (CAPA, response codes), RFC 2595 (STLS), RFC 3206
 * (SYS and AUTH response codes), RFC 5034 (AUTH), RFC 4616 (SASL PLAIN).
 *
 * <p>Security: plaintext logins (USER/PASS, AUTH PLAIN) are refused before STLS unless the peer
 * is loopback and {@link Pop3Config#allowPlaintextAuthOnLoopback()} allows it, and CAPA does not
 * advertise what would be refused. Every failed login is delayed and counted per address and per
 * user by {@link LoginThrottle}; a throttled attempt is refused without checking the password,
 * so guessing goes no faster while throttled. Passwords are wiped from memory after checking and
 * are never logged. APOP is not offered (it needs the plaintext password on the server).
 */
public final class Pop3Session {
  private static final Logger log = LoggerFactory.getLogger(Pop3Session.class);

  /** The protocol state (RFC 1939 section 3), plus CLOSED once the session has ended. */
  public enum State { AUTHORIZATION, TRANSACTION, UPDATE, CLOSED }

  /**
   * The facts about the connection a session needs.
   *
   * @param sessionId the connection's id, for logs
   * @param address the client's address, for the login throttle and the loopback check
   * @param tlsAvailable whether STLS can be offered (the server has a TLS context)
   * @param tlsActive whether the connection is already protected by TLS
   */
  public record Peer(String sessionId, InetAddress address, boolean tlsAvailable, boolean tlsActive) {}

  /** The command table: the states each command is allowed in. CAPA and QUIT are allowed everywhere. */
  static final Map<Class<? extends Pop3Command>, Set<State>> RULES = Map.ofEntries(
      Map.entry(Pop3Command.User.class, EnumSet.of(State.AUTHORIZATION)),
      Map.entry(Pop3Command.Pass.class, EnumSet.of(State.AUTHORIZATION)),
      Map.entry(Pop3Command.Auth.class, EnumSet.of(State.AUTHORIZATION)),
      Map.entry(Pop3Command.Stls.class, EnumSet.of(State.AUTHORIZATION)),
      Map.entry(Pop3Command.Capa.class, EnumSet.of(State.AUTHORIZATION, State.TRANSACTION)),
      Map.entry(Pop3Command.Quit.class, EnumSet.of(State.AUTHORIZATION, State.TRANSACTION)),
      Map.entry(Pop3Command.Stat.class, EnumSet.of(State.TRANSACTION)),
      Map.entry(Pop3Command.List.class, EnumSet.of(State.TRANSACTION)),
      Map.entry(Pop3Command.Retr.class, EnumSet.of(State.TRANSACTION)),
      Map.entry(Pop3Command.Top.class, EnumSet.of(State.TRANSACTION)),
      Map.entry(Pop3Command.Dele.class, EnumSet.of(State.TRANSACTION)),
      Map.entry(Pop3Command.Uidl.class, EnumSet.of(State.TRANSACTION)),
      Map.entry(Pop3Command.Rset.class, EnumSet.of(State.TRANSACTION)),
      Map.entry(Pop3Command.Noop.class, EnumSet.of(State.TRANSACTION)));

  /** The only SASL mechanism offered. */
  static final String PLAIN = "PLAIN";
  /** Bytes a session holds read ahead at most (with 1,000 sessions, 128 MiB of heap). */
  static final long READ_AHEAD_BYTES = 128 * 1024;
  /** Messages read ahead with one RETR at most. */
  static final int READ_AHEAD_MESSAGES = 32;

  private final Pop3Config config;
  private final MaildropStore store;
  private final MaildropLocks locks;
  private final LoginThrottle throttle;
  private final Peer peer;

  private State state = State.AUTHORIZATION;
  private boolean tlsActive;
  private boolean awaitingSasl;
  private String pendingUser;
  private int errors;
  private int authFailures;

  // TRANSACTION state: the snapshot taken at login
  private String user;
  private MaildropLocks.Lease lease;
  /** The maildrop across the nodes that serve the store (nothing to give back on a single node). */
  private MaildropLock sharedLease;
  private long uidValidity;
  private long[] uids = new long[0];
  private long[] sizes = new long[0];
  private boolean[] deleted = new boolean[0];
  private boolean[] damaged = new boolean[0];
  /**
   * Messages read ahead and not retrieved yet, by index: a RETR reads the next messages with its own
   * when the store says reads may cross nodes ({@link MaildropStore#readAhead}), as a client
   * downloading its mail asks for them next. At most {@link #READ_AHEAD_BYTES} and
   * {@link #READ_AHEAD_MESSAGES}; dropped at DELE and at the end of the session.
   */
  private final Map<Integer, byte[]> readAhead = new HashMap<>();
  private int deletedCount;
  private long totalOctets;
  private long deletedOctets;

  /**
   * @param config the service's tunables
   * @param store storage, reached only through this port
   * @param locks the node's maildrop locks
   * @param throttle the node's failed-login throttle
   * @param peer the connection this session serves
   */
  public Pop3Session(Pop3Config config, MaildropStore store, MaildropLocks locks, LoginThrottle throttle, Peer peer) {
    this.config = config;
    this.store = store;
    this.locks = locks;
    this.throttle = throttle;
    this.peer = peer;
    this.tlsActive = peer.tlsActive();
  }

  /** The greeting line sent when the client connects. */
  public String greeting() {
    return Pop3Replies.OK + " " + config.greeting();
  }

  /** The current state. */
  public State state() {
    return state;
  }

  /** The logged-in user (canonical), or null before login. */
  public String user() {
    return user;
  }

  /** Whether the next input line is a SASL response (after a "+ " continuation), not a command. */
  public boolean awaitingSaslResponse() {
    return awaitingSasl;
  }

  /** Tells the session the TLS handshake after STLS has completed. */
  public void tlsStarted() {
    tlsActive = true;
  }

  /** Releases the maildrop lock without entering UPDATE; idempotent. Call when the connection ends. */
  public void close() {
    state = State.CLOSED;
    awaitingSasl = false;
    readAhead.clear();
    if (sharedLease != null) {
      sharedLease.close();
      sharedLease = null;
    }
    if (lease != null) {
      lease.close();
      lease = null;
    }
  }

  /** Handles one command; never throws. */
  public Pop3Reply handle(Pop3Command command) {
    if (state == State.CLOSED || state == State.UPDATE) {
      return new Pop3Reply.Line(Pop3Replies.ERR_SESSION_CLOSED, After.CLOSE);
    }
    awaitingSasl = false; // the transport sends SASL responses to saslResponse; a command here ends the exchange
    try {
      return dispatch(command);
    } catch (RuntimeException e) {
      // Safety: a bug in a handler must not kill the connection thread or leak a trace to the client.
      log.warn("session={} event=internal-error command={} user={} from={}", peer.sessionId(), command.verb(), user,
          peer.address().getHostAddress(), e);
      return new Pop3Reply.Line(Pop3Replies.ERR_STORE_TEMP);
    }
  }

  /**
   * Handles the client's answer to a "+ " continuation.
   *
   * @param line the response line, or null when it could not be read (longer than any valid response)
   */
  public Pop3Reply saslResponse(String line) {
    if (!awaitingSasl || state != State.AUTHORIZATION) {
      return new Pop3Reply.Line(Pop3Replies.ERR_SESSION_CLOSED, After.CLOSE);
    }
    awaitingSasl = false;
    if (line == null) {
      return error(Pop3Replies.ERR_AUTH_MALFORMED);
    }
    if (line.equals("*")) {
      return error(Pop3Replies.ERR_AUTH_CANCELLED); // RFC 5034 section 4: a cancelled exchange gets -ERR
    }
    try {
      return plain(line);
    } catch (RuntimeException e) {
      log.warn("session={} event=internal-error command=AUTH from={}", peer.sessionId(), peer.address().getHostAddress(), e);
      return new Pop3Reply.Line(Pop3Replies.ERR_STORE_TEMP);
    }
  }

  /** The reply to a command received while the server is stopping; the session ends without UPDATE. */
  public Pop3Reply shutdown() {
    close();
    return new Pop3Reply.Line(Pop3Replies.ERR_SHUTTING_DOWN, After.CLOSE);
  }

  private Pop3Reply dispatch(Pop3Command command) {
    Set<State> allowed = RULES.get(command.getClass());
    if (allowed != null && !allowed.contains(state)) {
      return error(Pop3Replies.ERR_WRONG_STATE);
    }
    return switch (command) {
      case Pop3Command.Invalid invalid -> error(Pop3Replies.err(invalid.reason()));
      case Pop3Command.Unknown unknown -> error(Pop3Replies.ERR_UNKNOWN_COMMAND);
      case Pop3Command.Capa capa -> new Pop3Reply.Listing(Pop3Replies.OK_CAPA, capabilities());
      case Pop3Command.Quit quit -> quit();
      case Pop3Command.Stls stls -> stls();
      case Pop3Command.User u -> user(u.name());
      case Pop3Command.Pass pass -> pass(pass.password());
      case Pop3Command.Auth auth -> auth(auth);
      case Pop3Command.Stat stat -> new Pop3Reply.Line(Pop3Replies.stat(liveCount(), liveOctets()));
      case Pop3Command.Noop noop -> new Pop3Reply.Line(Pop3Replies.OK_NOOP);
      case Pop3Command.List list -> list(list);
      case Pop3Command.Uidl uidl -> uidl(uidl);
      case Pop3Command.Retr retr -> retrieve(retr.message(), -1);
      case Pop3Command.Top top -> retrieve(top.message(), top.lines());
      case Pop3Command.Dele dele -> dele(dele.message());
      case Pop3Command.Rset rset -> rset();
    };
  }

  // ---- AUTHORIZATION -------------------------------------------------------------------------

  private boolean plaintextAllowed() {
    return tlsActive || (config.allowPlaintextAuthOnLoopback() && peer.address().isLoopbackAddress());
  }

  private List<String> capabilities() {
    List<String> caps = new ArrayList<>();
    caps.add("TOP");
    caps.add("UIDL");
    caps.add("RESP-CODES");
    caps.add("AUTH-RESP-CODE");
    caps.add("PIPELINING");
    if (state == State.AUTHORIZATION) {
      if (plaintextAllowed()) {
        caps.add("USER");
        caps.add("SASL " + PLAIN);
      }
      if (peer.tlsAvailable() && !tlsActive) {
        caps.add("STLS");
      }
    }
    caps.add("IMPLEMENTATION Quill");
    return caps;
  }

  private Pop3Reply stls() {
    if (!peer.tlsAvailable()) {
      return error(Pop3Replies.ERR_TLS_UNAVAILABLE);
    }
    if (tlsActive) {
      return error(Pop3Replies.ERR_ALREADY_TLS);
    }
    pendingUser = null; // nothing said before TLS carries over (RFC 2595 section 4)
    return new Pop3Reply.Line(Pop3Replies.OK_STLS, After.START_TLS);
  }

  private Pop3Reply user(String name) {
    if (!plaintextAllowed()) {
      return error(Pop3Replies.ERR_PLAINTEXT_DISALLOWED);
    }
    pendingUser = name;
    return new Pop3Reply.Line(Pop3Replies.OK_USER);
  }

  private Pop3Reply pass(char[] password) {
    try {
      if (pendingUser == null) {
        return error(Pop3Replies.ERR_USER_FIRST);
      }
      if (!plaintextAllowed()) {
        return error(Pop3Replies.ERR_PLAINTEXT_DISALLOWED);
      }
      String name = pendingUser;
      pendingUser = null; // RFC 1939: after a failed PASS the client starts again with USER
      return login(name, password);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  private Pop3Reply auth(Pop3Command.Auth auth) {
    pendingUser = null;
    if (auth.mechanism() == null) {
      return new Pop3Reply.Listing(Pop3Replies.OK_AUTH_MECHANISMS, plaintextAllowed() ? List.of(PLAIN) : List.of());
    }
    if (!auth.mechanism().equals(PLAIN)) {
      return error(Pop3Replies.ERR_MECHANISM);
    }
    if (!plaintextAllowed()) {
      return error(Pop3Replies.ERR_PLAINTEXT_DISALLOWED);
    }
    if (auth.initialResponse() == null) {
      awaitingSasl = true;
      return new Pop3Reply.Line(Pop3Replies.CONTINUE);
    }
    if (auth.initialResponse().equals("*")) {
      return error(Pop3Replies.ERR_AUTH_CANCELLED);
    }
    return plain(auth.initialResponse());
  }

  private Pop3Reply plain(String base64) {
    // "=" is an empty initial response (RFC 5034 section 4); PLAIN cannot be empty
    Optional<SaslCredentials> decoded = base64.equals("=") ? Optional.empty() : SaslCredentials.plain(base64);
    if (decoded.isEmpty()) {
      return error(Pop3Replies.ERR_AUTH_MALFORMED);
    }
    SaslCredentials credentials = decoded.get();
    try {
      // No proxy logins: an authorization identity other than the user itself is refused like a bad password.
      if (!credentials.authzid().isEmpty()
          && !Addresses.normalize(credentials.authzid()).equals(Addresses.normalize(credentials.authcid()))) {
        return refused(Addresses.normalize(credentials.authcid()), true);
      }
      return login(credentials.authcid(), credentials.password());
    } finally {
      Arrays.fill(credentials.password(), '\0');
    }
  }

  private Pop3Reply login(String name, char[] password) {
    String canonical = Addresses.normalize(name);
    if (!throttle.allowed(peer.address(), canonical)) {
      log.info("session={} event=login-throttled user={} from={}", peer.sessionId(), printable(canonical),
          peer.address().getHostAddress());
      return refused(canonical, false);
    }
    boolean ok;
    try {
      ok = store.authenticate(canonical, password);
    } catch (RuntimeException e) {
      log.warn("session={} event=auth-store-error user={} from={} error={}", peer.sessionId(), printable(canonical),
          peer.address().getHostAddress(), e.toString());
      return new Pop3Reply.Line(Pop3Replies.ERR_STORE_TEMP);
    }
    if (!ok) {
      return refused(canonical, true);
    }
    throttle.succeeded(peer.address());
    Optional<MaildropLocks.Lease> locked = locks.tryLock(canonical);
    if (locked.isEmpty()) {
      log.info("session={} event=maildrop-in-use user={} from={}", peer.sessionId(), canonical, peer.address().getHostAddress());
      return new Pop3Reply.Line(Pop3Replies.ERR_IN_USE);
    }
    Optional<MaildropLock> shared;
    try {
      shared = store.lock(canonical);
    } catch (RuntimeException e) {
      locked.get().close();
      log.warn("session={} event=maildrop-lock-failed user={} error={}", peer.sessionId(), canonical, e.toString());
      return new Pop3Reply.Line(Pop3Replies.ERR_STORE_TEMP);
    }
    if (shared.isEmpty()) {
      locked.get().close();
      log.info("session={} event=maildrop-in-use user={} from={} where=other-node", peer.sessionId(), canonical,
          peer.address().getHostAddress());
      return new Pop3Reply.Line(Pop3Replies.ERR_IN_USE);
    }
    MaildropStore.Snapshot snapshot;
    try {
      snapshot = store.open(canonical);
    } catch (RuntimeException e) {
      shared.get().close();
      locked.get().close();
      log.warn("session={} event=maildrop-open-failed user={} error={}", peer.sessionId(), canonical, e.toString());
      return new Pop3Reply.Line(Pop3Replies.ERR_STORE_TEMP);
    }
    sharedLease = shared.get();
    enterTransaction(canonical, locked.get(), snapshot);
    log.info("session={} event=login user={} messages={} octets={} from={} tls={}", peer.sessionId(), canonical,
        uids.length, totalOctets, peer.address().getHostAddress(), tlsActive);
    return new Pop3Reply.Line(snapshot.unreachable().isEmpty() ? Pop3Replies.maildrop(uids.length, totalOctets)
        : Pop3Replies.partialMaildrop(uids.length, totalOctets, snapshot.unreachable()));
  }

  /** A refused login: counts it, and delays and records it with the throttle if the password was checked. */
  private Pop3Reply refused(String canonical, boolean checked) {
    authFailures++;
    String reply = checked ? Pop3Replies.ERR_AUTH_FAILED : Pop3Replies.ERR_THROTTLED;
    if (checked) {
      log.info("session={} event=login-failed user={} from={}", peer.sessionId(), printable(canonical),
          peer.address().getHostAddress());
      try {
        throttle.failed(peer.address(), canonical);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return shutdown();
      }
    }
    if (authFailures >= config.maxAuthFailures()) {
      close();
      return new Pop3Reply.Line(checked ? Pop3Replies.ERR_AUTH_FAILED_CLOSING : reply, After.CLOSE);
    }
    return new Pop3Reply.Line(reply);
  }

  private void enterTransaction(String canonical, MaildropLocks.Lease locked, MaildropStore.Snapshot snapshot) {
    user = canonical;
    lease = locked;
    uidValidity = snapshot.uidValidity();
    int n = snapshot.messages().size();
    uids = new long[n];
    sizes = new long[n];
    deleted = new boolean[n];
    damaged = new boolean[n];
    totalOctets = 0;
    for (int i = 0; i < n; i++) {
      MaildropStore.Entry e = snapshot.messages().get(i);
      uids[i] = e.uid();
      sizes[i] = e.size();
      totalOctets += e.size();
    }
    state = State.TRANSACTION;
  }

  // ---- TRANSACTION ---------------------------------------------------------------------------

  private int liveCount() {
    return uids.length - deletedCount;
  }

  private long liveOctets() {
    return totalOctets - deletedOctets;
  }

  /** The index of message number {@code n} if it exists and is not marked deleted, else -1. */
  private int live(int n) {
    return n >= 1 && n <= uids.length && !deleted[n - 1] ? n - 1 : -1;
  }

  private String uniqueId(int index) {
    return uidValidity + "." + uids[index];
  }

  private Pop3Reply list(Pop3Command.List list) {
    if (list.single()) {
      int i = live(list.message());
      return i < 0 ? noSuchMessage() : new Pop3Reply.Line(Pop3Replies.OK + " " + Pop3Replies.scanLine(list.message(), sizes[i]));
    }
    List<String> lines = new ArrayList<>(liveCount());
    for (int i = 0; i < uids.length; i++) {
      if (!deleted[i]) {
        lines.add(Pop3Replies.scanLine(i + 1, sizes[i]));
      }
    }
    return new Pop3Reply.Listing(Pop3Replies.listing(liveCount(), liveOctets()), lines);
  }

  private Pop3Reply uidl(Pop3Command.Uidl uidl) {
    if (uidl.single()) {
      int i = live(uidl.message());
      return i < 0 ? noSuchMessage() : new Pop3Reply.Line(Pop3Replies.OK + " " + uidl.message() + " " + uniqueId(i));
    }
    List<String> lines = new ArrayList<>(liveCount());
    for (int i = 0; i < uids.length; i++) {
      if (!deleted[i]) {
        lines.add((i + 1) + " " + uniqueId(i));
      }
    }
    return new Pop3Reply.Listing(Pop3Replies.OK + " unique-id listing follows", lines);
  }

  private Pop3Reply retrieve(int n, int bodyLines) {
    int i = live(n);
    if (i < 0) {
      return noSuchMessage();
    }
    if (damaged[i]) {
      return new Pop3Reply.Line(Pop3Replies.ERR_DAMAGED);
    }
    byte[] ahead = readAhead.remove(i);
    if (ahead == null && bodyLines < 0 && store.readsAhead()) {
      readAheadFrom(i);
      ahead = readAhead.remove(i);
    }
    if (ahead != null) {
      return new Pop3Reply.Message(bodyLines < 0 ? Pop3Replies.retr(sizes[i]) : Pop3Replies.OK_TOP, ahead, bodyLines);
    }
    Optional<byte[]> content;
    try {
      content = store.read(user, uidValidity, uids[i]);
    } catch (UidValidityChangedException e) {
      // created again, or renumbered by a cluster: the session's UIDs name other messages now
      log.info("session={} event=uidvalidity-changed user={} was={}", peer.sessionId(), user, uidValidity);
      return new Pop3Reply.Line(Pop3Replies.ERR_STORE_TEMP);
    } catch (CorruptMessageException e) {
      damaged[i] = true;
      log.warn("session={} event=message-damaged user={} uid={} error={}", peer.sessionId(), user, uids[i], e.getMessage());
      return new Pop3Reply.Line(Pop3Replies.ERR_DAMAGED);
    } catch (RuntimeException e) {
      log.warn("session={} event=read-failed user={} uid={} error={}", peer.sessionId(), user, uids[i], e.toString());
      return new Pop3Reply.Line(Pop3Replies.ERR_STORE_TEMP);
    }
    if (content.isEmpty()) {
      return new Pop3Reply.Line(Pop3Replies.ERR_MESSAGE_GONE);
    }
    String status = bodyLines < 0 ? Pop3Replies.retr(sizes[i]) : Pop3Replies.OK_TOP;
    return new Pop3Reply.Message(status, content.get(), bodyLines);
  }

  /**
   * Reads message {@code i} and the live messages after it together, as many as fit the read-ahead
   * bounds, when there are at least two and the last read-ahead did not pass over it; what the
   * store does not return is read alone. A failure here only means no read-ahead: the single read
   * reports it.
   */
  private void readAheadFrom(int i) {
    if (readAhead.keySet().stream().anyMatch(k -> k > i)) {
      return; // the last read-ahead passed over this one (gone or damaged): the single read tells
    }
    readAhead.clear(); // the client went back: what was read ahead would likely stay unread
    List<Long> batch = new ArrayList<>();
    List<Integer> indexes = new ArrayList<>();
    long bytes = 0;
    for (int j = i; j < uids.length && batch.size() < READ_AHEAD_MESSAGES; j++) {
      if (deleted[j] || damaged[j]) {
        continue;
      }
      if (bytes + sizes[j] > READ_AHEAD_BYTES) {
        break;
      }
      bytes += sizes[j];
      batch.add(uids[j]);
      indexes.add(j);
    }
    if (batch.size() < 2) {
      return; // message i alone (the last, or too large to read ahead): the single read does it
    }
    Map<Long, byte[]> found;
    try {
      found = store.readAhead(user, uidValidity, batch);
    } catch (RuntimeException e) {
      log.debug("session={} event=read-ahead-failed user={} error={}", peer.sessionId(), user, e.toString());
      return;
    }
    for (int k = 0; k < batch.size(); k++) {
      byte[] body = found.get(batch.get(k));
      if (body != null) {
        readAhead.put(indexes.get(k), body);
      }
    }
  }

  private Pop3Reply dele(int n) {
    if (n >= 1 && n <= uids.length && deleted[n - 1]) {
      return new Pop3Reply.Line(Pop3Replies.alreadyDeleted(n));
    }
    int i = live(n);
    if (i < 0) {
      return noSuchMessage();
    }
    deleted[i] = true;
    readAhead.remove(i);
    deletedCount++;
    deletedOctets += sizes[i];
    return new Pop3Reply.Line(Pop3Replies.deleted(n));
  }

  private Pop3Reply rset() {
    Arrays.fill(deleted, false);
    deletedCount = 0;
    deletedOctets = 0;
    return new Pop3Reply.Line(Pop3Replies.maildrop(uids.length, totalOctets));
  }

  private Pop3Reply quit() {
    if (state == State.AUTHORIZATION) {
      close();
      return new Pop3Reply.Line(Pop3Replies.OK_BYE, After.CLOSE);
    }
    state = State.UPDATE;
    List<Long> marked = new ArrayList<>(deletedCount);
    for (int i = 0; i < uids.length; i++) {
      if (deleted[i]) {
        marked.add(uids[i]);
      }
    }
    try {
      if (!marked.isEmpty()) {
        store.expunge(user, uidValidity, marked);
      }
    } catch (RuntimeException e) {
      if (StorageUnavailableException.in(e).isPresent()) {
        // The store logged the disk's state once; the client keeps its messages and deletes them later.
        log.debug("session={} event=expunge-refused-by-storage user={} messages={} error={}", peer.sessionId(), user,
            marked.size(), e.toString());
      } else {
        log.warn("session={} event=expunge-failed user={} messages={} error={}", peer.sessionId(), user, marked.size(),
            e.toString());
      }
      return new Pop3Reply.Line(Pop3Replies.ERR_EXPUNGE_FAILED, After.CLOSE);
    } finally {
      close();
    }
    log.info("session={} event=logout user={} deleted={} from={}", peer.sessionId(), user, marked.size(),
        peer.address().getHostAddress());
    return new Pop3Reply.Line(Pop3Replies.signingOff(liveCount()), After.CLOSE);
  }

  // ---- Errors --------------------------------------------------------------------------------

  private Pop3Reply noSuchMessage() {
    return new Pop3Reply.Line(Pop3Replies.ERR_NO_SUCH_MESSAGE);
  }

  /** A protocol error: counted, and the one that reaches the limit closes the session. */
  private Pop3Reply error(String reply) {
    errors++;
    if (errors >= config.maxErrors()) {
      log.info("session={} event=too-many-errors errors={} user={} from={}", peer.sessionId(), errors, user,
          peer.address().getHostAddress());
      close();
      return new Pop3Reply.Line(Pop3Replies.ERR_TOO_MANY_ERRORS, After.CLOSE);
    }
    return new Pop3Reply.Line(reply);
  }

  /** Client-chosen text for logs: printable ASCII only, at most 100 characters. */
  static String printable(String s) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), 100));
    for (int i = 0; i < s.length() && b.length() < 100; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }
}
