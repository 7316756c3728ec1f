package dev.quill.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.mail.Replication;
import dev.quill.cluster.transport.HostPort;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code [cluster]} section: defaults, values, and each refusal with its file, line and key. */
class ClusterConfigTest {
  private static final NodeConfig D = NodeConfig.defaults();

  @Test
  void defaults_areStandalone() {
    assertThat(D.cluster().enabled()).isFalse();
    assertThat(D.cluster().name()).isEqualTo("quill");
    assertThat(D.cluster().buckets()).isEqualTo(1024);
    assertThat(D.cluster().spread()).isEqualTo(2);
    assertThat(D.cluster().join()).isEmpty();
    assertThat(D.cluster().replication()).as("two copies, both durable before the answer")
        .isEqualTo(new Replication(2, 2));
    assertThat(D.cluster().tombstoneGrace()).isEqualTo(java.time.Duration.ofDays(1));
  }

  @Test
  void security_isOnByDefault_offOnlyWhenSaid_andTheCredentialIsAPath() {
    assertThat(D.cluster().security()).isTrue();
    assertThat(D.cluster().credentials()).isNull();
    NodeConfig c = ConfigLoader.parse("q.toml", "[cluster]\nsecurity = \"off\"\ncredentials = \"/etc/quill/n1.cred\"\n", D);
    assertThat(c.cluster().security()).isFalse();
    assertThat(c.cluster().credentials()).isEqualTo(java.nio.file.Path.of("/etc/quill/n1.cred"));
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "[cluster]\nsecurity = \"maybe\"\n", D))
        .hasMessageContaining("security").hasMessageContaining("\"on\" or \"off\"");
  }

  @Test
  void replication_floorFollowsReplicasDownUnlessGiven() {
    assertThat(ConfigLoader.parse("q.toml", "[cluster]\nreplicas = 1\n", D).cluster().replication())
        .isEqualTo(new Replication(1, 1));
    assertThat(ConfigLoader.parse("q.toml", "[cluster]\nreplicas = 3\n", D).cluster().replication())
        .isEqualTo(new Replication(3, 2));
    assertThat(ConfigLoader.parse("q.toml", "[cluster]\nreplicas = 3\nmin_durable_replicas = 3\n", D).cluster()
        .replication()).isEqualTo(new Replication(3, 3));
  }

  @Test
  void profileReplicas_atLeastTwoUnlessGiven() {
    assertThat(ConfigLoader.parse("q.toml", "[cluster]\nreplicas = 1\n", D).cluster().replication().profileReplicas())
        .as("one copy of each message, two of each profile").isEqualTo(2);
    assertThat(ConfigLoader.parse("q.toml", "[cluster]\nreplicas = 3\n", D).cluster().replication().profileReplicas())
        .isEqualTo(3);
    Replication one = ConfigLoader.parse("q.toml", "[cluster]\nreplicas = 1\nprofile_replicas = 1\n", D).cluster()
        .replication();
    assertThat(one).isEqualTo(new Replication(1, 1, 1));
    assertThat(one.profiles()).isEqualTo(new Replication(1, 1, 1));
    assertThat(new Replication(1, 1).profiles()).as("the floor stays the operator's")
        .isEqualTo(new Replication(2, 1, 2));
  }

  @Test
  void section_setsEveryKey() {
    NodeConfig c = ConfigLoader.parse("q.toml", """
        [cluster]
        node_name = "n1"
        port = 7800
        bind = "10.0.0.5"
        join = ["10.0.0.6:7800", "[fd00::7]:7801"]
        name = "prod"
        buckets = 4096
        spread = 3
        tombstone_grace = "2h"
        clock_offset_for_testing = -2500
        """, D);
    assertThat(c.cluster().enabled()).isTrue();
    assertThat(c.cluster().nodeName()).isEqualTo("n1");
    assertThat(c.cluster().port()).isEqualTo(7800);
    assertThat(c.cluster().bind()).isEqualTo("10.0.0.5");
    assertThat(c.cluster().join()).containsExactly(new HostPort("10.0.0.6", 7800), new HostPort("fd00::7", 7801));
    assertThat(c.cluster().name()).isEqualTo("prod");
    assertThat(c.cluster().buckets()).isEqualTo(4096);
    assertThat(c.cluster().spread()).isEqualTo(3);
    assertThat(c.cluster().tombstoneGrace()).isEqualTo(java.time.Duration.ofHours(2));
    assertThat(c.cluster().clockOffsetMillis()).isEqualTo(-2500);
    assertThat(D.cluster().clockOffsetMillis()).isZero();
    assertThat(c.cluster().timeouts()).isEqualTo(D.cluster().timeouts());
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "port = 70000                 | q.toml:3: cluster.port",
      "port = 65500                 | q.toml:3: cluster.port: expected 0 (no cluster) or a TCP port from 1 to 65435",
      "node_name = \"\"             | q.toml:3: cluster.node_name",
      "node_name = \"a b\"          | q.toml:3: cluster.node_name: must not contain spaces",
      "join = [\"host-without-port\"] | q.toml:3: cluster.join: expected HOST:PORT",
      "join = [\"h:99999\"]         | q.toml:3: cluster.join: port 99999 is outside 1..65535",
      "join = \"h:7800\"            | q.toml:3: cluster.join: expected a list",
      "buckets = 0                  | q.toml:3: cluster.buckets",
      "buckets = 2000000            | q.toml:3: cluster.buckets: expected a bucket count from 1 to 1048576",
      "spread = 0                   | q.toml:3: cluster.spread: expected a node count (1 to 1000), found 0",
      "name = \"\"                  | q.toml:3: cluster.name",
      "replicas = 0                 | q.toml:3: cluster.replicas: expected a copy count (1 to 7), found 0",
      "replicas = 8                 | q.toml:3: cluster.replicas",
      "min_durable_replicas = 3     | q.toml:3: cluster.min_durable_replicas: expected a copy count, at most replicas (1 to 2), found 3",
      "min_durable_replicas = 0     | q.toml:3: cluster.min_durable_replicas",
      "profile_replicas = 0         | q.toml:3: cluster.profile_replicas: expected a copy count (1 to 7), found 0",
      "clock_offset_for_testing = 3600001 | q.toml:3: cluster.clock_offset_for_testing",
      "nodes = 3                    | q.toml:3: cluster.nodes: unknown key"})
  void badValue_refusedWithFileLineAndKey(String line, String message) {
    assertThatThrownBy(() -> ConfigLoader.parse("q.toml", "# cluster\n[cluster]\n" + line + "\n", D))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining(message);
  }

  @Test
  void joinParsing_skipsEmptyEntries() {
    assertThat(NodeConfig.Cluster.parseJoin(List.of("a:1", " ", "b:2 "))).containsExactly(
        new HostPort("a", 1), new HostPort("b", 2));
  }
}
