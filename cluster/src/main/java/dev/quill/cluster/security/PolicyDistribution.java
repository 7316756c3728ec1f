package dev.quill.cluster.security;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.Codecs;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.rpc.WireException;
import dev.quill.cluster.rpc.WireReader;
import dev.quill.cluster.rpc.WireWriter;
import dev.quill.cluster.transport.ClusterView;
import dev.quill.security.AtomicFiles;
import dev.quill.security.policy.Policy;
import dev.quill.security.policy.PolicyException;
import dev.quill.security.policy.PolicyManager;
import dev.quill.security.policy.PolicyParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one versioned policy on every node. The <em>security server</em> is the view's coordinator
 * (any node can be; the cluster chooses it by membership): {@code policy push} sends it the new
 * policy (POLICY_PUSH), it checks it, installs it and sends it to every member (POLICY_INSTALL),
 * answering once they have installed it or {@link #INSTALL_WAIT} has passed. After each view change
 * the security server reads every member's version (POLICY_FETCH), takes the highest as the
 * cluster's and installs it where it is missing, so a node that was away catches up; a starting
 * node asks before it serves ({@link #catchUp}). Every node keeps its policy in a file
 * ({@code <data>/security/policy}), written atomically, read back at start.
 */
public final class PolicyDistribution {
  private static final Logger log = LoggerFactory.getLogger(PolicyDistribution.class);
  /** How long a push waits for the members to install; the bound on a change taking effect. */
  public static final Duration INSTALL_WAIT = Duration.ofSeconds(1);
  /** Shortest time between two fetches started by a newer version on a message (a fetch that failed waits this long). */
  static final long FETCH_INTERVAL_NANOS = 1_000_000_000L;
  /** Longest policy text sent between nodes (the parser's own bound). */
  private static final int MAX_TEXT = PolicyParser.MAX_CHARS;

  /** The outcome of a push: the version now in force, the nodes that installed it, those that did not answer. */
  public record PushResult(long version, List<String> installed, List<String> missing) {
    public PushResult {
      installed = List.copyOf(installed);
      missing = List.copyOf(missing);
    }
  }

  private static final Codec<String> TEXT = Codec.of(WireWriter::writeString, in -> in.readString(MAX_TEXT));
  private static final Codec<PushResult> RESULT = Codec.of(
      (out, r) -> {
        out.writeVarLong(r.version());
        writeNames(out, r.installed());
        writeNames(out, r.missing());
      },
      in -> new PushResult(in.readVarLong(), readNames(in), readNames(in)));

  static final MessageType<String, PushResult> PUSH = new MessageType<>(TypeIds.POLICY_PUSH, 1, "POLICY_PUSH", TEXT,
      RESULT);
  static final MessageType<String, Long> INSTALL = new MessageType<>(TypeIds.POLICY_INSTALL, 1, "POLICY_INSTALL",
      TEXT, Codecs.VAR_LONG);
  static final MessageType<Void, String> FETCH = new MessageType<>(TypeIds.POLICY_FETCH, 1, "POLICY_FETCH",
      Codecs.EMPTY, TEXT);

  private final String self;
  private final RpcEndpoint rpc;
  private final PolicyManager policies;
  private final Path file;
  private final Supplier<ClusterView> view;
  private final Duration timeout;
  /** At most one fetch on behalf of {@link #newerVersionSeen} at a time. */
  private final AtomicBoolean fetching = new AtomicBoolean();
  private volatile long lastFetchNanos = System.nanoTime() - FETCH_INTERVAL_NANOS;

  /**
   * @param file where this node keeps its policy; read by {@link #load} at start
   * @param view the current view: its coordinator is the security server
   */
  public PolicyDistribution(String self, RpcEndpoint rpc, PolicyManager policies, Path file,
      Supplier<ClusterView> view, Duration timeout) {
    this.self = self;
    this.rpc = rpc;
    this.policies = policies;
    this.file = file;
    this.view = view;
    this.timeout = timeout;
    rpc.register(PUSH, (from, text) -> serve(text));
    rpc.register(INSTALL, (from, text) -> installHere(parse(text), from));
    rpc.register(FETCH, (from, nothing) -> policies.policy().toText());
  }

  /** The policy kept in {@code file}, if there is one; a file that does not parse stops the node with its reason. */
  public static Optional<Policy> load(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(PolicyParser.parse(Files.readString(file, StandardCharsets.UTF_8)));
    } catch (PolicyException e) {
      throw new IOException(file + " line " + e.line() + ": " + e.getMessage()
          + "; fix the file or remove it to start with the default policy and push yours again", e);
    }
  }

  /** Sends {@code text} to the security server, which installs it on every member; its answer. */
  public PushResult push(String text) {
    parse(text); // the operator hears a syntax error at once, with its line
    String server = view.get().coordinator();
    if (server.equals(self)) {
      return serve(text);
    }
    try {
      return rpc.call(server, PUSH, text, timeout.plus(INSTALL_WAIT)).join();
    } catch (java.util.concurrent.CompletionException e) {
      // the security server's refusal (an old version) or its silence, in words the operator can act on
      String why = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
      throw new IllegalStateException("the security server " + server + " did not take the policy: " + why, e);
    }
  }

  /** Takes the security server's policy if it is newer than this node's (a starting node, before it serves). */
  public void catchUp() {
    String server = view.get().coordinator();
    if (!server.equals(self)) {
      fetchFrom(server);
    }
  }

  /**
   * A message from {@code origin} carried policy {@code version}, above this node's: fetches the
   * policy in the background — from the security server, or from {@code origin} when this node is the
   * server (it was away when the policy was pushed) — at most one fetch at a time and one a second.
   * Returns at once: it runs on the transport's receiving thread.
   */
  public void newerVersionSeen(String origin, long version) {
    if (version <= policies.version() || System.nanoTime() - lastFetchNanos < FETCH_INTERVAL_NANOS
        || !fetching.compareAndSet(false, true)) {
      return;
    }
    lastFetchNanos = System.nanoTime();
    Thread.ofVirtual().name("quill-policy-fetch").start(() -> {
      try {
        String server = view.get().coordinator();
        log.info("event=policy-newer-seen node={} version={} seen={} from={}", self, policies.version(), version,
            origin);
        fetchFrom(server.equals(self) ? origin : server);
      } finally {
        fetching.set(false);
      }
    });
  }

  private void fetchFrom(String member) {
    try {
      Policy theirs = parse(rpc.call(member, FETCH, null, timeout).join());
      if (theirs.version() > policies.version()) {
        installHere(theirs, member);
      }
    } catch (RuntimeException e) {
      log.warn("event=policy-catch-up-failed node={} from={} version={} error=\"{}\": serving with this node's "
          + "policy; the security server sends a newer one after the next view change", self, member,
          policies.version(), e.getMessage());
    }
  }

  /**
   * On the security server, after a view change: the highest version among the members becomes
   * everyone's. Runs the requests in the background; a member that does not answer gets it next time.
   */
  public void viewChanged(ClusterView now) {
    if (!now.coordinator().equals(self)) {
      return;
    }
    Thread.ofVirtual().name("quill-policy-sync").start(() -> {
      try {
        converge(now.members());
      } catch (RuntimeException e) {
        log.info("event=policy-sync-incomplete node={} error=\"{}\"", self, e.getMessage());
      }
    });
  }

  private void converge(List<String> members) {
    Map<String, CompletableFuture<String>> asked = new TreeMap<>();
    for (String m : members) {
      if (!m.equals(self)) {
        asked.put(m, rpc.call(m, FETCH, null, timeout));
      }
    }
    Map<String, Long> versions = new TreeMap<>();
    for (var e : asked.entrySet()) {
      try {
        Policy theirs = parse(e.getValue().join());
        versions.put(e.getKey(), theirs.version());
        if (theirs.version() > policies.version()) {
          installHere(theirs, e.getKey()); // a member kept a newer one (this server was away when it was pushed)
        }
      } catch (RuntimeException ex) {
        log.debug("{}: policy of {} not read: {}", self, e.getKey(), ex.getMessage());
      }
    }
    String text = policies.policy().toText();
    versions.forEach((member, version) -> {
      if (version < policies.version()) {
        rpc.call(member, INSTALL, text, timeout).whenComplete((v, e) -> {
          if (e != null) {
            log.info("{}: policy version {} not installed on {}: {}", self, policies.version(), member, e.getMessage());
          }
        });
      }
    });
  }

  /** The security server's side of a push: install here, then on every member, waiting at most {@link #INSTALL_WAIT}. */
  private PushResult serve(String text) {
    if (!view.get().coordinator().equals(self)) {
      throw new IllegalStateException(self + " is not the security server; " + view.get().coordinator() + " is");
    }
    Policy policy = parse(text);
    try {
      synchronized (this) {
        policies.install(policy);
        save(policy);
      }
    } catch (PolicyException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    log.info("event=policy-pushed node={} version={} rules={}", self, policy.version(), policy.rules().size());
    Map<String, CompletableFuture<Long>> calls = new TreeMap<>();
    for (String m : view.get().members()) {
      if (!m.equals(self)) {
        calls.put(m, rpc.call(m, INSTALL, policy.toText(), INSTALL_WAIT));
      }
    }
    List<String> installed = new ArrayList<>(List.of(self));
    List<String> missing = new ArrayList<>();
    calls.forEach((member, call) -> {
      try {
        if (call.join() >= policy.version()) {
          installed.add(member);
        } else {
          missing.add(member);
        }
      } catch (RuntimeException e) {
        missing.add(member);
      }
    });
    return new PushResult(policy.version(), installed, missing);
  }

  /** Installs {@code policy} here when newer, keeping it in the file; this node's version after. */
  private synchronized long installHere(Policy policy, String from) {
    if (policy.version() > policies.version()) {
      try {
        policies.install(policy);
        save(policy);
        log.info("event=policy-installed node={} version={} from={}", self, policy.version(), from);
      } catch (PolicyException e) {
        log.debug("{}: policy version {} from {} not installed: {}", self, policy.version(), from, e.getMessage());
      }
    }
    return policies.version();
  }

  private void save(Policy policy) {
    try {
      AtomicFiles.write(file, policy.toText());
    } catch (IOException e) {
      // installed and in force here; a restart before the next install starts from the older file
      log.warn("event=policy-not-saved node={} version={} file={} error=\"{}\": the policy is in force but a "
          + "restart would start with the previous one; check the data directory", self, policy.version(), file,
          e.getMessage());
    }
  }

  private static Policy parse(String text) {
    try {
      return PolicyParser.parse(text);
    } catch (PolicyException e) {
      throw new IllegalArgumentException((e.line() > 0 ? "line " + e.line() + ": " : "") + e.getMessage(), e);
    }
  }

  private static void writeNames(WireWriter out, List<String> names) {
    out.writeVarInt(names.size());
    names.forEach(out::writeString);
  }

  private static List<String> readNames(WireReader in) throws WireException {
    int n = in.readLength(10_000, "node names");
    List<String> names = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      names.add(in.readString(1024));
    }
    return names;
  }
}
