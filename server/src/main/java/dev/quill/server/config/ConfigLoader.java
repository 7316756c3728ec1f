package dev.quill.server.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import dev.quill.cluster.mail.Replication;
import dev.quill.cluster.transport.HostPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a node's TOML configuration file over the embedded defaults. Unknown keys, wrong types
 * and out-of-range values are refused with the file, the line, the key and what is expected,
 * so a typo never silently falls back to a default.
 */
public final class ConfigLoader {
  private static final Map<String, Set<String>> KEYS = Map.of(
      "", Set.of("hostname", "data", "bind", "grace_period"),
      "smtp", Set.of("port", "max_message_size", "max_recipients", "max_connections", "max_connections_per_ip",
          "pregreet_wait", "idle_timeout", "data_timeout", "max_errors"),
      "submission", Set.of("port", "implicit_tls_port"),
      "pop3", Set.of("port", "implicit_tls_port", "idle_timeout", "max_connections", "max_connections_per_ip"),
      "imap", Set.of("port", "implicit_tls_port", "idle_timeout", "max_connections", "max_connections_per_ip",
          "max_literal_size", "header_cache_size"),
      "tls", Set.of("certificate", "private_key"),
      "store", Set.of("min_free_space"),
      "metrics", Set.of("port", "bind"),
      "cluster", Set.of("node_name", "port", "bind", "join", "name", "buckets", "spread", "replicas",
          "min_durable_replicas", "profile_replicas", "anti_entropy_interval", "tombstone_grace",
          "clock_offset_for_testing", "security", "credentials", "key_rotation"),
      "auth", Set.of("allow_plaintext_on_loopback", "failure_delay", "max_failures_per_ip", "max_failures_per_user",
          "failure_window", "password_hash_time"));

  /** The largest injected clock offset either way: an hour, far beyond any skew worth testing. */
  private static final long MAX_CLOCK_OFFSET = 3_600_000;

  private final Path file;
  private final List<String> lines;
  private final JsonNode root;

  private ConfigLoader(Path file, String text) {
    this.file = file;
    this.lines = text.lines().toList();
    try {
      this.root = new TomlMapper().readTree(text);
    } catch (JacksonException e) {
      int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
      throw new ConfigException(file + (line > 0 ? ":" + line : "") + ": not valid TOML: " + e.getOriginalMessage());
    }
  }

