package dev.quill.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.mail.Replication;
import dev.quill.cluster.transport.HostPort;
import dev.quill.server.config.NodeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code serve}'s cluster flags, over the file's {@code [cluster]} section. */
class ServeClusterFlagsTest {
  @TempDir
  Path dir;

  private static NodeConfig resolve(String... args) {
    ServeCommand serve = new ServeCommand();
    new CommandLine(serve).parseArgs(args);
    return serve.resolve();
  }

  @Test
  void noClusterFlags_standaloneAsBefore() {
    assertThat(resolve()).isEqualTo(NodeConfig.defaults());
  }

  @Test
  void flags_overrideTheFile() throws Exception {
    Path file = dir.resolve("q.toml");
    Files.writeString(file, "[cluster]\nport = 7800\nnode_name = \"from-file\"\njoin = [\"a:1\"]\nname = \"filed\"\n");
    NodeConfig.Cluster c = resolve("--config", file.toString(), "--node-name", "n2", "--cluster-port", "7900",
        "--join", "127.0.0.1:7800,127.0.0.1:7801", "--cluster-bind", "127.0.0.2").cluster();
    assertThat(c.nodeName()).isEqualTo("n2");
    assertThat(c.port()).isEqualTo(7900);
    assertThat(c.bind()).isEqualTo("127.0.0.2");
    assertThat(c.join()).containsExactly(new HostPort("127.0.0.1", 7800), new HostPort("127.0.0.1", 7801));
    assertThat(c.name()).isEqualTo("filed");
  }

  @Test
  void badFlags_refusedNamingTheFlag() {
    assertThatThrownBy(() -> resolve("--cluster-port", "65500")).hasMessageStartingWith("--cluster-port: ");
    assertThatThrownBy(() -> resolve("--join", "nohost")).hasMessageStartingWith("--join: expected HOST:PORT");
    assertThatThrownBy(() -> resolve("--node-name", "")).hasMessageStartingWith("--node-name: must be 1 to 200");
    assertThatThrownBy(() -> resolve("--cluster-name", "a\tb")).hasMessageStartingWith("--cluster-name: ");
    assertThatThrownBy(() -> resolve("--replicas", "0")).hasMessageStartingWith("--replicas: replicas must be from 1");
    assertThatThrownBy(() -> resolve("--replicas", "2", "--min-durable-replicas", "3"))
        .hasMessageStartingWith("--replicas: min-durable-replicas must be from 1 to replicas (2)");
  }

  @Test
  void replicationFlags() {
    assertThat(resolve("--replicas", "3").cluster().replication()).isEqualTo(new Replication(3, 2));
    assertThat(resolve("--replicas", "1").cluster().replication()).as("the floor follows R down")
        .isEqualTo(new Replication(1, 1));
    assertThat(resolve("--min-durable-replicas", "1").cluster().replication()).isEqualTo(new Replication(2, 1));
    assertThat(resolve("--replicas", "1").cluster().replication().profileReplicas()).as("profiles keep two")
        .isEqualTo(2);
    assertThat(resolve("--replicas", "4").cluster().replication().profileReplicas()).as("profiles follow R up")
        .isEqualTo(4);
  }
}
