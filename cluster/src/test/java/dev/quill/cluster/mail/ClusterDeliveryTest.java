package dev.quill.cluster.mail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.load.LoadReport;
import dev.quill.cluster.manager.ManagerNodes;
import dev.quill.store.DeliveryResult;
import dev.quill.store.MessageMeta;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Delivery across three in-JVM nodes with real JGroups transports, real stores, real managers:
 * accepted on one node, numbered by the user's manager, stored where the load balancer says.
 */
class ClusterDeliveryTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String ANN = "ann@example.org";
  private static final String BOB = "bob@example.org";

  @TempDir Path dir;

  /** Loads as gossip would report them; tests set them to skew the choice. */
  private final Map<String, LoadReport> loads = new ConcurrentHashMap<>();

  private ClusterDelivery deliveryOn(ManagerNodes.Node node) {
    FragmentService fragments = new FragmentService(node.rpc, node.store);
    return new ClusterDelivery(node.name, node.client, fragments, new LoadBalancer(LoadBalancer.DEFAULT_SPREAD),
        () -> node.transport.view().members(), n -> Optional.ofNullable(loads.get(n)), TIMEOUT);
  }

  private static byte[] message(int i) {
    return ("Subject: message " + i + "\r\n\r\nbody " + i + "\r\n").getBytes(StandardCharsets.US_ASCII);
  }

  /** Every stored copy of the user's INBOX over all nodes, by UID. */
  private static Map<Long, String> stored(List<ManagerNodes.Node> nodes, String user) {
    Map<Long, String> where = new HashMap<>();
    for (ManagerNodes.Node n : nodes) {
      for (MessageMeta m : n.store.messages(user, "INBOX")) {
        assertThat(where.put(m.uid(), n.name)).as("UID %d stored twice", m.uid()).isNull();
      }
    }
    return where;
  }

  @Test
  void deliveriesFromAnyNode_areNumberedOnce_storedWithinTheSpread_andAvoidABusyNode() throws Exception {
    try (ManagerNodes cluster = new ManagerNodes("delivery", dir)) {
      List<ManagerNodes.Node> nodes = new ArrayList<>();
      for (String name : List.of("n1", "n2", "n3")) {
        nodes.add(cluster.create(name));
      }
      nodes.get(0).store.addUser(ANN, "secret".toCharArray());
      nodes.get(1).store.addUser(BOB, "secret".toCharArray());
      for (ManagerNodes.Node n : nodes) {
        cluster.join(n, true);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> cluster.viewsAre(Set.of("n1", "n2", "n3")));
      List<ClusterDelivery> delivery = nodes.stream().map(this::deliveryOn).toList();

      // 60 deliveries to both users, accepted on all three nodes concurrently
      List<CompletableFuture<List<DeliveryResult>>> sent = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        sent.add(delivery.get(i % 3).deliver(List.of(ANN, BOB), "INBOX", message(i), Instant.now(), null));
      }
      List<Long> annUids = new ArrayList<>();
      for (CompletableFuture<List<DeliveryResult>> f : sent) {
        List<DeliveryResult> results = f.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(results).extracting(DeliveryResult::status).containsOnly(DeliveryResult.Status.STORED);
        annUids.add(results.getFirst().uid());
      }
      assertThat(new HashSet<>(annUids)).as("no UID given twice").hasSize(60);
      Map<Long, String> ann = stored(nodes, ANN);
      assertThat(ann.keySet()).as("every acknowledged copy is stored, under its UID").containsExactlyInAnyOrderElementsOf(annUids);
      assertThat(stored(nodes, BOB)).hasSize(60);

      // later deliveries stay within the spread: at most two nodes hold each mailbox from now on
      Set<String> holders = new HashSet<>(ann.values());
      for (int i = 0; i < 30; i++) {
        delivery.get(i % 3).deliver(List.of(ANN), "INBOX", message(100 + i), Instant.now(), null).get();
      }
      Map<String, Integer> perNode = new HashMap<>();
      stored(nodes, ANN).forEach((uid, node) -> {
        if (!annUids.contains(uid)) {
          perNode.merge(node, 1, Integer::sum);
        }
      });
      assertThat(holders.size() <= 2 || perNode.keySet().stream().allMatch(holders::contains))
          .as("new copies go to existing holders once the mailbox is spread (holders %s, new %s)", holders, perNode)
          .isTrue();
      Set<String> all = new HashSet<>(holders);
      all.addAll(perNode.keySet());
      assertThat(all.size()).as("holders of ann's INBOX after the first deliveries settled: %s", all)
          .isLessThanOrEqualTo(Math.max(2, holders.size()));

      // a node reporting a long disk queue gets no new mail while others are idle
      String busy = "n1";
      loads.put("n1", new LoadReport("n1", 500, 0.95, 0));
      loads.put("n2", new LoadReport("n2", 0, 0.1, 0));
      loads.put("n3", new LoadReport("n3", 0, 0.1, 0));
      Set<Long> before = stored(nodes, BOB).keySet();
      for (int i = 0; i < 20; i++) {
        delivery.get(i % 3).deliver(List.of(BOB), "INBOX", message(200 + i), Instant.now(), null).get();
      }
      Map<Long, String> bob = stored(nodes, BOB);
      assertThat(bob.entrySet().stream().filter(e -> !before.contains(e.getKey())).map(Map.Entry::getValue))
          .as("new mail avoids the busy node").hasSize(20).doesNotContain(busy);
    }
  }
}
