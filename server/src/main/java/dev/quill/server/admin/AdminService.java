package dev.quill.server.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.quill.mail.net.Connection;
import dev.quill.mail.net.ConnectionHandler;
import dev.quill.mail.net.LineReader;
import dev.quill.store.StoreException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the admin channel: one JSON request per line, each carrying the token from
 * {@link AdminEndpoint}, one JSON reply per line. Bound to loopback only.
 *
 * <p>Security: a request without the right token is answered with an error and the connection
 * is closed; tokens are compared in constant time; request lines are capped at 64 KiB.
 */
public final class AdminService implements ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(AdminService.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_LINE = 64 * 1024;

  private final AdminOps ops;
  private final Supplier<ClusterReport> clusterStatus;
  private final RebalanceControl rebalance;
  private final MemberControl members;
  private final Function<List<String>, LocalFragments> localFragments;
  private final SecurityControl security;
  private final byte[] token;

  /** An admin service without {@code cluster.status} (refused as an unknown operation). */
  public AdminService(AdminOps ops, String token) {
    this(ops, () -> {
      throw new IllegalArgumentException("this node does not report cluster status");
    }, token);
  }

  /** An admin service whose {@code cluster.rebalance} says a rebalance needs a cluster. */
  public AdminService(AdminOps ops, Supplier<ClusterReport> clusterStatus, String token) {
    this(ops, clusterStatus, RebalanceControl.STANDALONE, token);
  }

  /**
   * @param clusterStatus assembles the node's cluster report; may block for the members' answers
   * @param rebalance starts and follows rebalances ({@code cluster.rebalance}, {@code cluster.rebalance.status})
   */
  public AdminService(AdminOps ops, Supplier<ClusterReport> clusterStatus, RebalanceControl rebalance, String token) {
    this(ops, clusterStatus, rebalance, MemberControl.STANDALONE, token);
  }

  /** @param members gives members up for good ({@code cluster.forget}) */
  public AdminService(AdminOps ops, Supplier<ClusterReport> clusterStatus, RebalanceControl rebalance,
      MemberControl members, String token) {
    this(ops, clusterStatus, rebalance, members, users -> {
      throw new IllegalArgumentException("this node does not list its local copies");
    }, token);
  }

  /**
   * @param localFragments what this node's own store holds of the given users (all when the list is
   *     empty), for {@code debug.fragments}
   */
  public AdminService(AdminOps ops, Supplier<ClusterReport> clusterStatus, RebalanceControl rebalance,
      MemberControl members, Function<List<String>, LocalFragments> localFragments, String token) {
    this(ops, clusterStatus, rebalance, members, localFragments, SecurityControl.STANDALONE, token);
  }

  /** @param security pushes and shows the cluster policy ({@code policy.push}, {@code policy.show}) */
  public AdminService(AdminOps ops, Supplier<ClusterReport> clusterStatus, RebalanceControl rebalance,
      MemberControl members, Function<List<String>, LocalFragments> localFragments, SecurityControl security,
      String token) {
    this.security = security;
    this.members = members;
    this.localFragments = localFragments;
    this.ops = ops;
    this.clusterStatus = clusterStatus;
    this.rebalance = rebalance;
    this.token = token.getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public void handle(Connection c) throws Exception {
    c.setReadTimeout(Duration.ofMinutes(1));
    while (true) {
      LineReader.Line line = c.reader().readLine(MAX_LINE);
      if (line == null) {
        return;
      }
      ObjectNode reply = JSON.createObjectNode();
      JsonNode req;
      try {
        req = line.tooLong() ? null : JSON.readTree(new String(line.bytes(), StandardCharsets.UTF_8));
      } catch (Exception e) {
        req = null;
      }
      if (req == null || !req.isObject()) {
        c.send(reply.put("ok", false).put("error", "malformed request").toString());
        return;
      }
      if (!MessageDigest.isEqual(token, req.path("token").asText("").getBytes(StandardCharsets.US_ASCII))) {
        log.warn("admin request refused: bad token peer={}", c.remote());
        c.send(reply.put("ok", false).put("error", "not authorised").toString());
        return;
      }
      try {
        reply.set("result", execute(req));
        reply.put("ok", true);
      } catch (StoreException | IllegalArgumentException | IllegalStateException e) {
        reply.put("ok", false).put("error", e.getMessage());
      }
      c.send(reply.toString());
    }
  }

  private JsonNode execute(JsonNode req) {
    String op = req.path("op").asText("");
    String a = req.path("address").asText("");
    return switch (op) {
      case "domain.add" -> JSON.getNodeFactory().booleanNode(ops.addDomain(req.path("domain").asText()));
      case "domain.delete" -> JSON.getNodeFactory().booleanNode(ops.deleteDomain(req.path("domain").asText()));
      case "domain.list" -> {
        ArrayNode arr = JSON.createArrayNode();
        ops.domains().forEach(arr::add);
        yield arr;
      }
      case "user.add" -> {
        ops.addUser(a, req.path("password").asText().toCharArray());
        yield JSON.getNodeFactory().booleanNode(true);
      }
      case "user.passwd" -> {
        ops.setPassword(a, req.path("password").asText().toCharArray());
        yield JSON.getNodeFactory().booleanNode(true);
      }
      case "user.delete" -> JSON.getNodeFactory().booleanNode(ops.deleteUser(a));
      case "user.list" -> {
        ArrayNode arr = JSON.createArrayNode();
        for (AdminOps.UserLine u : ops.users()) {
          arr.addObject().put("address", u.address()).put("quota", u.quotaBytes()).put("usage", u.usageBytes())
              .put("messages", u.messages());
        }
        yield arr;
      }
      case "alias.add" -> {
        ops.addAlias(req.path("alias").asText(), req.path("target").asText());
        yield JSON.getNodeFactory().booleanNode(true);
      }
      case "alias.delete" -> JSON.getNodeFactory().booleanNode(ops.deleteAlias(req.path("alias").asText()));
      case "alias.list" -> {
        ObjectNode obj = JSON.createObjectNode();
        for (Map.Entry<String, String> e : ops.aliases().entrySet()) {
          obj.put(e.getKey(), e.getValue());
        }
        yield obj;
      }
      case "cluster.status" -> JSON.valueToTree(clusterStatus.get());
      case "cluster.rebalance" -> JSON.valueToTree(rebalance.start(req.path("target").asText(null)));
      case "cluster.rebalance.status" -> JSON.valueToTree(rebalance.status(req.path("run").asText("")));
      case "cluster.forget" -> JSON.valueToTree(members.forget(req.path("node").asText("")));
      case "cluster.rekey" -> {
        var order = new RekeyOrder(req.path("revoked").asText(""), req.path("key").asInt(), bytesByNode(req.path("sealed")),
            bytesByNode(req.path("signatures")), java.util.Base64.getDecoder().decode(req.path("retireSignature").asText("")),
            java.util.Base64.getDecoder().decode(req.path("revocationSignature").asText("")));
        yield JSON.valueToTree(members.rekey(order));
      }
      case "cluster.rotate-key" -> JSON.valueToTree(members.rotateKey());
      case "cluster.seal-key" -> {
        Map.Entry<Integer, byte[]> sealed = members.sealKey(java.util.Base64.getDecoder()
            .decode(req.path("public").asText("")));
        yield JSON.createObjectNode().put("key", sealed.getKey())
            .put("sealed", java.util.Base64.getEncoder().encodeToString(sealed.getValue()));
      }
      case "policy.push" -> JSON.valueToTree(security.push(req.path("policy").asText("")));
      case "policy.show" -> JSON.valueToTree(security.show());
      case "debug.fragments" -> {
        List<String> users = new ArrayList<>();
        req.path("users").forEach(u -> users.add(u.asText()));
        yield JSON.valueToTree(localFragments.apply(users));
      }
      default -> throw new IllegalArgumentException("unknown admin operation '" + op + "'");
    };
  }

  /** A JSON object of node name → base64 bytes. */
  private static Map<String, byte[]> bytesByNode(com.fasterxml.jackson.databind.JsonNode node) {
    Map<String, byte[]> out = new java.util.LinkedHashMap<>();
    node.properties().forEach(e -> out.put(e.getKey(), java.util.Base64.getDecoder().decode(e.getValue().asText())));
    return out;
  }
}
