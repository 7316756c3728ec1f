package dev.quill.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * IMAP benchmark: operations per second under a mixed workload resembling what mail clients do, with per-command
 * latency; or, with {@code --mode fetch-full}, full-message fetches per second.
 *
 * <p><b>Sessions.</b> {@code --concurrency} clients, each on a virtual thread, repeat sessions until
 * {@code --duration} seconds pass (or each has done {@code --rounds} sessions). A session connects, logs in as a
 * mailbox picked uniformly from {@code <prefix>1..<prefix>U@domain} ({@code --pick sequential} takes them in
 * turn), SELECTs INBOX and synchronises its UID list and flags with {@code UID FETCH 1:* (FLAGS)} (as a client
 * resynchronising its cache does), runs {@code --reconnect-every} operations, and LOGs OUT: logins and mailbox
 * opening are part of real load, since mobile and webmail clients reconnect often. {@code --ramp-up} spreads the
 * sessions' first connections over some seconds, as real clients do not all connect at one instant (Dovecot's
 * default mode listens with a backlog of 100, and 200 simultaneous connects overflow it into SYN retries).
 *
 * <p><b>Mixed workload</b> ({@code --mode mixed}, the default). Each operation is drawn at random with the weights
 * of {@code --mix} (default {@value #DEFAULT_MIX}):
 * <ul>
 *   <li>{@code headers} (25): the message-list view, {@code UID FETCH a:b (UID FLAGS RFC822.SIZE
 *       BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])} on the latest {@code --fetch-headers} (50)
 *       messages, the request a client sends when a folder is opened or scrolled. The latency target
 *       (p99 under 50 ms at 200 sessions on 1,000 mailboxes.users x 100 messages) is on this command.</li>
 *   <li>{@code body} (25): opening a message, {@code UID FETCH u (UID RFC822.SIZE BODY.PEEK[])} on one of the
 *       latest 50 (readers open recent mail); the body size is checked against RFC822.SIZE.</li>
 *   <li>{@code store} (15): {@code UID STORE u +FLAGS (\Seen)} or {@code -FLAGS}, and a quarter of the time
 *       {@code \Flagged}: marking read/unread and flagging, the commonest writes.</li>
 *   <li>{@code search} (10): {@code UID SEARCH UNSEEN} (half: the unread count), {@code UID SEARCH FROM "bench"}
 *       (a quarter) and {@code UID SEARCH BODY "quill"} (a quarter: a full-text scan without an index).</li>
 *   <li>{@code append} (5): {@code APPEND INBOX (\Seen)} of a {@code --append-size} (4,096-byte) message, as a
 *       client saving a sent message or draft does, with LITERAL+ when advertised; then, to keep mailbox sizes
 *       stable, {@code UID STORE +FLAGS.SILENT (\Deleted)} and {@code UID EXPUNGE} of it (UIDPLUS's APPENDUID
 *       names it; without UIDPLUS a {@code UID SEARCH HEADER Message-ID} finds it and EXPUNGE removes it).</li>
 *   <li>{@code idle} (10): IDLE, {@code --idle-ms} (100) of waiting for news, DONE: a client parking between
 *       user actions.</li>
 *   <li>{@code switch} (10): SELECT Archive (created on first use) with its flag sync, then SELECT INBOX and its
 *       flag sync again: the user glancing at another folder and coming back.</li>
 * </ul>
 * Reads dominate (about two thirds), as in real mail use; every operation is one command except append (three)
 * and switch (four).
 *
 * <p><b>Fetch-full workload</b> ({@code --mode fetch-full}): after the SELECT and flag sync, each operation is
 * {@code UID FETCH u (UID RFC822.SIZE BODY.PEEK[])} of a random message of the mailbox; the rate is messages per
 * second.
 *
 * <p><b>Measured.</b> Throughput is operations (mix steps, or messages in fetch-full) completed over the run's
 * wall time; the logins and SELECTs of session setup are timed but not counted as operations. Latency is per
 * command, from writing it to reading its tagged status (IDLE: to the continuation; DONE: to the tagged OK;
 * connect: TCP connect and greeting). Errors are NO/BAD statuses (the session goes on), and I/O or protocol
 * failures (the session is dropped and a new one started). A UID FETCH finding fewer messages than asked for
 * (another session of the same user expunged one) is counted apart, not as an error.
 *
 * <p><b>Commands</b> (the comparison in docs/BENCHMARKS.md):
 * <pre>./quill bench imap --port 2144 --concurrency 200 --users 1000 --password pw --duration 30 --ramp-up 5
 * ./quill bench imap --port 2144 --concurrency 200 --users 1000 --password pw --duration 30 --ramp-up 5 \
 *     --mode fetch-full</pre>
 */
@Command(name = "imap", mixinStandardHelpOptions = true,
    description = "Mixed IMAP client workload (or full-message fetches) on random mailboxes; report operations/s"
        + " and per-command latency.")
public final class ImapBench implements Callable<Integer> {
  static final String DEFAULT_MIX = "headers=25,body=25,store=15,search=10,append=5,idle=10,switch=10";

  @picocli.CommandLine.Mixin
  MailboxOptions mailboxes = new MailboxOptions();
  @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server address (default: ${DEFAULT-VALUE}).")
  String host;
  @Option(names = "--port", defaultValue = "2143", description = "Server port (default: ${DEFAULT-VALUE}).")
  int port;
  @Option(names = {"--concurrency", "-c"}, defaultValue = "200", description = "Concurrent IMAP sessions.")
  int concurrency;
  @Option(names = "--mode", defaultValue = "mixed", converter = ModeConverter.class,
      description = "mixed (the --mix workload) or fetch-full (only UID FETCH BODY.PEEK[] of random messages).")
  Mode mode;
  @Option(names = "--mix", defaultValue = DEFAULT_MIX,
      description = "Operation weights, name=weight,... of headers, body, store, search, append, idle, switch"
          + " (default: ${DEFAULT-VALUE}).")
  String mix;
  @Option(names = "--fetch-headers", defaultValue = "50", description = "Messages per header fetch (the latest).")
  int fetchHeaders;
  @Option(names = "--reconnect-every", defaultValue = "50",
      description = "Operations per session before LOGOUT and a new login (default: ${DEFAULT-VALUE}).")
  int reconnectEvery;
  @Option(names = "--idle-ms", defaultValue = "100", description = "Milliseconds between IDLE and DONE.")
  int idleMillis;
  @Option(names = "--think-ms", defaultValue = "0",
      description = "Mean pause between a session's operations, ms, exponentially distributed (a person reading); 0 = none, "
          + "a closed loop that saturates the server.")
  long thinkMs;
  @Option(names = "--append-size", defaultValue = "4096", description = "Size of APPENDed messages, bytes.")
  int appendSize;
  @Option(names = "--no-expunge", description = "Keep APPENDed messages (mailboxes grow).")
  boolean noExpunge;
  @Option(names = "--sync-literals", description = "APPEND with synchronizing literals even if LITERAL+ is offered.")
  boolean syncLiterals;
  @Option(names = "--other-mailbox", defaultValue = "Archive", description = "Folder the switch operation opens.")
  String otherMailbox;
  @Option(names = "--duration", description = "Seconds to run (default 30 unless --rounds is given).")
  Integer durationSeconds;
  @Option(names = "--rounds", description = "Sessions per client; the run still ends at --max-duration.")
  Integer rounds;
  @Option(names = "--max-duration", defaultValue = "600", description = "Hard limit in seconds with --rounds.")
  int maxDurationSeconds;
  @Option(names = "--ramp-up", defaultValue = "0",
      description = "Seconds over which the sessions' first connections are spread (0: all at once).")
  double rampUpSeconds;
  @Option(names = "--timeout", defaultValue = "30", description = "Connect and read timeout, seconds.")
  int timeoutSeconds;
  @Option(names = "--max-errors", defaultValue = "1000", description = "Stop early after this many errors.")
  long maxErrors;
  @Option(names = "--allow-errors", description = "Exit 0 even if some operations failed.")
  boolean allowErrors;

  /** The workload. */
  enum Mode {
    MIXED("mixed"), FETCH_FULL("fetch-full");

    final String name;

    Mode(String name) {
      this.name = name;
    }
  }

  /** Reads --mode by its dashed name. */
  static final class ModeConverter implements picocli.CommandLine.ITypeConverter<Mode> {
    @Override
    public Mode convert(String value) {
      for (Mode m : Mode.values()) {
        if (m.name.equals(value)) {
          return m;
        }
      }
      throw new picocli.CommandLine.TypeConversionException("expected mixed or fetch-full, got '" + value + "'");
    }
  }

  /** How a session chooses its mailbox. */

  /** The operations of the mixed workload, in --mix names. */
  enum Op { headers, body, store, search, append, idle, switch_ }

  /** What is timed: one histogram per command kind. */
  enum Cmd {
    CONNECT("connect+greeting"), LOGIN("LOGIN"), SELECT("SELECT"), SYNC("UID FETCH 1:* (FLAGS)"),
    HEADERS("UID FETCH headers"), BODY("UID FETCH BODY.PEEK[]"), STORE("UID STORE"),
    SEARCH_UNSEEN("UID SEARCH UNSEEN"), SEARCH_FROM("UID SEARCH FROM"), SEARCH_BODY("UID SEARCH BODY"),
    APPEND("APPEND"), EXPUNGE("UID EXPUNGE"), IDLE("IDLE (to +)"), DONE("DONE (to OK)"), CREATE("CREATE"),
    LOGOUT("LOGOUT");

    final String label;

    Cmd(String label) {
      this.label = label;
    }
  }

  private final LongAdder sessions = new LongAdder();
  private final LongAdder ops = new LongAdder();
  private final LongAdder commands = new LongAdder();
  private final LongAdder bodies = new LongAdder();
  private final LongAdder bodyBytes = new LongAdder();
  private final LongAdder headerMessages = new LongAdder();
  private final LongAdder shortFetches = new LongAdder();
  private final LongAdder sizeMismatches = new LongAdder();
  private final LongAdder emptyMailboxes = new LongAdder();
  private final LongAdder appendsKept = new LongAdder();
  private final LongAdder creates = new LongAdder();
  private final ErrorTally errors = new ErrorTally();
  private final String runId = Long.toString(System.currentTimeMillis(), 36);
  private final LongAdder late = new LongAdder();
  private Op[] table;
  private long deadline;
  private volatile boolean stop;

  @Override
  public Integer call() throws Exception {
    if (concurrency < 1 || mailboxes.users < 1 || (rounds != null && rounds < 1) || reconnectEvery < 1 || fetchHeaders < 1
        || (durationSeconds != null && durationSeconds < 1) || idleMillis < 0 || thinkMs < 0 || appendSize < 64
        || !(rampUpSeconds >= 0)) {
      System.err.println("error: --concurrency, --users, --rounds, --duration, --reconnect-every and"
          + " --fetch-headers must be at least 1, --idle-ms, --think-ms and --ramp-up at least 0, --append-size at least 64");
      return 2;
    }
    try {
      table = parseMix(mix);
    } catch (IllegalArgumentException e) {
      System.err.println("error: --mix: " + e.getMessage());
      return 2;
    }
    var limit = OpenFiles.softLimit();
    if (limit.isPresent() && limit.getAsLong() < concurrency + IdleBench.SPARE_DESCRIPTORS) {
      System.err.printf("error: the open-file limit is %d, too low for %d sessions; raise it with `ulimit -n`%n",
          limit.getAsLong(), concurrency);
      return 2;
    }
    int seconds = durationSeconds != null ? durationSeconds : rounds != null ? maxDurationSeconds : 30;
    int sessionsPerClient = rounds != null ? rounds : Integer.MAX_VALUE;
    System.out.printf("IMAP benchmark: %s:%d, %s, %d sessions, %d mailboxes @%s, %s, %d operations per login%s%n",
        host, port, mode == Mode.MIXED ? "mix " + mix : "fetch-full", concurrency, mailboxes.users, mailboxes.domain,
        rounds != null ? rounds + " sessions per client" : seconds + " s", reconnectEvery,
        mode == Mode.MIXED ? ", headers of " + fetchHeaders : "");

    var perClient = new ArrayList<Map<Cmd, LatencyHistogram>>();
    long start = System.nanoTime();
    deadline = start + seconds * 1_000_000_000L;
    try (var _ = new Progress(5000, () -> ops.sum() + " operations in " + sessions.sum() + " sessions, "
        + errors.total() + " errors");
        var exec = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < concurrency; i++) {
        var histograms = new EnumMap<Cmd, LatencyHistogram>(Cmd.class);
        for (Cmd c : Cmd.values()) {
          histograms.put(c, new LatencyHistogram());
        }
        perClient.add(histograms);
        long seed = i;
        long delayNanos = (long) (rampUpSeconds * 1e9 * i / concurrency);
        exec.submit(() -> {
          pause(delayNanos / 1_000_000);
          client(new Session(histograms, new MessageBuilder(seed)), sessionsPerClient);
        });
      }
    }
    long end = System.nanoTime();
    return report(perClient, Math.min(end, deadline) - start, end - start);
  }

  /** Expands name=weight pairs into a 100-or-so slot table drawn from uniformly. */
  static Op[] parseMix(String spec) {
    var weights = new LinkedHashMap<Op, Integer>();
    for (String part : spec.split(",")) {
      String[] kv = part.trim().split("=");
      if (kv.length != 2) {
        throw new IllegalArgumentException("expected name=weight, got \"" + part + "\"");
      }
      Op op;
      try {
        op = Op.valueOf(kv[0].trim().equals("switch") ? "switch_" : kv[0].trim());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("unknown operation \"" + kv[0].trim() + "\" (expected one of headers,"
            + " body, store, search, append, idle, switch)");
      }
      int w;
      try {
        w = Integer.parseInt(kv[1].trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("weight of " + kv[0].trim() + " is not a number: \"" + kv[1] + "\"");
      }
      if (w < 0 || w > 10_000) {
        throw new IllegalArgumentException("weight of " + kv[0].trim() + " must be in 0..10000");
      }
      weights.merge(op, w, Integer::sum);
    }
    var table = new ArrayList<Op>();
    weights.forEach((op, w) -> {
      for (int i = 0; i < w; i++) {
        table.add(op);
      }
    });
    if (table.isEmpty()) {
      throw new IllegalArgumentException("all weights are 0");
    }
    return table.toArray(Op[]::new);
  }

  /** One client's state: its histograms, message builder and the mailbox it has selected. */
  private final class Session {
    final Map<Cmd, LatencyHistogram> timing;
    final MessageBuilder messages;
    ImapClient imap;
    String user;
    long[] uids = new long[0];
    Map<Long, Long> sizes = new java.util.HashMap<>();
    long appended;

    Session(Map<Cmd, LatencyHistogram> timing, MessageBuilder messages) {
      this.timing = timing;
      this.messages = messages;
    }

    /** Runs and times one command that must answer OK. */
    ImapClient.Result run(Cmd cmd, String command) throws IOException {
      long t = System.nanoTime();
      var result = imap.command(command);
      timing.get(cmd).record(System.nanoTime() - t);
      commands.increment();
      if (!result.ok()) {
        throw new ImapClient.ImapException(cmd.label, result.status());
      }
      return result;
    }
  }

  private void client(Session s, int sessionsPerClient) {
    for (int n = 0; n < sessionsPerClient && !stop && System.nanoTime() - deadline < 0; n++) {
      long user = mailboxes.next();
      s.user = mailboxes.address(user);
      String login = mailboxes.login(user);
      long t = System.nanoTime();
      try (var imap = ImapClient.connect(host, port, timeoutSeconds * 1000)) {
        s.imap = imap;
        imap.syncLiteralsOnly(syncLiterals);
        s.timing.get(Cmd.CONNECT).record(System.nanoTime() - t);
        t = System.nanoTime();
        imap.login(login, mailboxes.password);
        s.timing.get(Cmd.LOGIN).record(System.nanoTime() - t);
        commands.increment();
        select(s, "INBOX");
        if (s.uids.length == 0) {
          emptyMailboxes.increment();
        }
        for (int op = 0; op < reconnectEvery && !stop && System.nanoTime() - deadline < 0; op++) {
          try {
            if (mode == Mode.MIXED) {
              mixed(s, table[ThreadLocalRandom.current().nextInt(table.length)]);
            } else {
              fetchBody(s, s.uids.length);
            }
            if (System.nanoTime() - deadline < 0) {
              ops.increment();
            } else {
              late.increment();
            }
            think();
          } catch (ImapClient.ImapException e) {
            errors.reply(e.getMessage());
            checkStop();
          }
        }
        long lt = System.nanoTime();
        imap.logout();
        s.timing.get(Cmd.LOGOUT).record(System.nanoTime() - lt);
        commands.increment();
        sessions.increment();
      } catch (ImapClient.ImapException e) {
        errors.reply(e.getMessage());
      } catch (IOException | RuntimeException e) {
        errors.io(e);
        pause(10);
      } finally {
        s.imap = null;
      }
      checkStop();
    }
  }

  private void checkStop() {
    if (errors.total() >= maxErrors) {
      stop = true;
    }
  }

  /** SELECT, then the UID list and flags with UID FETCH 1:* (FLAGS). */
  private void select(Session s, String mailbox) throws IOException {
    var selected = s.run(Cmd.SELECT, "SELECT " + ImapClient.quote(mailbox));
    long exists = selected.last("EXISTS");
    if (exists < 0) {
      throw new ProtocolException("SELECT " + mailbox + " gave no EXISTS");
    }
    s.sizes.clear();
    if (exists == 0) {
      s.uids = new long[0];
      return;
    }
    var sync = s.run(Cmd.SYNC, "UID FETCH 1:* (FLAGS)");
    var fetches = sync.numbered("FETCH");
    long[] uids = new long[fetches.size()];
    int n = 0;
    for (var f : fetches) {
      long uid = f.fetchItem("UID");
      if (uid > 0) {
        uids[n++] = uid;
      }
    }
    uids = Arrays.copyOf(uids, n);
    Arrays.sort(uids);
    s.uids = uids;
  }

  private void mixed(Session s, Op op) throws IOException {
    var random = ThreadLocalRandom.current();
    switch (op) {
      case headers -> headers(s);
      case body -> fetchBody(s, Math.min(fetchHeaders, s.uids.length));
      case store -> {
        long uid = recentUid(s);
        if (uid < 0) {
          return;
        }
        String flag = random.nextInt(4) == 0 ? "\\Flagged" : "\\Seen";
        s.run(Cmd.STORE, "UID STORE " + uid + (random.nextBoolean() ? " +" : " -") + "FLAGS (" + flag + ")");
      }
      case search -> {
        int kind = random.nextInt(4);
        if (kind < 2) {
          s.run(Cmd.SEARCH_UNSEEN, "UID SEARCH UNSEEN");
        } else if (kind == 2) {
          s.run(Cmd.SEARCH_FROM, "UID SEARCH FROM \"bench\"");
        } else {
          s.run(Cmd.SEARCH_BODY, "UID SEARCH BODY \"quill\"");
        }
      }
      case append -> append(s);
      case idle -> {
        long[] t = s.imap.idle(idleMillis);
        s.timing.get(Cmd.IDLE).record(t[0]);
        s.timing.get(Cmd.DONE).record(t[1]);
        commands.increment();
      }
      case switch_ -> {
        try {
          select(s, otherMailbox);
        } catch (ImapClient.ImapException e) {
          // Not there yet: create it (another session may just have) and select again.
          long t = System.nanoTime();
          var created = s.imap.command("CREATE " + ImapClient.quote(otherMailbox));
          s.timing.get(Cmd.CREATE).record(System.nanoTime() - t);
          commands.increment();
          if (!created.ok() && !created.status().code().toUpperCase(Locale.ROOT).startsWith("ALREADYEXISTS")) {
            throw new ImapClient.ImapException("CREATE " + otherMailbox, created.status());
          }
          creates.increment();
          select(s, otherMailbox);
        }
        select(s, "INBOX");
      }
    }
  }

  /** UID FETCH of the latest --fetch-headers messages' list-view items. */
  private void headers(Session s) throws IOException {
    int n = Math.min(fetchHeaders, s.uids.length);
    if (n == 0) {
      return;
    }
    long lo = s.uids[s.uids.length - n];
    long hi = s.uids[s.uids.length - 1];
    var result = s.run(Cmd.HEADERS, "UID FETCH " + lo + ":" + hi
        + " (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])");
    int got = 0;
    for (var f : result.numbered("FETCH")) {
      long uid = f.fetchItem("UID");
      long size = f.fetchItem("RFC822.SIZE");
      if (uid > 0 && size >= 0 && !f.literals().isEmpty()) {
        s.sizes.put(uid, size);
        got++;
      }
    }
    headerMessages.add(got);
    if (got < n) {
      shortFetches.increment();
    }
  }

  /** The --think-ms pause: exponential, so sessions do not fall into step; never past the run's end by much. */
  private void think() {
    if (thinkMs > 0) {
      double u = ThreadLocalRandom.current().nextDouble();
      pause((long) Math.min(-Math.log(1 - u) * thinkMs, 10.0 * thinkMs));
    }
  }

  /** UID FETCH BODY.PEEK[] of a random message among the latest {@code among}. */
  private void fetchBody(Session s, int among) throws IOException {
    if (among <= 0) {
      return;
    }
    long uid = s.uids[s.uids.length - 1 - ThreadLocalRandom.current().nextInt(among)];
    var result = s.run(Cmd.BODY, "UID FETCH " + uid + " (UID RFC822.SIZE BODY.PEEK[])");
    boolean found = false;
    for (var f : result.numbered("FETCH")) {
      if (f.fetchItem("UID") != uid || f.literals().isEmpty()) {
        continue; // an unsolicited FLAGS update, say
      }
      found = true;
      long got = f.literals().getLast().length;
      if (System.nanoTime() - deadline < 0) {
        bodies.increment();
      }
      bodyBytes.add(got);
      long size = f.fetchItem("RFC822.SIZE");
      if (size != got) {
        sizeMismatches.increment();
      }
    }
    if (!found) {
      shortFetches.increment();
    }
  }

  /** A random UID among the latest --fetch-headers, the messages a user sees in the list; -1 if none. */
  private long recentUid(Session s) {
    return s.uids.length == 0 ? -1
        : s.uids[s.uids.length - 1 - ThreadLocalRandom.current().nextInt(Math.min(fetchHeaders, s.uids.length))];
  }

  /** APPEND to INBOX, then (unless --no-expunge) remove the message again. */
  private void append(Session s) throws IOException {
    var env = MessageBuilder.envelope("bench@bench.quill.test", s.user, ++s.appended, runId + "."
        + Thread.currentThread().threadId());
    byte[] message = s.messages.build(env, appendSize);
    long t = System.nanoTime();
    var result = s.imap.append("INBOX", "\\Seen", message);
    s.timing.get(Cmd.APPEND).record(System.nanoTime() - t);
    commands.increment();
    if (noExpunge) {
      appendsKept.increment();
      return;
    }
    String[] appendUid = result.code("APPENDUID").split(" ");
    if (appendUid.length == 3 && s.imap.has("UIDPLUS")) {
      s.run(Cmd.STORE, "UID STORE " + appendUid[2] + " +FLAGS.SILENT (\\Deleted)");
      s.run(Cmd.EXPUNGE, "UID EXPUNGE " + appendUid[2]);
      return;
    }
    long[] found = s.run(Cmd.SEARCH_FROM, "UID SEARCH HEADER Message-ID " + ImapClient.quote(env.messageId()))
        .searchResults();
    if (found.length == 0) {
      appendsKept.increment();
      return;
    }
    s.run(Cmd.STORE, "UID STORE " + found[0] + " +FLAGS.SILENT (\\Deleted)");
    s.run(Cmd.EXPUNGE, "EXPUNGE");
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Prints the report. Rates are over {@code window}, from the start to the deadline (or to the end, if the run
   * ended earlier); operations still in flight at the deadline are timed but not counted.
   */
  private int report(List<Map<Cmd, LatencyHistogram>> perClient, long window, long elapsed) {
    var all = new EnumMap<Cmd, LatencyHistogram>(Cmd.class);
    for (Cmd c : Cmd.values()) {
      var h = new LatencyHistogram();
      perClient.forEach(m -> h.add(m.get(c)));
      all.put(c, h);
    }
    double secs = Math.max(1, window) / 1e9;
    double rate = mode == Mode.MIXED ? ops.sum() / secs : bodies.sum() / secs;
    double msgRate = bodies.sum() / secs;
    var out = System.out;
    out.println("  sessions:    " + sessions.sum() + " completed (" + emptyMailboxes.sum() + " on an empty INBOX)"
        + (stop ? ", stopped at --max-errors" : ""));
    out.println("  operations:  " + ops.sum() + " (" + commands.sum() + " commands), " + bodies.sum()
        + " full messages fetched (" + bodyBytes.sum() + " bytes), " + headerMessages.sum()
        + " header sets fetched");
    out.println("  errors:      " + errors.total() + " (" + errors.replyErrors() + " NO/BAD, " + errors.ioErrors()
        + " I/O)");
    out.println("  checks:      " + sizeMismatches.sum() + " bodies differing from RFC822.SIZE, " + shortFetches.sum()
        + " fetches finding fewer messages than asked, " + appendsKept.sum() + " appended messages kept, "
        + creates.sum() + " CREATE " + otherMailbox);
    out.println("  time:        " + Format.secs(window) + " s measured, " + Format.secs(elapsed) + " s until every"
        + " session ended (" + late.sum() + " operations finishing after the deadline not counted)");
    out.println("  rate:        " + Format.one(rate) + (mode == Mode.MIXED ? " operations/s, " : " fetches/s, ")
        + Format.one(msgRate) + " full messages/s, " + Format.one(bodyBytes.sum() / secs / 1e6) + " MB/s");
    out.println("  latency (ms) per command:");
    for (Cmd c : Cmd.values()) {
      if (all.get(c).count() > 0) {
        String label = c == Cmd.HEADERS ? c.label + " of " + fetchHeaders : c.label;
        out.printf("    %-24s %s%n", label, Format.percentiles(all.get(c)));
      }
    }
    errors.print(out);
    if (ops.sum() == 0) {
      out.println("  note: no operation completed; are the mailboxes populated and the password right?");
    }
    out.println("RESULT imap mode=" + mode.name + " target=" + host + ":" + port
        + " ops=" + ops.sum() + " errors=" + errors.total() + " secs=" + Format.secs(window)
        + " rate=" + Format.one(rate) + " msgs_fetched=" + bodies.sum() + " msg_rate=" + Format.one(msgRate)
        + " headers_p50_ms=" + p(all, Cmd.HEADERS, 50) + " headers_p99_ms=" + p(all, Cmd.HEADERS, 99)
        + " body_p50_ms=" + p(all, Cmd.BODY, 50) + " body_p99_ms=" + p(all, Cmd.BODY, 99)
        + " store_p99_ms=" + p(all, Cmd.STORE, 99) + " search_unseen_p99_ms=" + p(all, Cmd.SEARCH_UNSEEN, 99)
        + " append_p99_ms=" + p(all, Cmd.APPEND, 99) + " select_p99_ms=" + p(all, Cmd.SELECT, 99)
        + " login_p99_ms=" + p(all, Cmd.LOGIN, 99) + " connect_p99_ms=" + p(all, Cmd.CONNECT, 99) + " commands=" + commands.sum() + " sessions=" + sessions.sum()
        + " size_mismatches=" + sizeMismatches.sum() + " concurrency=" + concurrency + " users=" + mailboxes.users
        + " think_ms=" + thinkMs);
    out.flush();
    boolean failed = errors.total() > 0 || ops.sum() == 0;
    return failed && !allowErrors ? 1 : 0;
  }

  private static String p(Map<Cmd, LatencyHistogram> all, Cmd cmd, double percentile) {
    return Format.ms(all.get(cmd).percentileNanos(percentile));
  }
}
