package dev.quill.cluster.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.quill.cluster.TestNodes;
import dev.quill.cluster.rpc.RpcEndpoint;
import dev.quill.cluster.transport.ClusterTransport;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class LoadGossipTest {
  @Test
  void everyNode_learnsTheOthersLoads_andForgetsASilentOne() throws Exception {
    Duration interval = Duration.ofMillis(100);
    Duration maxAge = Duration.ofMillis(500);
    try (TestNodes nodes = new TestNodes("load")) {
      ClusterTransport t1 = nodes.start("n1");
      ClusterTransport t2 = nodes.start("n2");
      await().atMost(Duration.ofSeconds(15)).until(() -> t1.view().size() == 2 && t2.view().size() == 2);
      try (RpcEndpoint e1 = new RpcEndpoint(t1); RpcEndpoint e2 = new RpcEndpoint(t2);
           LoadGossip g1 = new LoadGossip(e1, "n1", () -> 11, new LoadTable(maxAge, System::nanoTime), interval)) {
        LoadGossip g2 = new LoadGossip(e2, "n2", () -> 22, new LoadTable(maxAge, System::nanoTime), interval);
        await().atMost(Duration.ofSeconds(5)).until(() ->
            g1.table().current().keySet().size() == 2 && g2.table().current().keySet().size() == 2);
        assertThat(g1.table().get("n2")).map(LoadReport::diskQueueDepth).contains(22);
        assertThat(g2.table().get("n1")).map(LoadReport::diskQueueDepth).contains(11);
        assertThat(g1.table().get("n2").orElseThrow().cpuLoad()).isBetween(-1.0, 1.0);

        g2.close();
        await().atMost(Duration.ofSeconds(5)).until(() -> g1.table().current().keySet().equals(java.util.Set.of("n1")));
      }
    }
  }
}
