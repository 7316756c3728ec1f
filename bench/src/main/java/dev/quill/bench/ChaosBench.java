package dev.quill.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code quill bench chaos}: N real nodes (separate JVMs, on loopback or, with {@code --partitions},
 * each in its own network namespace) under a mail load that records every acknowledged message,
 * every confirmed delete and every confirmed flag change, while a nemesis driven by a seeded random
 * schedule SIGKILLs and restarts nodes, pauses them (SIGSTOP/SIGCONT) and, with namespaces, cuts the
 * network between groups of nodes for a while. At the end every node is healed and, once the cluster
 * has converged, a checker reads every mailbox through every node — every acknowledged message must
 * be there exactly once, no confirmed delete may have returned, the last confirmed flag change must
 * hold, UIDs must be unique, every mailbox must be readable through every node — and compares each
 * node's own copies ({@code quill debug fragments}): the replicas of each message must be identical,
 * none may survive an expunge of another copy, and an acknowledged message must have the copies its
 * write needed; each user's profile must be on min(R, N) nodes with one stamp and one digest
 * ({@link ChaosReplicas}). Prints a RESULT line; exits 1 when anything of that failed
 * to hold within {@code --converge-seconds} of the healing.
 *
 * <p>Faults stay within what the replication promises to survive: at most {@code replicas - 1}
 * nodes are faulty at a time, a node on the cut-off side of a partition counting as faulty.
 */
@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = "Kill, restart and pause real nodes under load; check that nothing acknowledged is lost.")
final class ChaosBench implements Callable<Integer> {
  private static final String DOMAIN = "chaos.test";
  private static final String PASSWORD = "chaos-pw";
  private static final int TIMEOUT_MS = 15_000;

  @Option(names = "--nodes", description = "Nodes, each a JVM (default: ${DEFAULT-VALUE}).")
  int nodeCount = 3;

  @Option(names = "--replicas", description = "Copies of each message (default: ${DEFAULT-VALUE}).")
  int replicas = 2;

  @Option(names = "--seconds", description = "Seconds of load and faults (default: ${DEFAULT-VALUE}).")
  int seconds = 60;

  @Option(names = "--minutes", description = "Minutes of load and faults; overrides --seconds.")
  Integer minutes;

  @Option(names = "--seed", description = "Seed of the fault schedule and the load's choices (default: ${DEFAULT-VALUE}).")
  long seed = 1;

  @Option(names = "--users", description = "Mailboxes, their profiles spread over the nodes (default: ${DEFAULT-VALUE}).")
  int users = 12;

  @Option(names = "--senders", description = "Concurrent SMTP senders (default: ${DEFAULT-VALUE}).")
  int senders = 4;

  @Option(names = "--fault-every", description = "Mean seconds between nemesis actions (default: ${DEFAULT-VALUE}).")
  double faultEvery = 5;

  @Option(names = "--server-jar", description = "The Quill server jar (default: server/target/quill.jar next to this bench jar).")
  Path serverJar;

  @Option(names = "--work", description = "Directory for the nodes' data and logs (default: a new temporary one).")
  Path work;

  @Option(names = "--converge-seconds", description = "How long the healed cluster may take to converge (default: ${DEFAULT-VALUE}).")
  int convergeSeconds = 90;

  @Option(names = "--partitions", description = "Run each node in its own network namespace and add network"
      + " partitions to the faults (needs root and ip; without them the run goes on loopback, without partitions,"
      + " and says why).")
  boolean partitions;

  @Option(names = "--clock-skew", paramLabel = "SECONDS", description = "Run the nodes' clocks up to SECONDS apart:"
      + " each node's hybrid logical clock is offset, evenly from -SECONDS/2 (n1) to +SECONDS/2 (the last node), with"
      + " the test-only key [cluster] clock_offset_for_testing (default: ${DEFAULT-VALUE}, no skew).")
  double clockSkew = 0;

  /** Partitions last a seeded time in this range: some shorter than failure detection, most long enough to split the view. */
  private static final double PARTITION_MIN_SECONDS = 2;
  private static final double PARTITION_MAX_SECONDS = 25;

