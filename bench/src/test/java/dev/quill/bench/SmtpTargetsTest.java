package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.cluster.transport.HostPort;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

class SmtpTargetsTest {
  @Test
  void parse_threeEndpoints_inOrder() {
    var t = SmtpTargets.parse("127.0.0.1:2525, 127.0.0.1:3525,[::1]:4525");
    assertThat(t.endpoints()).containsExactly(new HostPort("127.0.0.1", 2525), new HostPort("127.0.0.1", 3525),
        new HostPort("::1", 4525));
    assertThat(t).hasToString("127.0.0.1:2525,127.0.0.1:3525,[::1]:4525");
  }

  @Test
  void indexFor_connectionsGoRoundRobin() {
    var t = SmtpTargets.parse("a:1,b:2,c:3");
    assertThat(IntStream.range(0, 7).map(t::indexFor)).containsExactly(0, 1, 2, 0, 1, 2, 0);
    assertThat(t.indexFor(Long.MAX_VALUE)).isBetween(0, 2);
  }

  @Test
  void parse_badItems_rejectedNamingTheItem() {
    assertThatThrownBy(() -> SmtpTargets.parse("127.0.0.1:2525,,127.0.0.1:3525"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("empty endpoint");
    assertThatThrownBy(() -> SmtpTargets.parse("127.0.0.1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("HOST:PORT");
    assertThatThrownBy(() -> SmtpTargets.parse("127.0.0.1:70000"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("70000");
    assertThatThrownBy(() -> SmtpTargets.parse("h:1,".repeat(1001) + "h:1"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 1000");
  }

  @Test
  void smtpBench_withoutTarget_usesHostAndPort() {
    var bench = parse("--host", "10.0.0.5", "--port", "2600");
    assertThat(bench.targets().endpoints()).containsExactly(new HostPort("10.0.0.5", 2600));
    assertThat(parse().targets()).hasToString("127.0.0.1:2525");
    assertThatThrownBy(() -> parse("--port", "0").targets())
        .isInstanceOf(ParameterException.class).hasMessageContaining("--host/--port: port 0");
  }

  @Test
  void smtpBench_target_replacesHostAndPort() {
    var bench = parse("--target", "127.0.0.1:2525,127.0.0.1:3525");
    assertThat(bench.targets().size()).isEqualTo(2);
    assertThatThrownBy(() -> parse("--target", "127.0.0.1:2525", "--port", "2526").targets())
        .isInstanceOf(ParameterException.class).hasMessageContaining("--target replaces --host and --port");
    assertThatThrownBy(() -> parse("--target", "nohost").targets())
        .isInstanceOf(ParameterException.class).hasMessageContaining("--target: expected HOST:PORT");
  }

  private static SmtpBench parse(String... args) {
    var bench = new SmtpBench();
    new CommandLine(bench).parseArgs(args);
    return bench;
  }
}
