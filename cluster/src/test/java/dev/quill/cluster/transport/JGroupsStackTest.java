package dev.quill.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.cluster.TestNodes;
import dev.quill.security.keys.TrafficKeys;
import java.util.List;
import org.jgroups.protocols.TCP;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.Test;

class JGroupsStackTest {
  @Test
  void transportSendsAtOnce_withAndWithoutTheSecurityLayer() throws Exception {
    ClusterSettings plain = ClusterSettings.of("quill", "n1", "127.0.0.1", 7800, List.of());
    for (ClusterSettings settings : List.of(plain, plain.withSecurity(new TransportSecurity.On(
        new TrafficKeys(TestNodes.TEST_KEYS))))) {
      List<Protocol> stack = JGroupsStack.build(settings);
      // Nagle on held an answer until the peer's delayed ACK came: 40 ms per lone request.
      assertThat(stack.getFirst()).isInstanceOf(TCP.class);
      assertThat(((TCP) stack.getFirst()).tcpNodelay()).as(settings.security().toString()).isTrue();
    }
  }
}
