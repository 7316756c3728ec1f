package dev.quill.cluster.keys;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.rpc.TypeIds;
import dev.quill.cluster.transport.ClusterView;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Spreads the revoked names to members that missed a revocation (down, or issued a new credential
 * later). One exchange ({@link #REVOKED_NODES}) merges both ways: the asker sends the names it
 * refuses, the answerer takes them and answers with all it refuses. A starting node exchanges with
 * the security server before it serves; after each view change the security server exchanges with
 * every member and sends the union again to those that lacked part of it.
 */
public final class RevocationSync {
  private static final Logger log = LoggerFactory.getLogger(RevocationSync.class);

  /**
   * The revocations the asker holds signed; answered with those the answerer holds after taking
   * them. Version 2: each name with the CA's signature of its revocation; a name without a valid one
   * is not taken, so that a member cannot get an honest node refused.
   */
  public static final MessageType<List<Revocation>, List<Revocation>> REVOKED_NODES =
      new MessageType<>(TypeIds.REVOKED_NODES, 2, "REVOKED_NODES", Revocation.LIST, Revocation.LIST);

  private final String self;
  private final RpcEndpoint rpc;
  private final RevokedNodes revoked;
  private final Supplier<ClusterView> view;
  private final Duration timeout;
  private final byte[] caPublic;
  private final RefusedOrders refusals;

  /**
   * Serves {@link #REVOKED_NODES} on {@code rpc}.
   *
   * @param caPublic the public key of the CA that issued this node's credential: revocations must carry its signature
   */
  public RevocationSync(String self, RpcEndpoint rpc, RevokedNodes revoked, Supplier<ClusterView> view,
      Duration timeout, byte[] caPublic, RefusedOrders refusals) {
    this.refusals = refusals;
    this.caPublic = caPublic.clone();
    this.self = self;
    this.rpc = rpc;
    this.revoked = revoked;
    this.view = view;
    this.timeout = timeout;
    rpc.register(REVOKED_NODES, (from, revocations) -> {
      take(from, revocations);
      return revoked.signed();
    });
  }

  /** A starting node: takes the security server's revoked names (and gives it its own). */
  public void catchUp() {
    String server = view.get().coordinator();
    if (server.equals(self)) {
      return;
    }
    try {
      take(server, rpc.call(server, REVOKED_NODES, mine(), timeout).join());
    } catch (RuntimeException e) {
      log.warn("event=revocation-catch-up-failed node={} server={} error=\"{}\": the security server sends the"
          + " revoked names after the next view change", self, server, e.getMessage());
    }
  }

  /** On the security server, after a view change: every member ends with the union of the revoked names. */
  public void viewChanged(ClusterView now) {
    if (!now.coordinator().equals(self)) {
      return;
    }
    Thread.ofVirtual().name("quill-revocation-sync").start(() -> converge(now.members()));
  }

  private void converge(List<String> members) {
    Map<String, CompletableFuture<List<Revocation>>> asked = new TreeMap<>();
    for (String m : members) {
      if (!m.equals(self)) {
        asked.put(m, rpc.call(m, REVOKED_NODES, mine(), timeout));
      }
    }
    Map<String, Set<String>> theirs = new TreeMap<>();
    asked.forEach((member, call) -> {
      try {
        List<Revocation> list = call.join();
        take(member, list);
        theirs.put(member, list.stream().map(Revocation::node).collect(java.util.stream.Collectors.toSet()));
      } catch (RuntimeException e) {
        log.debug("{}: revoked names of {} not read: {}", self, member, e.getMessage());
      }
    });
    List<Revocation> all = mine();
    Set<String> allNames = all.stream().map(Revocation::node).collect(java.util.stream.Collectors.toSet());
    theirs.forEach((member, names) -> {
      if (!names.containsAll(allNames)) { // a member answered before another told this node more
        rpc.call(member, REVOKED_NODES, all, timeout).whenComplete((v, e) -> {
          if (e != null) {
            log.info("{}: revoked names not sent to {}: {}", self, member, e.getMessage());
          }
        });
      }
    });
  }

  private List<Revocation> mine() {
    return revoked.signed();
  }

  /** Takes the revocations the CA signed; the others are refused and logged. */
  private void take(String from, List<Revocation> revocations) {
    List<Revocation> valid = new java.util.ArrayList<>();
    for (Revocation r : revocations) {
      if (r.signedBy(caPublic)) {
        valid.add(r);
      } else if (!revoked.names().contains(r.node())) {
        refusals.refused(from, "revocation of " + r.node() + " not signed by this cluster's CA");
      }
    }
    revoked.revokeSigned(valid);
  }
}
