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
 * {@code quill bench chaos}: N real nodes (separate JVMs on loopback) under a mail load that records
 * every acknowledged message and every confirmed delete, while a nemesis driven by a seeded random
 * schedule SIGKILLs and restarts nodes and pauses them (SIGSTOP/SIGCONT). At the end every node is
 * healed and, once the cluster has converged, a checker reads every mailbox through every node:
 * every acknowledged message must be there exactly once, no confirmed delete may have returned,
 * UIDs must be unique, and every mailbox must be readable through every node. Prints a RESULT line;
 * exits 1 when anything was lost, resurrected or duplicated, or the cluster did not converge within
 * {@code --converge-seconds} (a mailbox still unreadable counts as not converged).
 *
 * <p>Faults stay within what the replication promises to survive: at most {@code replicas - 1}
 * nodes are faulty at a time. Network partitions need network namespaces and are not injected yet.
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

  private final AtomicLong tokens = new AtomicLong();
  private final AtomicInteger sendFailures = new AtomicInteger();
  private final AtomicInteger deleteFailures = new AtomicInteger();
  private final Map<String, AtomicInteger> faults = new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public Integer call() throws Exception {
    Duration length = Duration.ofSeconds(minutes != null ? minutes * 60L : seconds);
    Path jar = serverJar != null ? serverJar : defaultServerJar();
    Path dir = work != null ? Files.createDirectories(work) : Files.createTempDirectory("quill-chaos");
    Random random = new Random(seed);
    ChaosLedger ledger = new ChaosLedger();
    List<String> mailboxes = new ArrayList<>();
    for (int i = 0; i < users; i++) {
      mailboxes.add("u" + i + "@" + DOMAIN);
    }
    log("work " + dir + ", " + nodeCount + " nodes, replicas " + replicas + ", " + length.toSeconds() + " s, seed "
        + seed);
    try (ChaosNodes nodes = new ChaosNodes(jar, dir, "chaos-" + seed, nodeCount, replicas)) {
      nodes.startAll(Duration.ofSeconds(120));
      setUp(nodes, mailboxes);
      AtomicBoolean loading = new AtomicBoolean(true);
      Instant start = Instant.now();
      try (ExecutorService load = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int s = 0; s < senders; s++) {
          Random r = new Random(seed * 1_000 + s);
          load.submit(() -> send(nodes, mailboxes, ledger, r, loading));
        }
        Random d = new Random(seed * 1_000 + 999);
        load.submit(() -> delete(nodes, mailboxes, ledger, d, loading));
        nemesis(nodes, random, start.plus(length));
        loading.set(false);
      }
      heal(nodes);
      log("load over: " + ledger.ackedCount() + " acknowledged, " + ledger.deletedCount() + " deletes confirmed, "
          + sendFailures.get() + " sends and " + deleteFailures.get() + " deletes refused or failed; faults " + faults);
      return check(nodes, mailboxes, ledger, start);
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
      try (SmtpClient smtp = SmtpClient.connect(ChaosNodes.HOST, via.smtp, TIMEOUT_MS)) {
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
      try (ImapClient imap = ImapClient.connect(ChaosNodes.HOST, via.imap, TIMEOUT_MS)) {
        imap.login(user, PASSWORD);
        imap.expectOk("SELECT", "SELECT INBOX");
        long[] uids = imap.expectOk("SEARCH", "UID SEARCH HEADER SUBJECT " + token.get()).untagged().stream()
            .flatMapToLong(x -> java.util.Arrays.stream(x.searchResults())).toArray();
        if (uids.length != 1) {
          continue; // not visible through this node now (its holders down): try another later
        }
        tried = true;
        imap.expectOk("STORE", "UID STORE " + uids[0] + " +FLAGS.SILENT (\\Deleted)");
        imap.expectOk("EXPUNGE", "UID EXPUNGE " + uids[0]);
        ledger.deleted(user, token.get());
      } catch (IOException | RuntimeException e) {
        deleteFailures.incrementAndGet();
        if (tried) {
          ledger.deleteUncertain(user, token.get()); // may have reached some copies: either outcome is allowed
        }
      }
    }
    return null;
  }

  // ---- the nemesis -----------------------------------------------------------------------------

  /** Until {@code end}: every so often (exponential, mean --fault-every) heals a faulty node or breaks a healthy one. */
  private void nemesis(ChaosNodes nodes, Random random, Instant end) throws Exception {
    int maxFaulty = Math.max(0, replicas - 1);
    List<ChaosNodes.Node> faulty = new ArrayList<>();
    while (Instant.now().isBefore(end)) {
      long wait = (long) (-Math.log(1 - random.nextDouble()) * faultEvery * 1000);
      Thread.sleep(Math.min(wait, Math.max(0, Duration.between(Instant.now(), end).toMillis())));
      if (!Instant.now().isBefore(end)) {
        break;
      }
      if (!faulty.isEmpty() && (faulty.size() >= maxFaulty || random.nextBoolean())) {
        ChaosNodes.Node n = faulty.remove(random.nextInt(faulty.size()));
        heal(nodes, n);
      } else if (maxFaulty > 0) {
        List<ChaosNodes.Node> healthy = new ArrayList<>(nodes.all());
        healthy.removeAll(faulty);
        ChaosNodes.Node n = healthy.get(random.nextInt(healthy.size()));
        if (random.nextInt(3) == 0) {
          nodes.pause(n);
          count("pause");
          log("pause " + n);
        } else {
          nodes.kill(n);
          count("kill");
          log("kill -9 " + n);
        }
        faulty.add(n);
      }
    }
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
      List<String> details) {
    boolean none() {
      return lost == 0 && resurrected == 0 && duplicated == 0 && uidDuplicates == 0 && unreadable == 0;
    }
  }

  /** Reads every mailbox through every node until all agree with the ledger, or the time to converge runs out. */
  private int check(ChaosNodes nodes, List<String> mailboxes, ChaosLedger ledger, Instant start) throws Exception {
    long healed = System.nanoTime();
    long deadline = healed + Duration.ofSeconds(convergeSeconds).toNanos();
    Problems last = null;
    while (true) {
      last = new Problems(0, 0, 0, 0, 0, new ArrayList<>());
      for (ChaosNodes.Node via : nodes.all()) {
        for (String user : mailboxes) {
          last = add(last, checkMailbox(via, user, ledger));
        }
      }
      if (last.none() || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(2_000);
    }
    long convergedMs = Duration.ofNanos(System.nanoTime() - healed).toMillis();
    last.details().stream().limit(20).forEach(d -> log("problem: " + d));
    System.out.printf("RESULT chaos nodes=%d replicas=%d seconds=%d seed=%d acked=%d deleted=%d kills=%d pauses=%d "
        + "restarts=%d lost=%d resurrected=%d duplicated=%d uid_duplicates=%d unreadable=%d converged_ms=%d%n",
        nodeCount, replicas,
        Duration.between(start, Instant.now()).toSeconds(), seed, ledger.ackedCount(), ledger.deletedCount(),
        faultCount("kill"), faultCount("pause"), faultCount("restart"), last.lost(), last.resurrected(),
        last.duplicated(), last.uidDuplicates(), last.unreadable(), last.none() ? convergedMs : -1);
    return last.none() ? 0 : 1;
  }

  private int faultCount(String fault) {
    AtomicInteger n = faults.get(fault);
    return n == null ? 0 : n.get();
  }

  private static Problems add(Problems a, Problems b) {
    List<String> details = new ArrayList<>(a.details());
    details.addAll(b.details());
    return new Problems(a.lost() + b.lost(), a.resurrected() + b.resurrected(), a.duplicated() + b.duplicated(),
        a.uidDuplicates() + b.uidDuplicates(), a.unreadable() + b.unreadable(), details);
  }

  private Problems checkMailbox(ChaosNodes.Node via, String user, ChaosLedger ledger) {
    Map<String, Integer> present = new HashMap<>();
    Set<Long> uids = new HashSet<>();
    int uidDuplicates = 0;
    try (ImapClient imap = ImapClient.connect(ChaosNodes.HOST, via.imap, TIMEOUT_MS)) {
      imap.login(user, PASSWORD);
      ImapClient.Result select = imap.expectOk("SELECT", "SELECT INBOX");
      if (select.untagged().stream().anyMatch(r -> r.text().contains("UNAVAILABLE"))) {
        return new Problems(0, 0, 0, 0, 1, List.of(via + ": " + user + "'s INBOX is not all reachable yet"));
      }
      ImapClient.Result fetch = imap.command("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
      for (ImapResponse r : fetch.numbered("FETCH")) {
        if (!uids.add(r.fetchItem("UID"))) {
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
            present.merge(header.substring(at, end), 1, Integer::sum);
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      return new Problems(0, 0, 0, 0, 1, List.of(via + ": reading " + user + " failed: " + e.getMessage()));
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
        details.add(via + ": " + user + " shows deleted " + token);
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
    return new Problems(lost, resurrected, duplicated, uidDuplicates, 0, details);
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