  /** Loads {@code file} over {@code base}; throws {@link ConfigException} on any problem. */
  public static NodeConfig load(Path file, NodeConfig base) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException(file + ": cannot read the configuration file: " + e.getMessage());
    }
    return new ConfigLoader(file, text).apply(base);
  }

  /** Loads TOML text (for tests); {@code name} stands for the file in messages. */
  public static NodeConfig parse(String name, String text, NodeConfig base) {
    return new ConfigLoader(Path.of(name), text).apply(base);
  }

  private NodeConfig apply(NodeConfig d) {
    checkKeys();
    NodeConfig.Smtp s = d.smtp();
    NodeConfig.Submission sub = d.submission();
    NodeConfig.Pop3 p = d.pop3();
    NodeConfig.Imap i = d.imap();
    NodeConfig.Tls t = d.tls();
    NodeConfig.Auth a = d.auth();
    return new NodeConfig(
        str("", "hostname", d.hostname()),
        path("", "data", d.data()),
        str("", "bind", d.bind()),
        new NodeConfig.Smtp(
            port("smtp", "port", s.port()),
            size("smtp", "max_message_size", s.maxMessageSize()),
            count("smtp", "max_recipients", s.maxRecipients()),
            count("smtp", "max_connections", s.maxConnections()),
            count("smtp", "max_connections_per_ip", s.maxConnectionsPerIp()),
            duration("smtp", "pregreet_wait", s.pregreetWait()),
            duration("smtp", "idle_timeout", s.idleTimeout()),
            duration("smtp", "data_timeout", s.dataTimeout()),
            count("smtp", "max_errors", s.maxErrors())),
        new NodeConfig.Submission(
            port("submission", "port", sub.port()),
            port("submission", "implicit_tls_port", sub.implicitTlsPort())),
        new NodeConfig.Pop3(
            port("pop3", "port", p.port()),
            port("pop3", "implicit_tls_port", p.implicitTlsPort()),
            duration("pop3", "idle_timeout", p.idleTimeout()),
            count("pop3", "max_connections", p.maxConnections()),
            count("pop3", "max_connections_per_ip", p.maxConnectionsPerIp())),
        new NodeConfig.Imap(
            port("imap", "port", i.port()),
            port("imap", "implicit_tls_port", i.implicitTlsPort()),
            imapIdle(i.idleTimeout()),
            count("imap", "max_connections", i.maxConnections()),
            count("imap", "max_connections_per_ip", i.maxConnectionsPerIp()),
            size("imap", "max_literal_size", i.maxLiteralSize()),
            size("imap", "header_cache_size", i.headerCacheSize())),
        tls(t),
        new NodeConfig.Auth(
            bool("auth", "allow_plaintext_on_loopback", a.allowPlaintextOnLoopback()),
            duration("auth", "failure_delay", a.failureDelay()),
            count("auth", "max_failures_per_ip", a.maxFailuresPerIp()),
            count("auth", "max_failures_per_user", a.maxFailuresPerUser()),
            duration("auth", "failure_window", a.failureWindow()),
            hashTime(a.passwordHashTime())),
        duration("", "grace_period", d.gracePeriod()),
        cluster(d.cluster()),
        new NodeConfig.Store(size("store", "min_free_space", d.store().minFreeSpace())),
        new NodeConfig.Metrics(port("metrics", "port", d.metrics().port()), str("metrics", "bind", d.metrics().bind())));
  }

  private NodeConfig.Cluster cluster(NodeConfig.Cluster c) {
    return new NodeConfig.Cluster(
        checked("cluster", "port", NodeConfig.Cluster::checkPort, (int) integer("cluster", "port", c.port(), 0, 65535, "a TCP port")),
        checked("cluster", "node_name", NodeConfig.Cluster::checkName, str("cluster", "node_name", c.nodeName())),
        str("cluster", "bind", c.bind()),
        join(c),
        checked("cluster", "name", NodeConfig.Cluster::checkName, str("cluster", "name", c.name())),
        checked("cluster", "buckets", NodeConfig.Cluster::checkBuckets,
            (int) integer("cluster", "buckets", c.buckets(), 1, Integer.MAX_VALUE, "a bucket count")),
        c.timeouts(),
        (int) integer("cluster", "spread", c.spread(), 1, NodeConfig.Cluster.MAX_SPREAD, "a node count"),
        replication(c.replication()),
        integer("cluster", "clock_offset_for_testing", c.clockOffsetMillis(), -MAX_CLOCK_OFFSET, MAX_CLOCK_OFFSET,
            "milliseconds, for fault injection only"),
        duration("cluster", "anti_entropy_interval", c.antiEntropyInterval()),
        duration("cluster", "tombstone_grace", c.tombstoneGrace()),
        onOff("cluster", "security", c.security()),
        path("cluster", "credentials", c.credentials()),
        duration("cluster", "key_rotation", c.keyRotation()));
  }

  /** A switch written {@code "on"} or {@code "off"}. */
  private boolean onOff(String section, String key, boolean dflt) {
    String s = str(section, key, dflt ? "on" : "off");
    return switch (s) {
      case "on" -> true;
      case "off" -> false;
      default -> throw error(section, key, "expected \"on\" or \"off\", found \"" + s + "\"");
    };
  }

  /** R and the durable floor; the floor defaults to min(its default, R), so that {@code replicas = 1} alone is valid. */
  private Replication replication(Replication d) {
    int replicas = (int) integer("cluster", "replicas", d.replicas(), 1, Replication.MAX_REPLICAS, "a copy count");
    int floor = (int) integer("cluster", "min_durable_replicas", Math.min(d.minDurable(), replicas), 1, replicas,
        "a copy count, at most replicas");
    int profiles = (int) integer("cluster", "profile_replicas", Replication.defaultProfileReplicas(replicas), 1,
        Replication.MAX_REPLICAS, "a copy count");
    return new Replication(replicas, floor, profiles);
  }

  private List<HostPort> join(NodeConfig.Cluster c) {
    JsonNode n = node("cluster", "join");
    if (n == null) {
      return c.join();
    }
    if (!n.isArray()) {
      throw error("cluster", "join", "expected a list of \"HOST:PORT\" strings, found " + n);
    }
    List<String> seeds = new ArrayList<>();
    for (JsonNode seed : n) {
      if (!seed.isTextual()) {
        throw error("cluster", "join", "expected \"HOST:PORT\" strings, found " + seed);
      }
      seeds.add(seed.asText());
    }
    try {
      return NodeConfig.Cluster.parseJoin(seeds);
    } catch (IllegalArgumentException e) {
      throw error("cluster", "join", e.getMessage());
    }
  }

  // A value that passed its type check but fails the record's own rule (null means "not set": kept).
  private <T> T checked(String section, String key, Function<T, T> check, T value) {
    if (value == null || node(section, key) == null) {
      return value;
    }
    try {
      return check.apply(value);
    } catch (IllegalArgumentException e) {
      throw error(section, key, e.getMessage());
    }
  }

  // RFC 9051 §5.4: an autologout timer must be at least 30 minutes.
  private Duration imapIdle(Duration dflt) {
    Duration d = duration("imap", "idle_timeout", dflt);
    if (d.compareTo(Duration.ofMinutes(30)) < 0) {
      throw error("imap", "idle_timeout", "must be at least 30m (RFC 9051 autologout), found " + d.toSeconds() + "s");
    }
    return d;
  }

  // The hashing cost is a floor the operator may raise, never lower: 50 ms per guess is the point.
  private Duration hashTime(Duration dflt) {
    Duration d = duration("auth", "password_hash_time", dflt);
    if (d.compareTo(Duration.ofMillis(50)) < 0) {
      throw error("auth", "password_hash_time", "must be at least 50ms, found " + d.toMillis() + "ms");
    }
    return d;
  }

  private NodeConfig.Tls tls(NodeConfig.Tls t) {
    Path cert = path("tls", "certificate", t.certificate());
    Path key = path("tls", "private_key", t.privateKey());
    if ((cert == null) != (key == null)) {
      throw error("tls", cert == null ? "private_key" : "certificate",
          "tls.certificate and tls.private_key go together: set both, or neither for a self-signed certificate");
    }
    return new NodeConfig.Tls(cert, key);
  }

  private void checkKeys() {
    for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isObject()) {
        Set<String> known = KEYS.get(e.getKey());
        if (known == null || e.getKey().isEmpty()) {
          throw new ConfigException(file + ":" + lineOfSection(e.getKey()) + ": unknown section [" + e.getKey()
              + "]; known sections: " + sorted(KEYS.keySet()));
        }
        for (Iterator<String> names = e.getValue().fieldNames(); names.hasNext(); ) {
          String name = names.next();
          if (!known.contains(name)) {
            throw error(e.getKey(), name, "unknown key " + e.getKey() + "." + name + "; keys of [" + e.getKey()
                + "]: " + sorted(known));
          }
        }
      } else if (!KEYS.get("").contains(e.getKey())) {
        throw error("", e.getKey(), "unknown key " + e.getKey() + "; top-level keys: " + sorted(KEYS.get("")));
      }
    }
  }

  private static String sorted(Set<String> s) {
    List<String> l = new ArrayList<>(s);
    l.removeIf(String::isEmpty);
    l.sort(null);
    return String.join(", ", l);
  }

  private JsonNode node(String section, String key) {
    JsonNode n = section.isEmpty() ? root.get(key) : root.path(section).get(key);
    return n == null || n.isMissingNode() ? null : n;
  }

  private String str(String section, String key, String dflt) {
    JsonNode n = node(section, key);
    if (n == null) {
      return dflt;
    }
    if (!n.isTextual() || n.asText().isBlank()) {
      throw error(section, key, "expected a non-empty string");
    }
    return n.asText();
  }

  private Path path(String section, String key, Path dflt) {
    String s = str(section, key, dflt == null ? null : dflt.toString());
    return s == null ? null : Path.of(s);
  }

  private boolean bool(String section, String key, boolean dflt) {
    JsonNode n = node(section, key);
    if (n == null) {
      return dflt;
    }
    if (!n.isBoolean()) {
      throw error(section, key, "expected true or false, found " + n);
    }
    return n.asBoolean();
  }

  private long integer(String section, String key, long dflt, long min, long max, String what) {
    JsonNode n = node(section, key);
    if (n == null) {
      return dflt;
    }
    if (!n.isIntegralNumber() || n.asLong() < min || n.asLong() > max) {
      throw error(section, key, "expected " + what + " (" + min + " to " + max + "), found " + n);
    }
    return n.asLong();
  }

  private int port(String section, String key, int dflt) {
    return (int) integer(section, key, dflt, 0, 65535, "a TCP port");
  }

  private int count(String section, String key, int dflt) {
    return (int) integer(section, key, dflt, 1, Integer.MAX_VALUE, "a positive whole number");
  }

  private long size(String section, String key, long dflt) {
    return typed(section, key, dflt, s -> DataSize.parse(s).bytes());
  }

  private Duration duration(String section, String key, Duration dflt) {
    return typed(section, key, dflt, Durations::parse);
  }

  // Sizes and durations are strings with units ("50M", "30s"); a bare integer is bytes or seconds.
  private <T> T typed(String section, String key, T dflt, Function<String, T> parser) {
    JsonNode n = node(section, key);
    if (n == null) {
      return dflt;
    }
    if (n.isIntegralNumber()) {
      return parser.apply(n.asText() + (dflt instanceof Duration ? "s" : ""));
    }
    if (!n.isTextual()) {
      throw error(section, key, "expected a string such as \"30s\" or \"50M\", found " + n);
    }
    try {
      return parser.apply(n.asText());
    } catch (IllegalArgumentException e) {
      throw error(section, key, e.getMessage());
    }
  }

  private ConfigException error(String section, String key, String what) {
    String full = section.isEmpty() ? key : section + "." + key;
    return new ConfigException(file + ":" + lineOf(section, key) + ": " + full + ": " + what);
  }

  private int lineOfSection(String section) {
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.startsWith("[") && l.replace(" ", "").startsWith("[" + section + "]")) {
        return i + 1;
      }
    }
    return 0;
  }

  // The line of `key = ...` inside [section] (or before any section for top-level keys).
  private int lineOf(String section, String key) {
    String current = "";
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i).strip();
      if (l.startsWith("[")) {
        int end = l.indexOf(']');
        current = end > 0 ? l.substring(1, end).strip() : l;
        continue;
      }
      if (current.equals(section)) {
        int eq = l.indexOf('=');
        if (eq > 0 && l.substring(0, eq).strip().replace("\"", "").equals(key)) {
          return i + 1;
        }
      } else if (l.startsWith(section + "." + key) && section.length() > 0 && current.isEmpty()) {
        return i + 1;
      }
    }
    return 0;
  }
}
