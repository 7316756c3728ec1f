package dev.quill.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostPortTest {
  @Test
  void parse_hostnameIpv4AndBracketedIpv6() {
    assertThat(HostPort.parse(" node1.example.net:7800 ")).isEqualTo(new HostPort("node1.example.net", 7800));
    assertThat(HostPort.parse("10.0.0.5:7801")).isEqualTo(new HostPort("10.0.0.5", 7801));
    assertThat(HostPort.parse("[::1]:7800")).isEqualTo(new HostPort("::1", 7800));
    assertThat(new HostPort("::1", 7800)).hasToString("[::1]:7800");
  }

  @Test
  void parse_refusesWhatIsNotHostColonPort() {
    for (String bad : new String[] {"node1", ":7800", "node1:", "node1:http", "node1:0", "node1:65536", "::1:7800"}) {
      assertThatThrownBy(() -> HostPort.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
