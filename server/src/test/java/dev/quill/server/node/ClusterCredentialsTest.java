package dev.quill.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.transport.TransportSecurity;
import dev.quill.security.keys.ClusterCa;
import dev.quill.server.cli.QuillCli;
import dev.quill.server.config.NodeConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a clustered node does with, without, and with someone else's credential; and the CLI that issues them. */
class ClusterCredentialsTest {
  @TempDir
  Path dir;

  private final NodeConfig.Cluster clustered = NodeConfig.defaults().cluster().withPort(7800).withNodeName("n1");

  @Test
  void withoutACredential_aClusteredNodeRefusesToStart_sayingWhatToRun() {
    assertThatThrownBy(() -> QuillNode.transportSecurity(clustered, "n1"))
        .hasMessageContaining("cluster init").hasMessageContaining("cluster add-node n1");
  }

  @Test
  void anotherNodesCredential_isRefused() throws Exception {
    Path file = dir.resolve("n2.cred");
    ClusterCa.init(dir.resolve("ca")).issue("n2", Clock.systemUTC()).write(file);
    assertThatThrownBy(() -> QuillNode.transportSecurity(clustered.withCredentials(file), "n1"))
        .hasMessageContaining("issued to n2");
  }

  @Test
  void initAndAddNode_throughTheCli_giveACredentialTheNodeRunsWith() throws Exception {
    Path ca = dir.resolve("ca");
    Path file = dir.resolve("n1.cred");
    assertThat(cli("cluster", "init", "--dir", ca.toString())).isZero();
    assertThat(cli("cluster", "add-node", "n1", "--ca", ca.toString(), "--out", file.toString())).isZero();
    assertThat(QuillNode.transportSecurity(clustered.withCredentials(file), "n1")).isInstanceOf(TransportSecurity.On.class);
    assertThat(QuillNode.transportSecurity(clustered.withSecurity(false), "n1")).isInstanceOf(TransportSecurity.Off.class);
  }

  private static int cli(String... args) {
    return QuillCli.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), args);
  }
}
