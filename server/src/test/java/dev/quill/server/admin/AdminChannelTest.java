package dev.quill.server.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import dev.quill.store.StoreException;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin channel of a running node: found from the data directory, token-protected, loopback-only. */
class AdminChannelTest {
  @TempDir
  Path dir;

  private QuillNode node;

  @BeforeEach
  void start() throws Exception {
    node = QuillNode.start(NodeConfig.defaults().withData(dir).withSmtpPort(0).withSubmissionPort(0).withPop3Port(0).withImapPort(0));
  }

  @AfterEach
  void stop() {
    node.close();
  }

  @Test
  void runningNode_isReachedThroughItsDataDirectory() {
    try (AdminOps ops = RemoteAdminOps.connect(dir).orElseThrow()) {
      assertThat(ops.addDomain("example.test")).isTrue();
      assertThat(ops.addDomain("EXAMPLE.test")).isFalse();
      ops.addUser("alice@example.test", "pw".toCharArray());
      ops.addAlias("info@example.test", "alice@example.test");
      assertThat(ops.domains()).containsExactly("example.test");
      assertThat(ops.users()).extracting(AdminOps.UserLine::address).containsExactly("alice@example.test");
      assertThat(ops.aliases()).containsEntry("info@example.test", "alice@example.test");
      assertThatThrownBy(() -> ops.addUser("alice@example.test", "x".toCharArray()))
          .isInstanceOf(StoreException.class);
      assertThatThrownBy(() -> ops.deleteDomain("example.test")).isInstanceOf(StoreException.class);
    }
    assertThat(node.store().authenticate("alice@example.test", "pw".toCharArray())).isTrue();
  }

  @Test
  void endpointFile_isOwnerOnly() throws Exception {
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(AdminEndpoint.file(dir))))
        .isEqualTo("rw-------");
  }

  @Test
  void wrongToken_isRefusedAndDisconnected() throws Exception {
    int port = AdminEndpoint.read(dir).orElseThrow().port();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.getOutputStream().write("{\"op\":\"domain.list\",\"token\":\"guess\"}\n".getBytes(StandardCharsets.UTF_8));
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      assertThat(in.readLine()).contains("\"ok\":false").contains("not authorised");
      assertThat(in.readLine()).isNull();
    }
  }

  @Test
  void malformedRequest_getsErrorNotCrash() throws Exception {
    int port = AdminEndpoint.read(dir).orElseThrow().port();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.getOutputStream().write("this is not json\n".getBytes(StandardCharsets.UTF_8));
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
      assertThat(in.readLine()).contains("malformed request");
    }
    try (AdminOps ops = RemoteAdminOps.connect(dir).orElseThrow()) {
      assertThat(ops.domains()).isEmpty();
    }
  }

  @Test
  void stoppedNode_removesEndpoint_andStaleEndpointIsIgnored() throws Exception {
    node.close();
    assertThat(AdminEndpoint.file(dir)).doesNotExist();
    new AdminEndpoint(1, "stale").write(dir); // as if a killed node left it behind
    assertThat(RemoteAdminOps.connect(dir)).isEmpty();
    node = QuillNode.start(NodeConfig.defaults().withData(dir).withSmtpPort(0).withSubmissionPort(0).withPop3Port(0).withImapPort(0));
  }
}
