package dev.quill.mail.imap.session;

import dev.quill.mail.auth.LoginThrottle;
import dev.quill.mail.auth.SaslCredentials;
import dev.quill.mail.imap.codec.FetchAtt;
import dev.quill.mail.imap.codec.ImapCommand;
import dev.quill.mail.imap.codec.ImapWriter;
import dev.quill.mail.imap.codec.ModifiedUtf7;
import dev.quill.mail.imap.codec.SearchKey;
import dev.quill.mail.imap.codec.SequenceSet;
import dev.quill.mail.imap.session.CommandTable.State;
import dev.quill.mail.mime.MessageAnalysis;
import dev.quill.store.Addresses;
import dev.quill.store.AppendResult;
import dev.quill.store.CopyResult;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailboxContents;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MailboxWatch;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import dev.quill.store.StorageUnavailableException;
import dev.quill.store.StoreException;
import dev.quill.store.UidValidityChangedException;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The IMAP session state machine (RFC 9051 §3: not authenticated, authenticated, selected,
 * logout) over {@link ImapCommand} records. It never sees the socket: responses go to an
 * {@link ImapWriter}, storage is reached through {@link ImapBackend}, and what the connection must
 * do next is the returned {@link Outcome}. IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) are
 * served by the same session; ENABLE IMAP4REV2 switches to rev2 behaviour (ESEARCH answers, no
 * \Recent, UTF-8 mailbox names).
 *
 * <p>Other sessions' changes arrive through {@link ImapBackend#watch}: its commit counter tells,
 * at each command boundary, whether anything changed since the session last read its selected
 * mailbox; only then does it re-read it and report EXISTS, FETCH FLAGS and, where RFC 9051
 * §7.5.1 allows, EXPUNGE or VANISHED. The session's own STORE and EXPUNGE update its view
 * directly, so they cost no re-read. The listener only wakes an IDLE.
 *
 * <p>Security: LOGIN and AUTHENTICATE are refused on a connection without TLS unless it is
 * loopback and the settings allow it; failed logins are delayed and counted by
 * {@link LoginThrottle}; protocol errors are counted and the session ends with BYE at the limit.
 * Methods are synchronized: the IDLE pusher thread calls {@link #idleSync} concurrently with the
 * reading thread.
 */
public final class ImapSession {
  private static final Logger log = LoggerFactory.getLogger(ImapSession.class);

  /** What the connection does after a command's responses are written. */
  public enum Outcome {
    /** Read the next command. */
    CONTINUE,
    /** Flush and close the connection. */
    CLOSE,
    /** Flush, discard buffered input and start TLS. */
    START_TLS,
    /** IDLE: push changes until the client sends DONE ({@link #idleDone}). */
    IDLE,
    /** Send "+ " and pass the client's next line to {@link #saslResponse}. */
    SASL
  }

  /** The client: session id for logs, address for the throttle, and whether the link is protected. */
  public record Peer(String sessionId, InetAddress address, boolean tlsAvailable, boolean tlsActive) {}

  /**
   * Session settings taken from the service's config.
   *
   * @param hostname shown in the greeting
   * @param maxErrors protocol errors before BYE
   * @param allowPlaintextAuthOnLoopback whether logins without TLS are allowed from loopback
   * @param clock the internal date of an APPEND that gives none
   */
  public record Settings(String hostname, int maxErrors, boolean allowPlaintextAuthOnLoopback, java.time.Clock clock) {}

  private static final List<String> SYSTEM_FLAGS = List.of("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft");
  private static final Set<String> STATUS_ITEMS =
      Set.of("MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "HIGHESTMODSEQ", "RECENT");

  private final ImapBackend backend;
  private final RecentTracker recentTracker;
  private final HeaderFieldsCache headerCache;
  private final LoginThrottle throttle;
  private final Settings settings;
  private final InetAddress address;
  private final String sessionId;
  private final boolean tlsAvailable;
  private boolean tlsActive;

  private State state = State.NOT_AUTHENTICATED;
  private String user;
  private volatile MailboxWatch watch;
  /** The unreachable nodes the client was last told of for the selected mailbox. */
  private List<String> warnedUnreachable = List.of();
  /** The watch's commit count when the selected mailbox was last read (or brought up to date by an own write); -1 to read it again. */
  private volatile long syncedCommits;
  private volatile Runnable wakeup = () -> { };
  private volatile SelectedMailbox selected; // read by the store's watch thread
  private int errors;
  private boolean rev2;
  private boolean utf8Accept;
  private boolean condstore;
  private boolean qresync;
  /** Set once the selected mailbox's UIDVALIDITY changed under this session: it said BYE and ends. */
  private boolean uidValidityChanged;
  private String saslTag;
  private String idleTag;

  /**
   * @param backend storage
   * @param recentTracker the node's \Recent memory, shared by all sessions
   * @param headerCache the node's kept BODY[HEADER.FIELDS] answers, shared by all sessions
   * @param throttle the node's failed-login throttle
   * @param settings tunables from the service's config
   * @param peer the client
   */
  public ImapSession(ImapBackend backend, RecentTracker recentTracker, HeaderFieldsCache headerCache,
      LoginThrottle throttle, Settings settings, Peer peer) {
    this.backend = backend;
    this.recentTracker = recentTracker;
    this.headerCache = headerCache;
    this.throttle = throttle;
    this.settings = settings;
    this.address = peer.address();
    this.sessionId = peer.sessionId();
    this.tlsAvailable = peer.tlsAvailable();
    this.tlsActive = peer.tlsActive();
  }

  // ---- Connection-level entry points ----------------------------------------------------------

  /** Writes the greeting. */
  public synchronized void greeting(ImapWriter out) {
    out.text("* OK [CAPABILITY ").text(capabilities()).text("] ").text(settings.hostname()).text(" Quill IMAP ready").crlf();
  }

  /** Sets what to call when the selected mailbox changes (the IDLE pusher's signal). */
  public void onChange(Runnable wakeup) {
    this.wakeup = wakeup;
  }

  /** The logged-in user, or null. */
  public synchronized String user() {
    return user;
  }

  /** Whether a watched change waits to be reported. */
  public boolean changesPending() {
    return selected != null && changedSinceSync();
  }

  private boolean changedSinceSync() {
    MailboxWatch w = watch;
    return w == null || w.commits() != syncedCommits;
  }

  private long commitsNow() {
    MailboxWatch w = watch;
    return w == null ? 0 : w.commits();
  }

  /**
   * After an own write to the selected mailbox whose effect the view already shows: when that
   * write is the only commit since the last sync, the view is current without a re-read.
   */
  private void ownWriteApplied(long commitsBefore) {
    MailboxWatch w = watch;
    if (w != null && syncedCommits == commitsBefore && w.commits() == commitsBefore + 1) {
      syncedCommits = commitsBefore + 1;
    }
  }

  /** After a STARTTLS handshake. */
  public synchronized void tlsStarted() {
    tlsActive = true;
  }

  /** A protocol-level error found before parsing (line or literal too long): counted like BAD. */
  public synchronized Outcome rejected(String tag, String response, ImapWriter out) {
    out.text(tag).sp().text(response).crlf();
    return countError(out);
  }

  /** Ends the session because the server stops. */
  public synchronized void shutdown(ImapWriter out) {
    out.text("* BYE Server shutting down").crlf();
    state = State.LOGOUT;
  }

  /** Ends the session after the idle timeout. */
  public synchronized void autologout(ImapWriter out) {
    out.text("* BYE Autologout; idle for too long").crlf();
    state = State.LOGOUT;
  }

  /** Releases the store watch. */
  public synchronized void close() {
    if (watch != null) {
      try {
        watch.close();
      } catch (Exception e) {
        log.debug("session={} event=watch-close-failed error={}", sessionId, e.toString());
      }
      watch = null;
    }
    state = State.LOGOUT;
  }

  // ---- Commands -----------------------------------------------------------------------------

  /** Runs one command, writing its responses (untagged, then the tagged completion). */
  public synchronized Outcome handle(ImapCommand command, ImapWriter out) {
    if (command instanceof ImapCommand.Invalid invalid) {
      out.text(invalid.tag()).text(" BAD ").text(invalid.reason()).crlf();
      return countError(out);
    }
    if (!CommandTable.allowed(command, state)) {
      out.text(command.tag()).text(" BAD ").text(command.verb()).text(" not allowed now").crlf();
      return countError(out);
    }
    Outcome outcome;
    try {
      if (state == State.SELECTED && selected != null && changedSinceSync()) {
        // changes of other sessions, reported "during" this command as far as §7.5.1 allows
        syncSelected(out, CommandTable.expungeAllowedAfter(command));
        if (uidValidityChanged) {
          return Outcome.CLOSE; // its UIDs would name other messages now: not run
        }
      }
      outcome = dispatch(command, out);
      if (uidValidityChanged) {
        outcome = Outcome.CLOSE;
      }
    } catch (UidValidityChangedException e) {
      // Renumbered (or created again) while the command was on its way: refused, nothing changed.
      log.info("session={} event=uidvalidity-changed command={} user={} error={}", sessionId, command.verb(), user,
          e.getMessage());
      uidValidityChanged = true;
      out.text("* BYE Mailbox UIDVALIDITY changed; select it again").crlf();
      outcome = Outcome.CLOSE;
    } catch (StoreException e) {
      if (e instanceof StorageUnavailableException) {
        // The store logged the disk's state once; one line per refused command would flood the log.
        log.debug("session={} event=storage-refused command={} user={} error={}", sessionId, command.verb(), user,
            e.getMessage());
      } else {
        log.info("session={} event=store-refused command={} user={} error={}", sessionId, command.verb(), user,
            e.getMessage());
      }
      out.text(command.tag()).text(" NO ").text(storeCode(e)).text(printable(e.getMessage())).crlf();
      // The refusal may come from a view the store could not confirm (a cluster node not answering):
      // the next command reads the selected mailbox again rather than act on it (an EXPUNGE retried
      // on \Deleted flags taken back meanwhile through another node would remove the message).
      syncedCommits = -1;
      outcome = Outcome.CONTINUE;
    } catch (UnsupportedOperationException e) {
      log.warn("session={} event=unsupported command={} error={}", sessionId, command.verb(), e.getMessage());
      out.text(command.tag()).text(" NO [SERVERBUG] Not available on this server yet").crlf();
      outcome = Outcome.CONTINUE;
    } catch (RuntimeException e) {
      log.warn("session={} event=command-failed command={} user={}", sessionId, command.verb(), user, e);
      out.text(command.tag()).text(" NO [SERVERBUG] Internal error").crlf();
      outcome = Outcome.CONTINUE;
    }
    return outcome;
  }

  private Outcome dispatch(ImapCommand command, ImapWriter out) {
    String tag = command.tag();
    return switch (command) {
      case ImapCommand.Capability c -> {
        out.text("* CAPABILITY ").text(capabilities()).crlf();
        yield ok(tag, out, "CAPABILITY completed");
      }
      case ImapCommand.Noop n -> {
        syncSelected(out, true);
        yield ok(tag, out, "NOOP completed");
      }
      case ImapCommand.Check c -> {
        syncSelected(out, true);
        yield ok(tag, out, "CHECK completed");
      }
      case ImapCommand.Logout l -> {
        out.text("* BYE Logging out").crlf();
        out.text(tag).text(" OK LOGOUT completed").crlf();
        close();
        yield Outcome.CLOSE;
      }
      case ImapCommand.Id i -> {
        out.text("* ID (\"name\" \"Quill\")").crlf();
        yield ok(tag, out, "ID completed");
      }
      case ImapCommand.StartTls s -> startTls(tag, out);
      case ImapCommand.Login l -> {
        if (!plaintextAllowed()) {
          out.text(tag).text(" NO [PRIVACYREQUIRED] LOGIN requires TLS; use STARTTLS").crlf();
          yield Outcome.CONTINUE;
        }
        char[] pw = l.password().toCharArray();
        try {
          yield login(tag, l.user(), pw, out);
        } finally {
          Arrays.fill(pw, '\0');
        }
      }
      case ImapCommand.Authenticate a -> authenticate(a, out);
      case ImapCommand.Enable e -> enable(tag, e.capabilities(), out);
      case ImapCommand.Select s -> select(s, out);
      case ImapCommand.Create c -> create(c, out);
      case ImapCommand.Delete d -> {
        Optional<String> name = decodeName(d.mailbox());
        if (name.isEmpty()) {
          yield no(tag, out, "[CANNOT] Invalid mailbox name");
        }
        if (name.get().equals("INBOX")) {
          yield no(tag, out, "[CANNOT] INBOX cannot be deleted");
        }
        if (selected != null && selected.name.equals(name.get())) {
          selected = null;
          state = State.AUTHENTICATED;
        }
        yield backend.deleteMailbox(user, name.get()) ? ok(tag, out, "DELETE completed")
            : no(tag, out, "[NONEXISTENT] No such mailbox");
      }
      case ImapCommand.Rename r -> {
        Optional<String> from = decodeName(r.from());
        Optional<String> to = decodeName(r.to());
        if (from.isEmpty() || to.isEmpty() || to.get().equals("INBOX")) {
          yield no(tag, out, "[CANNOT] Invalid mailbox name");
        }
        if (backend.mailbox(user, from.get()).isEmpty()) {
          yield no(tag, out, "[NONEXISTENT] No such mailbox");
        }
        if (backend.mailbox(user, to.get()).isPresent()) {
          yield no(tag, out, "[ALREADYEXISTS] Mailbox exists");
        }
        backend.renameMailbox(user, from.get(), to.get());
        yield ok(tag, out, "RENAME completed");
      }
      case ImapCommand.Subscribe s -> {
        Optional<String> name = decodeName(s.mailbox());
        if (name.isEmpty()) {
          yield no(tag, out, "[CANNOT] Invalid mailbox name");
        }
        if (s.subscribe() && backend.mailbox(user, name.get()).isEmpty()) {
          yield no(tag, out, "[NONEXISTENT] No such mailbox");
        }
        backend.setSubscribed(user, name.get(), s.subscribe());
        yield ok(tag, out, command.verb() + " completed");
      }
      case ImapCommand.ListMailboxes l -> list(l, out);
      case ImapCommand.Namespace n -> {
        out.text("* NAMESPACE ((\"\" \"/\")) NIL NIL").crlf();
        yield ok(tag, out, "NAMESPACE completed");
      }
      case ImapCommand.Status s -> status(s, out);
      case ImapCommand.Append a -> append(a, out);
      case ImapCommand.Idle i -> {
        idleTag = tag;
        out.text("+ idling").crlf();
        syncSelected(out, true);
        yield Outcome.IDLE;
      }
      case ImapCommand.Close c -> {
        if (!selected.readOnly) {
          List<Long> deleted = deletedUids(null);
          if (!deleted.isEmpty()) {
            closeExpunge(deleted, out);
          }
        }
        selected = null;
        state = State.AUTHENTICATED;
        yield ok(tag, out, "CLOSE completed");
      }
      case ImapCommand.Unselect u -> {
        selected = null;
        state = State.AUTHENTICATED;
        yield ok(tag, out, "UNSELECT completed");
      }
      case ImapCommand.Expunge e -> expunge(e, out);
      case ImapCommand.Search s -> search(s, out);
      case ImapCommand.Fetch f -> fetch(f, out);
      case ImapCommand.Store s -> store(s, out);
      case ImapCommand.Copy c -> copy(c, out);
      case ImapCommand.GetQuota g -> {
        // A user without a quota has no quota root: a QUOTA response needs at least one resource (RFC 9208, 5.1).
        long quota = backend.quota(user);
        if (!g.root().isEmpty() || quota <= 0) {
          yield no(tag, out, "[NONEXISTENT] No such quota root");
        }
        writeQuota(out, quota);
        yield ok(tag, out, "GETQUOTA completed");
      }
      case ImapCommand.GetQuotaRoot g -> {
        Optional<String> name = decodeName(g.mailbox());
        if (name.isEmpty() || backend.mailbox(user, name.get()).isEmpty()) {
          yield no(tag, out, "[NONEXISTENT] No such mailbox");
        }
        long quota = backend.quota(user);
        out.text("* QUOTAROOT ").mailbox(name.get(), utf8());
        if (quota > 0) {
          out.text(" \"\"").crlf();
          writeQuota(out, quota);
        } else {
          out.crlf();
        }
        yield ok(tag, out, "GETQUOTAROOT completed");
      }
      case ImapCommand.SetQuota s -> no(tag, out, "[NOPERM] Quotas are set by the administrator");
      case ImapCommand.Invalid i -> throw new IllegalStateException("handled above");
    };
  }

  // ---- Authentication -------------------------------------------------------------------------

  private Outcome startTls(String tag, ImapWriter out) {
    if (!tlsAvailable || tlsActive) {
      out.text(tag).text(" NO STARTTLS not available").crlf();
      return Outcome.CONTINUE;
    }
    out.text(tag).text(" OK Begin TLS negotiation now").crlf();
    return Outcome.START_TLS;
  }

  private Outcome authenticate(ImapCommand.Authenticate a, ImapWriter out) {
    if (!a.mechanism().equals("PLAIN")) {
      return no(a.tag(), out, "Unsupported authentication mechanism");
    }
    if (!plaintextAllowed()) {
      return no(a.tag(), out, "[PRIVACYREQUIRED] Authentication requires TLS; use STARTTLS");
    }
    if (a.initialResponse() == null) {
      saslTag = a.tag();
      out.text("+ ").crlf();
      return Outcome.SASL;
    }
    return plain(a.tag(), a.initialResponse(), out);
  }

  /** The client's answer to the "+ " of AUTHENTICATE PLAIN; null when the line was too long. */
  public synchronized Outcome saslResponse(String line, ImapWriter out) {
    String tag = saslTag;
    saslTag = null;
    if (line == null) {
      out.text(tag).text(" BAD Response too long").crlf();
      return countError(out);
    }
    if (line.equals("*")) {
      out.text(tag).text(" BAD Authentication cancelled").crlf();
      return Outcome.CONTINUE;
    }
    return plain(tag, line, out);
  }

  private Outcome plain(String tag, String base64, ImapWriter out) {
    Optional<SaslCredentials> decoded = SaslCredentials.plain(base64);
    if (decoded.isEmpty()) {
      out.text(tag).text(" BAD Invalid PLAIN response").crlf();
      return countError(out);
    }
    SaslCredentials c = decoded.get();
    try {
      if (!c.authzid().isEmpty() && !Addresses.normalize(c.authzid()).equals(Addresses.normalize(c.authcid()))) {
        return failedLogin(tag, Addresses.normalize(c.authcid()), out);
      }
      return login(tag, c.authcid(), c.password(), out);
    } finally {
      Arrays.fill(c.password(), '\0');
    }
  }

  private Outcome login(String tag, String name, char[] password, ImapWriter out) {
    String canonical = Addresses.normalize(name);
    if (!throttle.allowed(address, canonical)) {
      log.info("session={} event=login-throttled user={} from={}", sessionId, printable(canonical), address.getHostAddress());
      return no(tag, out, "[UNAVAILABLE] Too many failed logins; try again later");
    }
    if (!backend.authenticate(canonical, password)) {
      return failedLogin(tag, canonical, out);
    }
    throttle.succeeded(address);
    user = canonical;
    state = State.AUTHENTICATED;
    try {
      watch = backend.watch(user, this::changed);
    } catch (UnsupportedOperationException e) {
      log.warn("session={} event=watch-unavailable error={}", sessionId, e.getMessage());
    }
    log.info("session={} event=login user={} from={} tls={}", sessionId, canonical, address.getHostAddress(), tlsActive);
    out.text(tag).text(" OK [CAPABILITY ").text(capabilities()).text("] Logged in").crlf();
    return Outcome.CONTINUE;
  }

  private Outcome failedLogin(String tag, String canonical, ImapWriter out) {
    log.info("session={} event=login-failed user={} from={}", sessionId, printable(canonical), address.getHostAddress());
    try {
      throttle.failed(address, canonical);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.text("* BYE Server shutting down").crlf();
      return Outcome.CLOSE;
    }
    out.text(tag).text(" NO [AUTHENTICATIONFAILED] Invalid credentials").crlf();
    return countError(out);
  }

  private boolean plaintextAllowed() {
    return tlsActive || (settings.allowPlaintextAuthOnLoopback() && address.isLoopbackAddress());
  }

  /** The capability list for the current state. */
  public synchronized String capabilities() {
    StringBuilder b = new StringBuilder("IMAP4rev1 IMAP4rev2");
    if (state == State.NOT_AUTHENTICATED) {
      if (tlsAvailable && !tlsActive) {
        b.append(" STARTTLS");
      }
      b.append(plaintextAllowed() ? " AUTH=PLAIN SASL-IR" : " LOGINDISABLED");
    }
    b.append(" LITERAL+ ENABLE ID IDLE NAMESPACE UNSELECT UIDPLUS MOVE CHILDREN SPECIAL-USE LIST-EXTENDED LIST-STATUS")
        .append(" ESEARCH CONDSTORE QRESYNC QUOTA QUOTA=RES-STORAGE STATUS=SIZE UTF8=ACCEPT");
    return b.toString();
  }

  // ---- Mailboxes ------------------------------------------------------------------------------

  private Outcome enable(String tag, List<String> caps, ImapWriter out) {
    List<String> enabled = new ArrayList<>();
    for (String cap : caps) {
      switch (cap) {
        case "IMAP4REV2" -> { if (!rev2) { rev2 = true; enabled.add("IMAP4rev2"); } }
        case "CONDSTORE" -> { if (!condstore) { condstore = true; enabled.add("CONDSTORE"); } }
        case "QRESYNC" -> {
          if (!qresync) {
            qresync = true;
            condstore = true;
            enabled.add("QRESYNC");
          }
        }
        case "UTF8=ACCEPT" -> { if (!utf8Accept) { utf8Accept = true; enabled.add("UTF8=ACCEPT"); } }
        default -> { }
      }
    }
    out.text("* ENABLED");
    for (String e : enabled) {
      out.sp().text(e);
    }
    out.crlf();
    return ok(tag, out, "ENABLE completed");
  }

  private Outcome select(ImapCommand.Select s, ImapWriter out) {
    if (selected != null) {
      selected = null;
      state = State.AUTHENTICATED;
      out.text("* OK [CLOSED] Previous mailbox closed").crlf();
    }
    if (s.qresync() != null && !qresync) {
      return bad(s.tag(), out, "QRESYNC must be enabled first");
    }
    Optional<String> name = decodeName(s.mailbox());
    long commits = commitsNow(); // taken before reading, so that a change in between is seen at the next command
    Optional<MailboxContents> contents = name.flatMap(n -> backend.contents(user, n));
    if (contents.isEmpty()) {
      return no(s.tag(), out, "[NONEXISTENT] No such mailbox");
    }
    if (s.condstore()) {
      condstore = true;
    }
    MailboxInfo info = contents.get().info();
    SelectedMailbox box = new SelectedMailbox(name.get(), s.readOnly(), info.uidValidity(), info.uidNext(),
        info.highestModSeq(), contents.get().messages());
    syncedCommits = commits;
    // RFC 3501 §6.3.2: EXAMINE must not take \Recent away from other sessions, so it only looks
    long before = claimRecent(box.name, box.uidValidity, s.readOnly() ? 0 : box.lastUid());
    box.markRecent(box.uids().stream().filter(u -> u > before).toList());
    selected = box;
    state = State.SELECTED;
    Set<String> flags = new LinkedHashSet<>(SYSTEM_FLAGS);
    flags.addAll(box.keywords());
    out.text("* ").number(box.size()).text(" EXISTS").crlf();
    warnedUnreachable = List.of();
    warnIfPartial(box.name, out);
    if (!rev2) {
      out.text("* ").number(box.recentCount()).text(" RECENT").crlf();
      for (int seq = 1; seq <= box.size(); seq++) {
        if (!box.meta(box.uidAt(seq)).flags().contains("\\Seen")) {
          out.text("* OK [UNSEEN ").number(seq).text("] First unseen").crlf();
          break;
        }
      }
    }
    out.text("* FLAGS ").flags(flags).crlf();
    if (s.readOnly()) {
      out.text("* OK [PERMANENTFLAGS ()] Read-only mailbox").crlf();
    } else {
      Set<String> perm = new LinkedHashSet<>(flags);
      perm.add("\\*");
      out.text("* OK [PERMANENTFLAGS ").flags(perm).text("] Flags permitted").crlf();
    }
    out.text("* OK [UIDVALIDITY ").number(box.uidValidity).text("] UIDs valid").crlf();
    out.text("* OK [UIDNEXT ").number(box.uidNext).text("] Predicted next UID").crlf();
    out.text("* OK [HIGHESTMODSEQ ").number(box.highestModSeq).text("] Highest").crlf();
    if (rev2) { // RFC 9051 §6.3.2: the LIST response with the mailbox name
      out.text("* LIST () \"/\" ").mailbox(box.name, true).crlf();
    }
    if (s.qresync() != null && s.qresync().uidValidity() == box.uidValidity) {
      qresyncReplay(s.qresync(), box, out);
    }
    out.text(s.tag()).text(s.readOnly() ? " OK [READ-ONLY] " : " OK [READ-WRITE] ").text(s.verb()).text(" completed")
        .crlf();
    return Outcome.CONTINUE;
  }

  private void qresyncReplay(ImapCommand.Qresync q, SelectedMailbox box, ImapWriter out) {
    List<Long> vanished = new ArrayList<>();
    for (long uid : backend.expungedSince(user, box.name, q.modSeq())) {
      if (uid < box.uidNext && (q.knownUids() == null || q.knownUids().contains(uid, box.lastUid())) && box.seqOf(uid) == 0) {
        vanished.add(uid);
      }
    }
    if (!vanished.isEmpty()) {
      out.text("* VANISHED (EARLIER) ").text(SequenceSet.format(vanished, true)).crlf();
    }
    for (int seq = 1; seq <= box.size(); seq++) {
      MessageMeta m = box.meta(box.uidAt(seq));
      if (m.modSeq() > q.modSeq()) {
        box.writeFlags(out, seq, m, true, true);
      }
    }
  }

  private Outcome create(ImapCommand.Create c, ImapWriter out) {
    Optional<String> name = decodeName(c.mailbox());
    if (name.isEmpty() || name.get().isEmpty()) {
      return no(c.tag(), out, "[CANNOT] Invalid mailbox name");
    }
    String n = name.get().endsWith("/") ? name.get().substring(0, name.get().length() - 1) : name.get();
    if (n.equalsIgnoreCase("INBOX") || backend.mailbox(user, n).isPresent()) {
      return no(c.tag(), out, "[ALREADYEXISTS] Mailbox exists");
    }
    backend.createMailbox(user, n, c.specialUse());
    return ok(c.tag(), out, "CREATE completed");
  }

  private static final Set<String> SELECTION_OPTIONS = Set.of("SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE");

  private Outcome list(ImapCommand.ListMailboxes l, ImapWriter out) {
    // RFC 5258 §3: unknown selection options, or RECURSIVEMATCH alone, are BAD
    if (!SELECTION_OPTIONS.containsAll(l.selection())
        || (l.selection().contains("RECURSIVEMATCH") && l.selection().size() == 1)) {
      return bad(l.tag(), out, "Invalid LIST selection options");
    }
    boolean subscribedOnly = l.selection().contains("SUBSCRIBED");
    boolean specialUseOnly = l.selection().contains("SPECIAL-USE");
    boolean returnSubscribed = l.returns().contains("SUBSCRIBED") || (subscribedOnly && !l.lsub());
    if (l.patterns().size() == 1 && l.patterns().get(0).isEmpty() && !l.lsub()) {
      out.text("* LIST (\\Noselect) \"/\" \"\"").crlf();
      return ok(l.tag(), out, "LIST completed");
    }
    List<MailboxInfo> boxes = backend.mailboxes(user);
    Set<String> subscriptions = subscribedOnly || returnSubscribed ? backend.subscriptions(user) : Set.of();
    List<MailboxPatterns.Entry> entries = MailboxPatterns.entries(boxes, subscribedOnly ? subscriptions : Set.of());
    List<MailboxPatterns.Matcher> matchers = new ArrayList<>();
    for (String pattern : l.patterns()) {
      Optional<String> ref = decodeName(l.reference());
      Optional<String> pat = decodeName(pattern);
      if (ref.isEmpty() || pat.isEmpty()) {
        return bad(l.tag(), out, "Invalid mailbox pattern");
      }
      matchers.add(MailboxPatterns.matcher(ref.get(), pat.get()));
    }
    for (MailboxPatterns.Entry e : entries) {
      if (matchers.stream().noneMatch(m -> m.matches(e.name()))) {
        continue;
      }
      boolean subscribed = subscriptions.contains(e.name());
      if (subscribedOnly && !subscribed) {
        continue;
      }
      if (specialUseOnly && (e.info() == null || e.info().specialUse().isEmpty())) {
        continue;
      }
      List<String> attrs = new ArrayList<>();
      if (e.info() == null) {
        attrs.add(subscribedOnly ? "\\NonExistent" : "\\Noselect");
      }
      if (!l.lsub()) {
        attrs.add(e.hasChildren() ? "\\HasChildren" : "\\HasNoChildren");
      }
      if (returnSubscribed && subscribed && !l.lsub()) {
        attrs.add("\\Subscribed");
      }
      if (e.info() != null) { // SPECIAL-USE attributes are always shown (RFC 6154 §2 allows it)
        attrs.addAll(e.info().specialUse());
      }
      out.text(l.lsub() ? "* LSUB " : "* LIST ").flags(attrs).text(" \"/\" ").mailbox(e.name(), utf8()).crlf();
      if (l.statusItems() != null && e.info() != null) {
        writeStatus(e.name(), l.statusItems(), out);
      }
    }
    return ok(l.tag(), out, l.verb() + " completed");
  }

  private Outcome status(ImapCommand.Status s, ImapWriter out) {
    for (String item : s.items()) {
      if (!STATUS_ITEMS.contains(item)) {
        return bad(s.tag(), out, "Unknown STATUS item " + printable(item));
      }
    }
    Optional<String> name = decodeName(s.mailbox());
    if (name.isEmpty() || backend.mailbox(user, name.get()).isEmpty()) {
      return no(s.tag(), out, "[NONEXISTENT] No such mailbox");
    }
    writeStatus(name.get(), s.items(), out);
    return ok(s.tag(), out, "STATUS completed");
  }

  private void writeStatus(String name, List<String> items, ImapWriter out) {
    boolean listing = items.contains("UNSEEN") || items.contains("DELETED") || items.contains("RECENT");
    Optional<MailboxContents> found = listing ? backend.contents(user, name)
        : backend.mailbox(user, name).map(i -> new MailboxContents(i, List.of()));
    if (found.isEmpty()) {
      return;
    }
    MailboxInfo info = found.get().info();
    List<MessageMeta> messages = found.get().messages();
    out.text("* STATUS ").mailbox(name, utf8()).text(" (");
    boolean first = true;
    for (String item : items) {
      if (!first) {
        out.sp();
      }
      first = false;
      long value = switch (item) {
        case "MESSAGES" -> info.messageCount();
        case "UIDNEXT" -> info.uidNext();
        case "UIDVALIDITY" -> info.uidValidity();
        case "UNSEEN" -> messages.stream().filter(m -> !m.flags().contains("\\Seen")).count();
        case "DELETED" -> messages.stream().filter(m -> m.flags().contains("\\Deleted")).count();
        case "SIZE" -> info.totalBytes();
        case "HIGHESTMODSEQ" -> info.highestModSeq();
        case "RECENT" -> {
          long claimed = claimRecent(name, info.uidValidity(), 0);
          yield messages.stream().filter(m -> m.uid() > claimed).count();
        }
        default -> 0;
      };
      out.text(item).sp().number(value);
    }
    out.text(")").crlf();
  }

  private Outcome append(ImapCommand.Append a, ImapWriter out) {
    Optional<String> name = decodeName(a.mailbox());
    if (name.isEmpty() || backend.mailbox(user, name.get()).isEmpty()) {
      return no(a.tag(), out, "[TRYCREATE] No such mailbox");
    }
    List<Long> uids = new ArrayList<>();
    long validity = 0;
    for (ImapCommand.AppendMessage m : a.messages()) {
      Set<String> flags = new LinkedHashSet<>(m.flags());
      flags.remove("\\Recent");
      Instant date = m.internalDate() == null ? settings.clock().instant() : m.internalDate();
      AppendResult r = backend.append(user, name.get(), m.message(), flags, date, analyse(m.message()));
      if (!r.stored()) {
        return no(a.tag(), out, "[OVERQUOTA] Quota exceeded");
      }
      validity = r.uidValidity();
      uids.add(r.uid());
    }
    syncSelected(out, true);
    out.text(a.tag()).text(" OK [APPENDUID ").number(validity).sp().text(SequenceSet.format(uids, false))
        .text("] APPEND completed").crlf();
    return Outcome.CONTINUE;
  }

  private MessageDerived analyse(byte[] message) {
    try {
      return MessageAnalysis.analyze(message).toDerived();
    } catch (RuntimeException e) { // Safety: an analysis failure must not lose the message
      log.warn("session={} event=analysis-failed error={}", sessionId, e.toString());
      return null;
    }
  }

  /**
   * {@code \Recent}: claims the mailbox's messages up to {@code upTo} for this session (0 only looks)
   * and returns the highest UID claimed before; the cluster decides when the backend shares claims
   * between nodes, else this node's memory.
   */
  private long claimRecent(String name, long uidValidity, long upTo) {
    java.util.OptionalLong shared = backend.claimRecent(user, name, uidValidity, upTo);
    if (shared.isPresent()) {
      return shared.getAsLong();
    }
    return upTo == 0 ? recentTracker.claimedUpTo(user, name, uidValidity)
        : recentTracker.claim(user, name, uidValidity, upTo);
  }

  private void writeQuota(ImapWriter out, long quota) {
    out.text("* QUOTA \"\" (STORAGE ").number((backend.usage(user) + 1023) / 1024).sp().number(quota / 1024).text(")")
        .crlf();
  }

  // ---- Selected state -------------------------------------------------------------------------

  private Outcome expunge(ImapCommand.Expunge e, ImapWriter out) {
    if (selected.readOnly) {
      return no(e.tag(), out, "[READ-ONLY] Mailbox is read-only");
    }
    syncSelected(out, true);
    List<Long> uids = deletedUids(e.uids());
    if (!uids.isEmpty()) {
      long before = commitsNow();
      backend.expunge(user, selected.name, selected.uidValidity, uids);
      selected.expunged(uids, out, qresync);
      ownWriteApplied(before);
    }
    return ok(e.tag(), out, "EXPUNGE completed");
  }

  private List<Long> deletedUids(SequenceSet within) {
    List<Long> out = new ArrayList<>();
    for (long uid : selected.uids()) {
      if (!selected.isGone(uid) && selected.meta(uid).flags().contains("\\Deleted")
          && (within == null || within.contains(uid, selected.lastUid()))) {
        out.add(uid);
      }
    }
    return out;
  }

  private Outcome search(ImapCommand.Search s, ImapWriter out) {
    if (s.charset() != null && !s.charset().equalsIgnoreCase("UTF-8") && !s.charset().equalsIgnoreCase("US-ASCII")) {
      return no(s.tag(), out, "[BADCHARSET (UTF-8 US-ASCII)] Unsupported charset");
    }
    for (String r : s.returns() == null ? List.<String>of() : s.returns()) {
      if (!Set.of("MIN", "MAX", "ALL", "COUNT").contains(r)) {
        return bad(s.tag(), out, "Unknown RETURN option");
      }
    }
    boolean usesModSeq = s.key().usesModSeq();
    if (usesModSeq) {
      condstore = true;
    }
    SelectedMailbox box = selected;
    SearchEvaluator eval = new SearchEvaluator(box.size(), box.lastUid());
    List<Long> hits = new ArrayList<>();
    long maxModSeq = 0;
    Set<LoadedMessage.Part> parts = SearchEvaluator.needsDerived(s.key())
        ? EnumSet.of(LoadedMessage.Part.DERIVED) : LoadedMessage.META_ONLY;
    List<MessageMeta> batch = new ArrayList<>(MessageView.BATCH);
    for (int seq = 1; seq <= box.size(); seq++) {
      long uid = box.uidAt(seq);
      if (!box.isGone(uid)) {
        batch.add(box.meta(uid));
      }
      if (batch.size() < MessageView.BATCH && seq < box.size()) {
        continue;
      }
      for (MessageView view : MessageView.load(backend, user, box.name, box.uidValidity, batch, parts)) {
        long u = view.meta.uid();
        int n = box.seqOf(u);
        try {
          if (eval.matches(s.key(), view, n, box.isRecent(u))) {
            hits.add(s.uid() ? u : n);
            maxModSeq = Math.max(maxModSeq, view.meta.modSeq());
          }
        } catch (CorruptMessageException e) {
          log.warn("session={} event=corrupt-message mailbox={} uid={} error={}", sessionId, box.name, u, e.getMessage());
        }
      }
      batch.clear();
    }
    if (s.returns() == null && !rev2) {
      out.text("* SEARCH");
      for (long n : hits) {
        out.sp().number(n);
      }
      if (usesModSeq && !hits.isEmpty()) {
        out.text(" (MODSEQ ").number(maxModSeq).text(")");
      }
      out.crlf();
    } else {
      List<String> returns = s.returns() == null || s.returns().isEmpty() ? List.of("ALL") : s.returns();
      out.text("* ESEARCH (TAG ").string(s.tag()).text(")");
      if (s.uid()) {
        out.text(" UID");
      }
      if (!hits.isEmpty()) {
        if (returns.contains("MIN")) {
          out.text(" MIN ").number(hits.get(0));
        }
        if (returns.contains("MAX")) {
          out.text(" MAX ").number(hits.get(hits.size() - 1));
        }
        if (returns.contains("ALL")) {
          out.text(" ALL ").text(SequenceSet.format(hits, true));
        }
      }
      if (returns.contains("COUNT")) {
        out.text(" COUNT ").number(hits.size());
      }
      if (usesModSeq && !hits.isEmpty()) {
        out.text(" MODSEQ ").number(maxModSeq);
      }
      out.crlf();
    }
    return ok(s.tag(), out, s.verb() + " completed");
  }

  private Outcome fetch(ImapCommand.Fetch f, ImapWriter out) {
    boolean modSeqAsked = f.changedSince() >= 0 || f.items().stream().anyMatch(i -> i instanceof FetchAtt.ModSeq);
    if (modSeqAsked) {
      condstore = true;
    }
    if (f.vanished() && !qresync) {
      return bad(f.tag(), out, "VANISHED needs QRESYNC enabled");
    }
    SelectedMailbox box = selected;
    List<Long> uids = box.resolve(f.set(), f.uid());
    if (uids == null) {
      return bad(f.tag(), out, "Invalid message number");
    }
    ImapWriter scratch = new ImapWriter(); // one response at a time, for every message of the command
    if (f.vanished()) {
      List<Long> vanished = new ArrayList<>();
      for (long uid : backend.expungedSince(user, box.name, f.changedSince())) {
        if (f.set().contains(uid, box.lastUid()) && box.seqOf(uid) == 0) {
          vanished.add(uid);
        }
      }
      if (!vanished.isEmpty()) {
        out.text("* VANISHED (EARLIER) ").text(SequenceSet.format(vanished, true)).crlf();
      }
    }
    boolean setsSeen = !box.readOnly && f.items().stream()
        .anyMatch(i -> (i instanceof FetchAtt.Section s && !s.peek()) || (i instanceof FetchAtt.Binary b && !b.peek()));
    int gone = 0;
    int corrupt = 0;
    boolean unknownCte = false;
    HeaderFieldsCache.Lookup headers = headerCache.lookup(user, box.name, box.uidValidity, f.items());
    Set<LoadedMessage.Part> parts = FetchAssembler.partsNeeded(f.items());
    Set<LoadedMessage.Part> partsIfCached = FetchAssembler.partsNeeded(f.items(), headers);
    List<Long> batch = new ArrayList<>(MessageView.BATCH);
    for (int i = 0; i < uids.size(); i++) {
      long uid = uids.get(i);
      MessageMeta meta = box.meta(uid);
      if (box.isGone(uid) || meta == null) {
        gone++;
      } else if (f.changedSince() < 0 || meta.modSeq() > f.changedSince()) {
        batch.add(uid);
      }
      if (batch.size() < MessageView.BATCH && i < uids.size() - 1) {
        continue;
      }
      Set<Long> seenNow = setsSeen ? markSeen(box, batch) : Set.of();
      List<MessageMeta> metas = new ArrayList<>(batch.size());
      for (long u : batch) {
        metas.add(box.meta(u));
      }
      for (MessageView view : loadForFetch(box, metas, parts, partsIfCached, headers)) {
        long u = view.meta.uid();
        try {
          FetchAssembler.Result r = FetchAssembler.write(out, scratch, headers, box.seqOf(u), view, f.items(), box.flagsOf(view.meta),
              f.uid(), condstore && f.changedSince() >= 0, seenNow.contains(u));
          if (r == FetchAssembler.Result.GONE) {
            gone++;
          } else if (r == FetchAssembler.Result.UNKNOWN_CTE) {
            unknownCte = true;
          }
        } catch (CorruptMessageException e) {
          corrupt++;
          log.warn("session={} event=corrupt-message mailbox={} uid={} error={}", sessionId, box.name, u, e.getMessage());
        }
      }
      batch.clear();
    }
    if (corrupt > 0) {
      return no(f.tag(), out, "[SERVERBUG] " + corrupt + " message(s) failed their integrity check and were skipped");
    }
    if (unknownCte) {
      return no(f.tag(), out, "[UNKNOWN-CTE] Unknown content transfer encoding");
    }
    if (gone > 0) {
      out.text(f.tag()).text(" OK [EXPUNGEISSUED] Some messages were expunged").crlf();
      return Outcome.CONTINUE;
    }
    return ok(f.tag(), out, f.verb() + " completed");
  }

  /**
   * Views of one batch of a FETCH, in order: messages whose cacheable header sections are all kept
   * in {@code headers} load only {@code partsIfCached} (usually nothing: a header list then reads no
   * message at all), the others load {@code parts}.
   */
  private List<MessageView> loadForFetch(SelectedMailbox box, List<MessageMeta> metas, Set<LoadedMessage.Part> parts,
      Set<LoadedMessage.Part> partsIfCached, HeaderFieldsCache.Lookup headers) {
    if (parts.equals(partsIfCached)) {
      return MessageView.load(backend, user, box.name, box.uidValidity, metas, parts);
    }
    List<MessageMeta> cached = new ArrayList<>(metas.size());
    List<MessageMeta> uncached = new ArrayList<>(metas.size());
    for (MessageMeta m : metas) {
      (headers.hasAll(m) ? cached : uncached).add(m);
    }
    if (uncached.isEmpty() || cached.isEmpty()) {
      return MessageView.load(backend, user, box.name, box.uidValidity, metas,
          uncached.isEmpty() ? partsIfCached : parts);
    }
    Map<Long, MessageView> byUid = new HashMap<>();
    for (MessageView v : MessageView.load(backend, user, box.name, box.uidValidity, cached, partsIfCached)) {
      byUid.put(v.meta.uid(), v);
    }
    for (MessageView v : MessageView.load(backend, user, box.name, box.uidValidity, uncached, parts)) {
      byUid.put(v.meta.uid(), v);
    }
    List<MessageView> views = new ArrayList<>(metas.size());
    for (MessageMeta m : metas) {
      views.add(byUid.get(m.uid()));
    }
    return views;
  }

  /** Sets \\Seen, in one store call, on those of {@code uids} without it (FETCH of a body without PEEK). */
  private Set<Long> markSeen(SelectedMailbox box, List<Long> uids) {
    List<Long> unseen = new ArrayList<>();
    for (long uid : uids) {
      if (!box.meta(uid).flags().contains("\\Seen")) {
        unseen.add(uid);
      }
    }
    if (unseen.isEmpty()) {
      return Set.of();
    }
    long before = commitsNow();
    FlagResult r;
    try {
      r = backend.updateFlags(user, box.name, box.uidValidity, unseen,
          new FlagUpdate(FlagUpdate.Mode.ADD, Set.of("\\Seen"), -1));
    } catch (StorageUnavailableException e) {
      // Reading goes on while the disk refuses writes: the body is sent without setting \Seen.
      log.debug("session={} event=seen-not-set mailbox={} error={}", sessionId, box.name, e.getMessage());
      return Set.of();
    }
    for (MessageMeta m : r.updated()) {
      box.update(m);
    }
    ownWriteApplied(before);
    return new HashSet<>(unseen);
  }

  private Outcome store(ImapCommand.Store s, ImapWriter out) {
    if (selected.readOnly) {
      return no(s.tag(), out, "[READ-ONLY] Mailbox is read-only");
    }
    if (s.unchangedSince() >= 0) {
      condstore = true;
    }
    SelectedMailbox box = selected;
    List<Long> uids = box.resolve(s.set(), s.uid());
    if (uids == null) {
      return bad(s.tag(), out, "Invalid message number");
    }
    uids.removeIf(box::isGone);
    Set<String> flags = new LinkedHashSet<>(s.flags());
    flags.remove("\\Recent");
    FlagUpdate.Mode mode = switch (s.mode()) {
      case REPLACE -> FlagUpdate.Mode.REPLACE;
      case ADD -> FlagUpdate.Mode.ADD;
      case REMOVE -> FlagUpdate.Mode.REMOVE;
    };
    long before = commitsNow();
    FlagResult r = uids.isEmpty() ? new FlagResult(List.of(), Set.of())
        : backend.updateFlags(user, box.name, box.uidValidity, uids, new FlagUpdate(mode, flags, s.unchangedSince()));
    for (MessageMeta m : r.updated()) {
      box.update(m);
      int seq = box.seqOf(m.uid());
      if (seq > 0 && (!s.silent() || s.unchangedSince() >= 0)) {
        box.writeFlags(out, seq, box.meta(m.uid()), condstore, s.uid() || qresync);
      }
    }
    if (!r.modified().isEmpty()) {
      List<Long> modified = s.uid() ? new ArrayList<>(r.modified())
          : r.modified().stream().map(u -> (long) box.seqOf(u)).filter(n -> n > 0).toList();
      out.text(s.tag()).text(" OK [MODIFIED ").text(SequenceSet.format(modified, true)).text("] Conditional STORE failed")
          .crlf();
      return Outcome.CONTINUE;
    }
    ownWriteApplied(before);
    return ok(s.tag(), out, s.verb() + " completed");
  }

  private Outcome copy(ImapCommand.Copy c, ImapWriter out) {
    if (c.move() && selected.readOnly) {
      return no(c.tag(), out, "[READ-ONLY] Mailbox is read-only");
    }
    SelectedMailbox box = selected;
    List<Long> uids = box.resolve(c.set(), c.uid());
    if (uids == null) {
      return bad(c.tag(), out, "Invalid message number");
    }
    uids.removeIf(box::isGone);
    Optional<String> to = decodeName(c.mailbox());
    if (to.isEmpty() || backend.mailbox(user, to.get()).isEmpty()) {
      return no(c.tag(), out, "[TRYCREATE] No such mailbox");
    }
    if (uids.isEmpty()) {
      return ok(c.tag(), out, c.verb() + " completed");
    }
    CopyResult r = backend.copy(user, box.name, box.uidValidity, uids, to.get(), c.move());
    String copyUid = "[COPYUID " + r.uidValidity() + " " + SequenceSet.format(r.sourceUids(), false) + " "
        + SequenceSet.format(r.destinationUids(), false) + "]";
    if (c.move()) {
      out.text("* OK ").text(copyUid).text(" Moved").crlf();
      box.expunged(r.sourceUids(), out, qresync);
      return ok(c.tag(), out, c.verb() + " completed");
    }
    out.text(c.tag()).text(" OK ").text(copyUid).sp().text(c.verb()).text(" completed").crlf();
    return Outcome.CONTINUE;
  }

  // ---- Change notification --------------------------------------------------------------------

  private void changed(MailboxEvent event) {
    SelectedMailbox s = selected;
    if (s != null && event.mailbox().equals(s.name)) {
      wakeup.run();
    }
  }

  /** During IDLE: reports pending changes of the selected mailbox (EXPUNGE included). */
  public synchronized void idleSync(ImapWriter out) {
    syncSelected(out, true);
  }

  /** Whether the session said BYE because the selected mailbox's UIDVALIDITY changed: close the connection. */
  public synchronized boolean ended() {
    return uidValidityChanged;
  }

  /** The line that ends IDLE: "DONE" completes it, anything else is a BAD. */
  public synchronized Outcome idleDone(String line, ImapWriter out) {
    String tag = idleTag;
    idleTag = null;
    if (line == null || !line.equalsIgnoreCase("DONE")) {
      out.text(tag).text(" BAD Expected DONE").crlf();
      return countError(out);
    }
    syncSelected(out, true);
    Outcome outcome = ok(tag, out, "IDLE terminated");
    return uidValidityChanged ? Outcome.CLOSE : outcome;
  }

  private void syncSelected(ImapWriter out, boolean allowExpunge) {
    SelectedMailbox box = selected;
    if (box == null) {
      return;
    }
    if (!changedSinceSync()) {
      // nothing committed since the view was last read: re-reading would find the same; only
      // expunges seen at a boundary where they could not be reported may still be due
      if (allowExpunge && box.hasUnreportedExpunges()) {
        box.expunged(List.of(), out, qresync);
      }
      return;
    }
    syncedCommits = commitsNow();
    Optional<MailboxContents> contents = backend.contents(user, box.name);
    Optional<MailboxInfo> info = contents.map(MailboxContents::info);
    if (info.isPresent() && info.get().uidValidity() != box.uidValidity) {
      // The mailbox was created again, or a cluster renumbered it: the UIDs this session holds name
      // other messages now, and a session's UIDVALIDITY cannot change (RFC 9051 2.3.1.1).
      log.info("session={} event=uidvalidity-changed user={} mailbox={} was={} now={}", sessionId, user, box.name,
          box.uidValidity, info.get().uidValidity());
      uidValidityChanged = true;
      out.text("* BYE Mailbox UIDVALIDITY changed; select it again").crlf();
      return;
    }
    List<MessageMeta> messages = contents.map(MailboxContents::messages).orElse(List.of());
    box.sync(messages, info.map(MailboxInfo::highestModSeq).orElse(0L), info.map(MailboxInfo::uidNext).orElse(0L),
        new SelectedMailbox.SyncMode(allowExpunge, qresync, condstore, !rev2), out,
        added -> {
          long before = claimRecent(box.name, box.uidValidity, box.readOnly ? 0 : added.get(added.size() - 1));
          return added.stream().filter(u -> u > before).toList();
        });
    warnIfPartial(box.name, out);
  }

  /**
   * Tells the client, as an untagged warning (RFC 9051 section 7.1.2), when part of the selected
   * mailbox is on cluster nodes that cannot be reached, and again when that changes; the messages
   * it already knows from them stay listed, and fetching them fails until the nodes return.
   */
  private void warnIfPartial(String mailbox, ImapWriter out) {
    List<String> missing = backend.unreachable(user, mailbox);
    if (missing.equals(warnedUnreachable)) {
      return;
    }
    warnedUnreachable = missing;
    if (missing.isEmpty()) {
      out.text("* OK All of this mailbox is reachable again").crlf();
    } else {
      out.text("* NO [UNAVAILABLE] Part of this mailbox is stored on ").text(printable(String.join(", ", missing)))
          .text(", unreachable now: its messages cannot be fetched, and may be missing from the listing, until ")
          .text(missing.size() == 1 ? "it returns" : "they return").crlf();
    }
  }

  // ---- Helpers --------------------------------------------------------------------------------

  private boolean utf8() {
    return rev2 || utf8Accept;
  }

  /** A mailbox name as sent, decoded: UTF-8 when enabled, else modified UTF-7; INBOX canonical. */
  private Optional<String> decodeName(String wire) {
    Optional<String> name = utf8() ? Optional.of(wire) : ModifiedUtf7.decode(wire);
    return name.map(n -> {
      if (n.equalsIgnoreCase("INBOX")) {
        return "INBOX";
      }
      if (n.length() > 6 && n.substring(0, 6).equalsIgnoreCase("INBOX/")) {
        return "INBOX" + n.substring(5);
      }
      return n;
    });
  }

  private Outcome countError(ImapWriter out) {
    errors++;
    if (errors >= settings.maxErrors()) {
      log.info("session={} event=too-many-errors user={} from={}", sessionId, user, address.getHostAddress());
      out.text("* BYE Too many errors").crlf();
      close();
      return Outcome.CLOSE;
    }
    return Outcome.CONTINUE;
  }

  private static Outcome ok(String tag, ImapWriter out, String text) {
    out.text(tag).text(" OK ").text(text).crlf();
    return Outcome.CONTINUE;
  }

  private static Outcome no(String tag, ImapWriter out, String text) {
    out.text(tag).text(" NO ").text(text).crlf();
    return Outcome.CONTINUE;
  }

  /**
   * CLOSE's expunge. CLOSE ends in the authenticated state whatever happens (RFC 9051, 6.4.2, has only
   * OK and BAD for it): a refused expunge (a disk full, a cluster node out of reach) is told in an
   * untagged NO, and the messages stay, flagged \Deleted, for a later EXPUNGE or CLOSE. A mailbox
   * renumbered meanwhile still ends the session ({@link UidValidityChangedException}).
   */
  private void closeExpunge(List<Long> deleted, ImapWriter out) {
    try {
      backend.expunge(user, selected.name, selected.uidValidity, deleted);
    } catch (UidValidityChangedException e) {
      throw e;
    } catch (StoreException e) {
      log.info("session={} event=close-expunge-refused user={} mailbox={} error={}", sessionId, user, selected.name,
          e.getMessage());
      out.text("* NO ").text(storeCode(e)).text("CLOSE expunged nothing: ").text(printable(e.getMessage())).crlf();
    }
  }

  private Outcome bad(String tag, ImapWriter out, String text) {
    out.text(tag).text(" BAD ").text(text).crlf();
    return countError(out);
  }

  private static String storeCode(StoreException e) {
    if (e instanceof StorageUnavailableException) {
      return "[UNAVAILABLE] "; // RFC 5530: the disk is full or failing; the client keeps the message and retries
    }
    String m = e.getMessage() == null ? "" : e.getMessage().toLowerCase(Locale.ROOT);
    if (m.endsWith("try again") || m.endsWith("try again later")) {
      return "[UNAVAILABLE] "; // RFC 5530: temporary, the client may retry (a node down, a cluster reconfiguring)
    }
    if (m.contains("quota")) {
      return "[OVERQUOTA] ";
    }
    if (m.contains("exist")) {
      return m.contains("not") || m.contains("unknown") ? "[NONEXISTENT] " : "[ALREADYEXISTS] ";
    }
    return "";
  }

  private static String printable(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length() && i < 100; i++) {
      char c = s.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }
}
