package dev.quill.cluster.transport;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketException;
import org.junit.jupiter.api.Test;

/** Which of JGroups' connection reports {@link QuietCloseLog} demotes: only the two every close makes. */
class QuietCloseLogTest {
  @Test
  void theTwoReportsOfAnOrdinaryClose_areDemoted() {
    assertThat(QuietCloseLog.ordinaryClose("%s: failed sending graceful close to %s: %s", "a", "b",
        "Socket closed")).isTrue();
    assertThat(QuietCloseLog.ordinaryClose("%s: failed handling message: %s", "a", "Stream closed")).isTrue();
    assertThat(QuietCloseLog.ordinaryClose("%s: failed handling message: %s", "a", new SocketException("Socket closed")))
        .isTrue();
  }

  /** With JGroups' log_details on, the closed stream comes as the exception of a plain message. */
  @Test
  void theDetailedForm_isDemotedToo_andOtherFailuresAreNot() {
    java.util.List<String> calls = new java.util.ArrayList<>();
    org.jgroups.logging.Log recording = (org.jgroups.logging.Log) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {org.jgroups.logging.Log.class}, (proxy, method, args) -> {
          calls.add(method.getName());
          return method.getReturnType() == boolean.class ? Boolean.TRUE : null;
        });
    QuietCloseLog log = new QuietCloseLog(recording);
    log.warn("127.0.0.1:7800: failed handling message", new IOException("Stream closed"));
    log.error("127.0.0.1:7800: failed sending graceful close to b", new SocketException("Socket closed"));
    log.warn("127.0.0.1:7800: failed handling message", new IOException("Broken pipe"));
    log.error("127.0.0.1:7800: something else", new IOException("Stream closed"));
    assertThat(calls).containsExactly("debug", "debug", "warn", "error");
  }

  /** Both transports, with the security layer and without, give their connections the quiet log. */
  @Test
  void bothTransports_useIt() throws Exception {
    try (var secured = new dev.quill.cluster.TestNodes("quiet-log");
        var clear = new dev.quill.cluster.TestNodes("quiet-log-clear")) {
      for (ClusterTransport node : java.util.List.of(secured.start("a"),
          clear.start("b", "quiet-log-clear", new TransportSecurity.Off()))) {
        var tcp = (QuietTcp) node.channel().getProtocolStack().getTransport();
        assertThat(tcp.server().log()).isInstanceOf(QuietCloseLog.class);
      }
    }
  }

  @Test
  void everythingElse_passesAsItIs() {
    assertThat(QuietCloseLog.ordinaryClose("%s: failed handling message: %s", "a", "length 99999999 too long"))
        .as("a real failure while handling a message").isFalse();
    assertThat(QuietCloseLog.ordinaryClose("%s: failed handling message: %s", "a", new IOException("Broken pipe")))
        .isFalse();
    assertThat(QuietCloseLog.ordinaryClose("%s: failed to connect to %s: %s", "a", "b", "Socket closed")).isFalse();
    assertThat(QuietCloseLog.ordinaryClose(null)).isFalse();
  }
}
