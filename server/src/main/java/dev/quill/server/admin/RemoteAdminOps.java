package dev.quill.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quill.store.StoreException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@link AdminOps} through a running node's admin channel on loopback. */
public final class RemoteAdminOps implements AdminOps {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Socket socket;
  private final BufferedReader in;
  private final OutputStream out;
  private final String token;

  private RemoteAdminOps(Socket socket, String token) throws IOException {
    this.socket = socket;
    this.token = token;
    this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    this.out = socket.getOutputStream();
  }

  /**
   * Connects to the node running on {@code dataDir}, or returns empty when none answers there
   * (no endpoint file, or a stale one left by a node that was killed).
   */
  public static Optional<RemoteAdminOps> connect(java.nio.file.Path dataDir) {
    Optional<AdminEndpoint> ep = AdminEndpoint.read(dataDir);
    if (ep.isEmpty()) {
      return Optional.empty();
    }
    Socket s = new Socket();
    try {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), ep.get().port()), 2000);
      s.setSoTimeout(120_000);
      return Optional.of(new RemoteAdminOps(s, ep.get().token()));
    } catch (IOException e) {
      try {
        s.close();
      } catch (IOException ignored) {
        // not connected
      }
      return Optional.empty();
    }
  }

  private JsonNode call(String op, ObjectNode args) {
    args.put("op", op).put("token", token);
    try {
      out.write((args.toString() + "\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      String line = in.readLine();
      if (line == null) {
        throw new StoreException("the node closed the admin channel; is it shutting down?");
      }
      JsonNode reply = JSON.readTree(line);
      if (!reply.path("ok").asBoolean()) {
        throw new StoreException(reply.path("error").asText("admin request failed"));
      }
      return reply.path("result");
    } catch (IOException e) {
      throw new UncheckedIOException("admin channel: " + e.getMessage(), e);
    }
  }

  private static ObjectNode args() {
    return JSON.createObjectNode();
  }

  @Override
  public boolean addDomain(String domain) {
    return call("domain.add", args().put("domain", domain)).asBoolean();
  }

  @Override
  public boolean deleteDomain(String domain) {
    return call("domain.delete", args().put("domain", domain)).asBoolean();
  }

  @Override
  public List<String> domains() {
    List<String> l = new ArrayList<>();
    call("domain.list", args()).forEach(n -> l.add(n.asText()));
    return l;
  }

  @Override
  public void addUser(String address, char[] password) {
    call("user.add", args().put("address", address).put("password", new String(password)));
  }

  @Override
  public void setPassword(String address, char[] password) {
    call("user.passwd", args().put("address", address).put("password", new String(password)));
  }

  @Override
  public boolean deleteUser(String address) {
    return call("user.delete", args().put("address", address)).asBoolean();
  }

  @Override
  public List<UserLine> users() {
    List<UserLine> l = new ArrayList<>();
    call("user.list", args()).forEach(n -> l.add(new UserLine(n.path("address").asText(), n.path("quota").asLong(),
        n.path("usage").asLong(), n.path("messages").asInt())));
    return l;
  }

  @Override
  public void addAlias(String alias, String target) {
    call("alias.add", args().put("alias", alias).put("target", target));
  }

  @Override
  public boolean deleteAlias(String alias) {
    return call("alias.delete", args().put("alias", alias)).asBoolean();
  }

  @Override
  public Map<String, String> aliases() {
    Map<String, String> m = new LinkedHashMap<>();
    call("alias.list", args()).properties().forEach(e -> m.put(e.getKey(), e.getValue().asText()));
    return m;
  }

  /** The running node's cluster report (it asks every member, so this may take the node's stats timeout). */
  public ClusterReport clusterStatus() {
    try {
      return JSON.treeToValue(call("cluster.status", args()), ClusterReport.class);
    } catch (IOException e) {
      throw new UncheckedIOException("admin channel: cluster status did not decode: " + e.getMessage(), e);
    }
  }

  /** Gives {@code node} up for good on every member (through the running node); a line per member. */
  public List<String> forget(String node) {
    List<String> lines = new ArrayList<>();
    call("cluster.forget", args().put("node", node)).forEach(n -> lines.add(n.asText()));
    return lines;
  }

  /** Rotates the cluster to the order's key, sealed and signed per member, locking its node out; a line per member. */
  public List<String> rekey(RekeyOrder order) {
    ObjectNode args = args().put("revoked", order.revoked()).put("key", order.keyId())
        .put("retireSignature", java.util.Base64.getEncoder().encodeToString(order.retireSignature()))
        .put("revocationSignature", java.util.Base64.getEncoder().encodeToString(order.revocationSignature()));
    ObjectNode keys = args.putObject("sealed");
    order.sealed().forEach((node, bytes) -> keys.put(node, java.util.Base64.getEncoder().encodeToString(bytes)));
    ObjectNode signatures = args.putObject("signatures");
    order.signatures().forEach((node, bytes) -> signatures.put(node, java.util.Base64.getEncoder().encodeToString(bytes)));
    List<String> lines = new ArrayList<>();
    call("cluster.rekey", args).forEach(n -> lines.add(n.asText()));
    return lines;
  }

  /** Moves the cluster to a new traffic key through the running node and its security server; a line per member and round. */
  public List<String> rotateKey() {
    List<String> lines = new ArrayList<>();
    call("cluster.rotate-key", args()).forEach(n -> lines.add(n.asText()));
    return lines;
  }

  /** The cluster's current traffic key sealed for {@code x25519Public} by the running node: its id and the sealed bytes. */
  public Map.Entry<Integer, byte[]> sealKey(byte[] x25519Public) {
    var answer = call("cluster.seal-key", args().put("public", java.util.Base64.getEncoder().encodeToString(x25519Public)));
    return Map.entry(answer.path("key").asInt(), java.util.Base64.getDecoder().decode(answer.path("sealed").asText("")));
  }

  /** Makes {@code text} the cluster's policy through the running node and its security server. */
  public SecurityControl.PushReport pushPolicy(String text) {
    return decoded(call("policy.push", args().put("policy", text)), SecurityControl.PushReport.class, "policy push");
  }

  /** The running node's policy and security counters. */
  public SecurityControl.Report showPolicy() {
    return decoded(call("policy.show", args()), SecurityControl.Report.class, "policy show");
  }

  private static <T> T decoded(JsonNode node, Class<T> type, String what) {
    try {
      return JSON.treeToValue(node, type);
    } catch (IOException e) {
      throw new UncheckedIOException("admin channel: " + what + " did not decode: " + e.getMessage(), e);
    }
  }

  /** What the running node's own store holds of {@code users} (of every user it holds anything of when empty). */
  public LocalFragments localFragments(List<String> users) {
    ObjectNode args = args();
    var list = args.putArray("users");
    users.forEach(list::add);
    try {
      return JSON.treeToValue(call("debug.fragments", args), LocalFragments.class);
    } catch (IOException e) {
      throw new UncheckedIOException("admin channel: local fragments did not decode: " + e.getMessage(), e);
    }
  }

  /** Starts a rebalance on the running node, to {@code target} or (null) to the member storing the least. */
  public RebalanceReport startRebalance(String target) {
    ObjectNode args = args();
    if (target != null) {
      args.put("target", target);
    }
    return report(call("cluster.rebalance", args));
  }

  /** The progress of rebalance {@code run} on every member moving fragments for it. */
  public RebalanceReport rebalanceStatus(String run) {
    return report(call("cluster.rebalance.status", args().put("run", run)));
  }

  private static RebalanceReport report(JsonNode result) {
    try {
      return JSON.treeToValue(result, RebalanceReport.class);
    } catch (IOException e) {
      throw new UncheckedIOException("admin channel: rebalance report did not decode: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing
    }
  }
}