  private final AtomicLong tokens = new AtomicLong();
  private final AtomicInteger sendFailures = new AtomicInteger();
  private final AtomicInteger deleteFailures = new AtomicInteger();
  private final AtomicInteger flagChanges = new AtomicInteger();
  private final AtomicInteger flagFailures = new AtomicInteger();
  /** Searches that did not find the one message looked for (not visible through that node at that moment). */
  private final AtomicInteger deleteMisses = new AtomicInteger();
  private final AtomicInteger flagMisses = new AtomicInteger();
  private final Map<String, AtomicInteger> faults = new java.util.concurrent.ConcurrentHashMap<>();
  /** {@code <work>/events.log}: every delete and flag change, when and through which node, for tracing a finding. */
  private java.io.PrintWriter events = new java.io.PrintWriter(java.io.Writer.nullWriter());
  /** The latest event of each message, "user token" → line, quoted next to what the checker finds wrong with it. */
  private final Map<String, String> lastEvent = new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public Integer call() throws Exception {
    Duration length = Duration.ofSeconds(minutes != null ? minutes * 60L : seconds);
    if (clockSkew < 0 || clockSkew > 3_600) {
      throw new IllegalArgumentException("--clock-skew: expected 0 to 3600 seconds, found " + clockSkew);
    }
    Path jar = serverJar != null ? serverJar : defaultServerJar();
    Path dir = work != null ? Files.createDirectories(work) : Files.createTempDirectory("quill-chaos");
    Random random = new Random(seed);
    ChaosLedger ledger = new ChaosLedger();
    List<String> mailboxes = new ArrayList<>();
    for (int i = 0; i < users; i++) {
      mailboxes.add("u" + i + "@" + DOMAIN);
    }
    if (partitions) {
      var why = ChaosNetwork.unavailable();
      if (why.isPresent()) {
        log("partitions off: " + why.get() + "; running on loopback without partitions");
        partitions = false;
      }
    }
    log("work " + dir + ", " + nodeCount + " nodes, replicas " + replicas + ", " + length.toSeconds() + " s, seed "
        + seed + (partitions ? ", network namespaces with partitions" : ", loopback")
        + (clockSkew > 0 ? ", clocks up to " + clockSkew + " s apart" : ""));
    // Ctrl-C or a kill of this JVM must not leave nodes running or namespaces behind.
    var toClose = new java.util.concurrent.CopyOnWriteArrayList<AutoCloseable>();
    Thread cleanup = new Thread(() -> toClose.reversed().forEach(ChaosBench::closeQuietly), "chaos-cleanup");
    Runtime.getRuntime().addShutdownHook(cleanup);
    events = new java.io.PrintWriter(Files.newBufferedWriter(dir.resolve("events.log")), true);
    toClose.add(events);
    try (ChaosNetwork network = partitions ? ChaosNetwork.create(nodeCount, ChaosBench::log) : null;
        ChaosNodes nodes = new ChaosNodes(jar, dir, "chaos-" + seed, nodeCount, replicas, network,
            Math.round(clockSkew * 1000))) {
      if (network != null) {
        toClose.add(network);
      }
      toClose.add(nodes);
      nodes.startAll(Duration.ofSeconds(120));
      if (clockSkew > 0) {
        log("clock offsets: " + nodes.all().stream().map(n -> n + " " + n.clockOffsetMillis + " ms").toList());
      }
      setUp(nodes, mailboxes);
      AtomicBoolean loading = new AtomicBoolean(true);
      Instant start = Instant.now();
      List<java.util.concurrent.Future<Void>> tasks = new ArrayList<>();
      try (ExecutorService load = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int s = 0; s < senders; s++) {
          Random r = new Random(seed * 1_000 + s);
          tasks.add(load.submit(() -> send(nodes, mailboxes, ledger, r, loading)));
        }
        Random d = new Random(seed * 1_000 + 999);
        tasks.add(load.submit(() -> delete(nodes, mailboxes, ledger, d, loading)));
        Random f = new Random(seed * 1_000 + 998);
        tasks.add(load.submit(() -> flag(nodes, mailboxes, ledger, f, loading)));
        try {
          nemesis(nodes, random, start.plus(length));
        } finally {
          loading.set(false); // else a nemesis that failed would leave the executor waiting for the load forever
        }
      }
      for (var task : tasks) {
        // A load loop catches what the nodes do to it; anything else is a bug of the harness, and a run
        // whose load stopped early must not pass as if it had gone on.
        try {
          task.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("a load task of the harness died: " + e.getCause(), e.getCause());
        }
      }
      heal(nodes);
      log("load over: " + ledger.ackedCount() + " acknowledged, " + ledger.deletedCount() + " deletes confirmed, "
          + flagChanges.get() + " flag changes confirmed; " + sendFailures.get() + " sends, " + deleteFailures.get()
          + " deletes and " + flagFailures.get() + " flag changes refused or failed, " + deleteMisses.get() + " and "
          + flagMisses.get() + " not found where looked for; faults " + faults);
      return check(nodes, mailboxes, ledger, start);
    } finally {
      events.close();
      try {
        Runtime.getRuntime().removeShutdownHook(cleanup);
      } catch (IllegalStateException e) {
        // the JVM is shutting down: the hook is running or has run
      }
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      log("cleanup: " + e);
    }
  }

  private static Path defaultServerJar() throws IOException {
    Path bench = Path.of(ChaosBench.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    Path jar = bench.getParent().getParent().getParent().resolve("server/target/quill.jar");
    if (!Files.isRegularFile(jar)) {
      throw new IOException("no server jar at " + jar + "; build with ./mvnw package or pass --server-jar");
    }
    return jar;
  }

  /** The domain on the first node (it spreads to all), each user imported through the node that will hold its profile. */
  private void setUp(ChaosNodes nodes, List<String> mailboxes) throws IOException, InterruptedException {
    List<ChaosNodes.Node> all = nodes.all();
    ChaosNodes.Admin domain = nodes.admin(all.getFirst(), "", "domain", "add", DOMAIN);
    if (domain.code() != 0) {
      throw new IOException("domain add failed: " + domain.out());
    }
    for (ChaosNodes.Node n : all) {
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!nodes.admin(n, "", "domain", "list").out().contains(DOMAIN)) {
        if (System.nanoTime() > deadline) {
          throw new IOException(DOMAIN + " did not reach " + n);
        }
        Thread.sleep(200);
      }
    }
    for (int i = 0; i < all.size(); i++) {
      StringBuilder lines = new StringBuilder();
      for (int u = i; u < mailboxes.size(); u += all.size()) {
        lines.append(mailboxes.get(u)).append(' ').append(PASSWORD).append('\n');
      }
      ChaosNodes.Admin imported = nodes.admin(all.get(i), lines.toString(), "user", "import");
      if (imported.code() != 0) {
        throw new IOException("user import on " + all.get(i) + " failed: " + imported.out());
      }
    }
  }

  // ---- the load --------------------------------------------------------------------------------

  private Void send(ChaosNodes nodes, List<String> mailboxes, ChaosLedger ledger, Random r, AtomicBoolean loading) {
    while (loading.get()) {
      String user = mailboxes.get(r.nextInt(mailboxes.size()));
      ChaosNodes.Node via = nodes.all().get(r.nextInt(nodes.all().size()));
      String token = "chaos-" + tokens.incrementAndGet();
      try (SmtpClient smtp = SmtpClient.connect(via.host, via.smtp, TIMEOUT_MS)) {
        smtp.ehlo("load.chaos.test");
        if (smtp.command("MAIL FROM:<load@chaos.test>").code() != 250
            || smtp.command("RCPT TO:<" + user + ">").code() != 250 || smtp.command("DATA").code() != 354) {
          sendFailures.incrementAndGet();
          continue;
        }
        smtp.writeRaw(("From: load@chaos.test\r\nTo: " + user + "\r\nSubject: " + token + "\r\nMessage-ID: <" + token
            + "@chaos.test>\r\n\r\nchaos body " + token + "\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
        smtp.flush();
        if (smtp.readReply().code() == 250) {
          ledger.acked(user, token); // the promise under test: acknowledged means durable
        } else {
          sendFailures.incrementAndGet();
        }
      } catch (IOException | RuntimeException e) {
        sendFailures.incrementAndGet(); // a node down or paused: not acknowledged, nothing promised
        pause(50);
      }
    }
    return null;
  }

  /** Deletes acknowledged messages one at a time through a random node: SEARCH, STORE \Deleted, UID EXPUNGE. */
  private Void delete(ChaosNodes nodes, List<String> mailboxes, ChaosLedger ledger, Random r, AtomicBoolean loading) {
    while (loading.get()) {
      pause(300);
      String user = mailboxes.get(r.nextInt(mailboxes.size()));
      var token = ledger.deletable(user, r);
      if (token.isEmpty()) {
        continue;
      }
      ChaosNodes.Node via = nodes.all().get(r.nextInt(nodes.all().size()));
      boolean tried = false;
      try (ImapClient imap = imap(via, user)) {
        imap.expectOk("SELECT", "SELECT INBOX");
        long[] uids = search(imap, token.get());
        if (uids.length != 1) {
          deleteMisses.incrementAndGet();
          continue; // not visible through this node now (its holders down): try another later
        }
        tried = true;
        event(user, token.get(), "delete UID " + uids[0] + " via " + via);
        ImapClient.Result store = imap.expectOk("STORE", "UID STORE " + uids[0] + " +FLAGS.SILENT (\\Deleted)");
        ImapClient.Result expunge = imap.expectOk("EXPUNGE", "UID EXPUNGE " + uids[0]);
        ledger.deleted(user, token.get());
        event(user, token.get(), "deleted UID " + uids[0] + " via " + via + ": " + responses(store) + "; "
            + responses(expunge));
      } catch (IOException | RuntimeException e) {
        deleteFailures.incrementAndGet();
        if (tried) {
          ledger.deleteUncertain(user, token.get()); // may have reached some copies: either outcome is allowed
          event(user, token.get(), "delete uncertain via " + via + ": " + e.getMessage());
        }
      }
    }
    return null;
  }

  /**
   * Sets or clears {@code \\Flagged} on acknowledged messages, one at a time through a random node, so
   * that the copies have flags to agree on: SEARCH, then UID STORE. An OK is recorded as the flag's
   * expected end state; a failure after the SEARCH leaves that message's flag unknown for the rest of
   * the run (the change may still land).
   */
  private Void flag(ChaosNodes nodes, List<String> mailboxes, ChaosLedger ledger, Random r, AtomicBoolean loading) {
    while (loading.get()) {
      pause(300);
      String user = mailboxes.get(r.nextInt(mailboxes.size()));
      var token = ledger.deletable(user, r);
      if (token.isEmpty()) {
        continue;
      }
      boolean set = r.nextBoolean();
      ChaosNodes.Node via = nodes.all().get(r.nextInt(nodes.all().size()));
      boolean tried = false;
      try (ImapClient imap = imap(via, user)) {
        imap.expectOk("SELECT", "SELECT INBOX");
        long[] uids = search(imap, token.get());
        if (uids.length != 1) {
          flagMisses.incrementAndGet();
          continue;
        }
        tried = true;
        ImapClient.Result store = imap.expectOk("STORE", "UID STORE " + uids[0] + (set ? " +" : " -")
            + "FLAGS.SILENT (\\Flagged)");
        ledger.flagged(user, token.get(), set);
        flagChanges.incrementAndGet();
        event(user, token.get(), (set ? "flagged" : "unflagged") + " UID " + uids[0] + " via " + via + ": "
            + responses(store));
      } catch (IOException | RuntimeException e) {
        flagFailures.incrementAndGet();
        if (tried) {
          ledger.flagUncertain(user, token.get());
          event(user, token.get(), "flag change uncertain via " + via + ": " + e.getMessage());
        }
      }
    }
    return null;
  }

  // ---- the nemesis -----------------------------------------------------------------------------

  /** A partition in force: {@code side} cut off from {@code rest} until {@code healAt}. */
  private record Partition(List<ChaosNodes.Node> side, List<ChaosNodes.Node> rest, Instant healAt) {
    List<Integer> sideIndexes() {
      return side.stream().map(n -> n.index).toList();
    }

    List<Integer> restIndexes() {
      return rest.stream().map(n -> n.index).toList();
    }

    @Override
    public String toString() {
      return side + " | " + rest;
    }
  }

  /**
   * Until {@code end}: every so often (exponential, mean --fault-every) heals a killed or paused node
   * or breaks a healthy one; a partition heals by itself when its seeded time is up. Without
   * partitions the random draws are exactly those of the harness before partitions existed, so a
   * seed gives the same schedule as in the runs recorded before.
   */
  private void nemesis(ChaosNodes nodes, Random random, Instant end) throws Exception {
    int maxFaulty = Math.max(0, replicas - 1);
    List<ChaosNodes.Node> faulty = new ArrayList<>(); // killed or paused
    List<Partition> cuts = new ArrayList<>();
    Instant nextAction = Instant.now().plusMillis(nextWait(random));
    while (true) {
      Instant wake = nextAction.isBefore(end) ? nextAction : end;
      for (Partition p : cuts) {
        wake = p.healAt().isBefore(wake) ? p.healAt() : wake;
      }
      Thread.sleep(Math.max(0, Duration.between(Instant.now(), wake).toMillis()));
      if (!Instant.now().isBefore(end)) {
        break;
      }
      for (Partition p : List.copyOf(cuts)) {
        if (!Instant.now().isBefore(p.healAt())) {
          mend(nodes, cuts, p);
        }
      }
      if (Instant.now().isBefore(nextAction)) {
        continue;
      }
      int cutOff = cuts.stream().mapToInt(p -> p.side().size()).sum();
      if (!faulty.isEmpty() && (faulty.size() + cutOff >= maxFaulty || random.nextBoolean())) {
        ChaosNodes.Node n = faulty.remove(random.nextInt(faulty.size()));
        heal(nodes, n);
      } else if (faulty.size() + cutOff < maxFaulty) {
        List<ChaosNodes.Node> healthy = new ArrayList<>(nodes.all());
        healthy.removeAll(faulty);
        cuts.forEach(p -> healthy.removeAll(p.side()));
        ChaosNodes.Node n = healthy.get(random.nextInt(healthy.size()));
        // 0: pause, 1: partition, 2 and 3: kill — without partitions the old draw, pause 1 in 3
        int kind = partitions ? random.nextInt(4) : random.nextInt(3) == 0 ? 0 : 2;
        if (kind == 0) {
          nodes.pause(n);
          count("pause");
          log("pause " + n);
          faulty.add(n);
        } else if (kind == 1) {
          cuts.add(cut(nodes, random, n, healthy, maxFaulty - faulty.size() - cutOff));
        } else {
          nodes.kill(n);
          count("kill");
          log("kill -9 " + n);
          faulty.add(n);
        }
      }
      nextAction = Instant.now().plusMillis(nextWait(random));
    }
    for (Partition p : List.copyOf(cuts)) {
      mend(nodes, cuts, p);
    }
  }

  private long nextWait(Random random) {
    return (long) (-Math.log(1 - random.nextDouble()) * faultEvery * 1000);
  }

  /**
   * Cuts {@code first} and, room permitting, more healthy nodes (at most half the cluster) off from
   * all the others, for a seeded time.
   */
  private Partition cut(ChaosNodes nodes, Random random, ChaosNodes.Node first, List<ChaosNodes.Node> healthy,
      int room) throws IOException {
    int size = 1 + random.nextInt(Math.max(1, Math.min(room, nodes.all().size() / 2)));
    List<ChaosNodes.Node> side = new ArrayList<>(List.of(first));
    List<ChaosNodes.Node> more = new ArrayList<>(healthy);
    more.remove(first);
    while (side.size() < size && !more.isEmpty()) {
      side.add(more.remove(random.nextInt(more.size())));
    }
    side.sort(java.util.Comparator.comparingInt(n -> n.index));
    List<ChaosNodes.Node> rest = new ArrayList<>(nodes.all());
    rest.removeAll(side);
    double seconds = PARTITION_MIN_SECONDS + random.nextDouble() * (PARTITION_MAX_SECONDS - PARTITION_MIN_SECONDS);
    Partition p = new Partition(side, rest, Instant.now().plusMillis((long) (seconds * 1000)));
    nodes.network().cut(p.sideIndexes(), p.restIndexes());
    count("partition");
    log(String.format(java.util.Locale.ROOT, "partition %s for %.1f s", p, seconds));
    return p;
  }

  /** Heals {@code p}, then cuts again what the partitions still in force need (their cuts may overlap). */
  private void mend(ChaosNodes nodes, List<Partition> cuts, Partition p) throws IOException {
    cuts.remove(p);
    nodes.network().mend(p.sideIndexes(), p.restIndexes());
    for (Partition other : cuts) {
      nodes.network().cut(other.sideIndexes(), other.restIndexes());
    }
    log("heal partition " + p);
  }

  private void heal(ChaosNodes nodes, ChaosNodes.Node n) throws IOException, InterruptedException {
    if (n.paused) {
      nodes.resume(n);
      log("resume " + n);
    } else if (!n.running()) {
      nodes.launch(n);
      count("restart");
      log("restart " + n);
    }
  }

  /** Resumes and restarts every faulty node and waits until all see each other. */
  private void heal(ChaosNodes nodes) throws IOException, InterruptedException {
    for (ChaosNodes.Node n : nodes.all()) {
      heal(nodes, n);
    }
    for (ChaosNodes.Node n : nodes.all()) {
      nodes.awaitListening(n, Duration.ofSeconds(120));
    }
    nodes.awaitMembers(nodes.all().size(), Duration.ofSeconds(120));
  }

  private void count(String fault) {
    faults.computeIfAbsent(fault, f -> new AtomicInteger()).incrementAndGet();
  }

  // ---- the checker -----------------------------------------------------------------------------

  /** What one read of every mailbox through one node found wrong; empty when nothing. */
  private record Problems(int lost, int resurrected, int duplicated, int uidDuplicates, int unreadable,
      int flagsWrong, List<String> details) {
    boolean none() {
      return lost == 0 && resurrected == 0 && duplicated == 0 && uidDuplicates == 0 && unreadable == 0
          && flagsWrong == 0;
    }
  }

  /**
   * Reads every mailbox through every node and compares every node's own copies, until all agree with
   * the ledger and with each other, or the time to converge runs out.
   */
  private int check(ChaosNodes nodes, List<String> mailboxes, ChaosLedger ledger, Instant start) throws Exception {
    long healed = System.nanoTime();
    long deadline = healed + Duration.ofSeconds(convergeSeconds).toNanos();
    Problems last;
    ChaosReplicas.Report copies;
    int rounds = 0;
    while (true) {
      rounds++;
      last = new Problems(0, 0, 0, 0, 0, 0, new ArrayList<>());
      Map<String, Map<Long, String>> shown = new HashMap<>();
      Set<String> unread = new HashSet<>();
      for (ChaosNodes.Node via : nodes.all()) {
        for (String user : mailboxes) {
          Problems p = checkMailbox(via, user, ledger, shown.computeIfAbsent(user, u -> new HashMap<>()));
          if (p.unreadable() > 0) {
            unread.add(user);
          }
          last = add(last, p);
        }
      }
      // A user some node could not be read for has an incomplete map of shown UIDs: no "hidden" verdicts on it.
      unread.forEach(shown::remove);
      copies = compareCopies(nodes, mailboxes, shown, ledger);
      if ((last.none() && copies.safe()) || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(2_000);
    }
    long convergedMs = Duration.ofNanos(System.nanoTime() - healed).toMillis();
    boolean ok = last.none() && copies.safe();
    last.details().stream().limit(20).forEach(d -> log("problem: " + d));
    copies.details().stream().limit(20).forEach(d -> log("replica problem: " + d));
    copies.notes().stream().limit(10).forEach(d -> log("replica note: " + d));
    log("replicas after " + rounds + " rounds: " + copies.messages() + " messages held; " + copies.differing()
        + " with differing copies, " + copies.expungedHeld() + " held although expunged elsewhere, "
        + copies.belowFloor() + " acknowledged below " + floor() + " copies, " + copies.hidden()
        + " held but shown nowhere, " + copies.unlisted() + " nodes unlisted; " + copies.profiles() + " profiles, "
        + copies.profilesDiffer() + " with differing copies, " + copies.profilesUnder() + " on too few nodes"
        + "; not failures: " + copies.modSeqDiffers()
        + " copies equal under different MODSEQs, " + copies.underReplicated() + " on fewer than " + replicas
        + " nodes, " + copies.overReplicated() + " on more, " + copies.profilesOver() + " profiles on more nodes than kept");
    System.out.printf("RESULT chaos nodes=%d replicas=%d seconds=%d seed=%d acked=%d deleted=%d kills=%d pauses=%d "
        + "restarts=%d lost=%d resurrected=%d duplicated=%d uid_duplicates=%d unreadable=%d converged_ms=%d "
        + "network=%s partitions=%d flag_changes=%d flags_wrong=%d copies_differ=%d expunged_held=%d below_floor=%d "
        + "hidden=%d modseq_differs=%d under_replicated=%d over_replicated=%d profiles=%d profiles_differ=%d "
        + "profiles_under=%d profiles_over=%d clock_skew_ms=%d%n",
        nodeCount, replicas,
        Duration.between(start, Instant.now()).toSeconds(), seed, ledger.ackedCount(), ledger.deletedCount(),
        faultCount("kill"), faultCount("pause"), faultCount("restart"), last.lost(), last.resurrected(),
        last.duplicated(), last.uidDuplicates(), last.unreadable(), ok ? convergedMs : -1,
        nodes.network() != null ? "netns" : "loopback", faultCount("partition"), flagChanges.get(), last.flagsWrong(),
        copies.differing(), copies.expungedHeld(), copies.belowFloor(), copies.hidden(), copies.modSeqDiffers(),
        copies.underReplicated(), copies.overReplicated(), copies.profiles(), copies.profilesDiffer(),
        copies.profilesUnder(), copies.profilesOver(), Math.round(clockSkew * 1000));
    return ok ? 0 : 1;
  }

  /** How many copies a write needs before it is acknowledged: the nodes' default min-durable-replicas (2), at most R. */
  private int floor() {
    return Math.min(2, replicas);
  }

  /** Lists every node's own copies ({@code quill debug fragments}) and compares them. */
  private ChaosReplicas.Report compareCopies(ChaosNodes nodes, List<String> users,
      Map<String, Map<Long, String>> shown, ChaosLedger ledger) throws InterruptedException {
    List<ChaosReplicas.Listing> listings = new ArrayList<>();
    List<String> unlisted = new ArrayList<>();
    for (ChaosNodes.Node n : nodes.all()) {
      try {
        ChaosNodes.Admin r = nodes.admin(n, "", "debug", "fragments");
        if (r.code() != 0) {
          unlisted.add(n + ": debug fragments exited " + r.code() + ": " + r.out().strip());
          continue;
        }
        listings.add(ChaosReplicas.parse(n.name, r.out()));
      } catch (IOException | IllegalArgumentException e) {
        unlisted.add(n + ": debug fragments failed: " + e.getMessage());
      }
    }
    return ChaosReplicas.compare(listings, unlisted, users, shown, ledger, replicas, floor());
  }

  private int faultCount(String fault) {
    AtomicInteger n = faults.get(fault);
    return n == null ? 0 : n.get();
  }

  private static Problems add(Problems a, Problems b) {
    List<String> details = new ArrayList<>(a.details());
    details.addAll(b.details());
    return new Problems(a.lost() + b.lost(), a.resurrected() + b.resurrected(), a.duplicated() + b.duplicated(),
        a.uidDuplicates() + b.uidDuplicates(), a.unreadable() + b.unreadable(), a.flagsWrong() + b.flagsWrong(),
        details);
  }

  /**
   * Reads {@code user}'s INBOX through {@code via}: subjects (tokens) and flags of every message;
   * records into {@code shown} which token each UID showed.
   */
  private Problems checkMailbox(ChaosNodes.Node via, String user, ChaosLedger ledger, Map<Long, String> shown) {
    Map<String, Integer> present = new HashMap<>();
    Map<String, Set<String>> flags = new HashMap<>();
    Set<Long> uids = new HashSet<>();
    int uidDuplicates = 0;
    try (ImapClient imap = imap(via, user)) {
      ImapClient.Result select = imap.expectOk("SELECT", "SELECT INBOX");
      if (select.untagged().stream().anyMatch(r -> r.text().contains("UNAVAILABLE"))) {
        return new Problems(0, 0, 0, 0, 1, 0, List.of(via + ": " + user + "'s INBOX is not all reachable yet"));
      }
      ImapClient.Result fetch = imap.command("UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
      for (ImapResponse r : fetch.numbered("FETCH")) {
        long uid = r.fetchItem("UID");
        if (!uids.add(uid)) {
          uidDuplicates++;
        }
        for (byte[] literal : r.literals()) {
          String header = new String(literal, StandardCharsets.US_ASCII);
          int at = header.indexOf("chaos-");
          if (at >= 0) {
            int end = at;
            while (end < header.length() && !Character.isWhitespace(header.charAt(end))) {
              end++;
            }
            String token = header.substring(at, end);
            present.merge(token, 1, Integer::sum);
            shown.put(uid, token);
            Set<String> f = r.fetchFlags();
            flags.put(token, f == null ? Set.of() : f);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return new Problems(0, 0, 0, 0, 1, 0, List.of(via + ": reading " + user + " failed: " + e.getMessage()));
    }
    List<String> details = new ArrayList<>();
    int lost = 0;
    for (String token : ledger.acked(user)) {
      if (!present.containsKey(token) && !ledger.deleted(user).contains(token) && !ledger.uncertain(user).contains(token)) {
        lost++;
        details.add(via + ": " + user + " lost acknowledged " + token);
      }
    }
    int resurrected = 0;
    for (String token : ledger.deleted(user)) {
      if (present.containsKey(token)) {
        resurrected++;
        details.add(via + ": " + user + " shows deleted " + token + " (last event: "
            + lastEvent.getOrDefault(user + " " + token, "none") + ")");
      }
    }
    int duplicated = 0;
    for (var e : present.entrySet()) {
      if (e.getValue() > 1) {
        duplicated++;
        details.add(via + ": " + user + " shows " + e.getKey() + " " + e.getValue() + " times");
      }
    }
    if (uidDuplicates > 0) {
      details.add(via + ": " + user + " lists " + uidDuplicates + " UIDs twice");
    }
    int flagsWrong = 0;
    for (var e : ledger.expectedFlagged(user).entrySet()) {
      Set<String> f = flags.get(e.getKey());
      if (f != null && f.contains("\\Flagged") != e.getValue()) {
        flagsWrong++;
        details.add(via + ": " + user + " " + e.getKey() + " has \\Flagged " + (e.getValue() ? "cleared" : "set")
            + " after a confirmed change " + (e.getValue() ? "set" : "cleared") + " it last");
      }
    }
    return new Problems(lost, resurrected, duplicated, uidDuplicates, 0, flagsWrong, details);
  }

  /**
   * The UIDs of the message with {@code token} in the selected mailbox. By Message-ID, whose
   * {@code <token@} is unique: a Subject search is a substring search, and chaos-12 would also find
   * chaos-120.
   */
  private static long[] search(ImapClient imap, String token) throws IOException {
    return imap.expectOk("SEARCH", "UID SEARCH HEADER MESSAGE-ID \"<" + token + "@\"").untagged().stream()
        .flatMapToLong(x -> java.util.Arrays.stream(x.searchResults())).toArray();
  }

  /** An IMAP session on {@code via} logged in as {@code user}; off loopback after STARTTLS, as the nodes require. */
  private static ImapClient imap(ChaosNodes.Node via, String user) throws IOException {
    ImapClient imap = ImapClient.connect(via.host, via.imap, TIMEOUT_MS);
    try {
      if (!via.host.equals(ChaosNodes.LOOPBACK)) {
        imap.startTls(via.trust());
      }
      imap.login(user, PASSWORD);
      return imap;
    } catch (IOException | RuntimeException e) {
      imap.close();
      throw e;
    }
  }

  private void event(String user, String token, String what) {
    String line = Instant.now() + " " + user + " " + token + " " + what;
    lastEvent.put(user + " " + token, line);
    synchronized (events) {
      events.println(line);
    }
  }

  /** A command's responses in short: the untagged ones, then the tagged status. */
  private static String responses(ImapClient.Result r) {
    List<String> all = new ArrayList<>();
    r.untagged().forEach(u -> all.add(u.summary()));
    all.add(r.status().summary());
    return String.join(" | ", all);
  }

  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void log(String line) {
    System.err.println(Instant.now() + " chaos: " + line);
  }
}
