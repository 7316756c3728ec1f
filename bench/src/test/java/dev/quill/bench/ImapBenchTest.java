package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ImapBenchTest {
  @Test
  void parseMix_default_weightsBecomeSlots() {
    var table = ImapBench.parseMix(ImapBench.DEFAULT_MIX);
    assertThat(table).hasSize(100);
    assertThat(Arrays.stream(table).filter(op -> op == ImapBench.Op.headers).count()).isEqualTo(25);
    assertThat(Arrays.stream(table).filter(op -> op == ImapBench.Op.switch_).count()).isEqualTo(10);
  }

  @Test
  void parseMix_zeroWeightsAndRepeats() {
    var table = ImapBench.parseMix("headers=1, body=0,headers=2");
    assertThat(table).containsOnly(ImapBench.Op.headers).hasSize(3);
  }

  @Test
  void parseMix_errors() {
    assertThatThrownBy(() -> ImapBench.parseMix("nope=1")).hasMessageContaining("unknown operation");
    assertThatThrownBy(() -> ImapBench.parseMix("headers")).hasMessageContaining("name=weight");
    assertThatThrownBy(() -> ImapBench.parseMix("headers=x")).hasMessageContaining("not a number");
    assertThatThrownBy(() -> ImapBench.parseMix("headers=0")).hasMessageContaining("all weights are 0");
  }

  @Test
  void quote_escapes() {
    assertThat(ImapClient.quote("a\"b\\c")).isEqualTo("\"a\\\"b\\\\c\"");
  }
}
