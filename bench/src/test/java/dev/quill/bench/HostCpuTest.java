package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostCpuTest {
  @Test
  void busyIsEverythingButIdleAndIoWait_inMillis() {
    // user nice system idle iowait irq softirq steal guest guest_nice
    HostCpu cpu = HostCpu.parse("cpu  100 5 50 1000 20 3 2 0 7 0");
    assertThat(cpu.totalMillis()).isEqualTo((100 + 5 + 50 + 1000 + 20 + 3 + 2) * 10L);
    assertThat(cpu.busyMillis()).isEqualTo((100 + 5 + 50 + 3 + 2) * 10L);
  }

  @Test
  void sinceSubtracts() {
    HostCpu a = HostCpu.parse("cpu 10 0 10 100 0 0 0 0");
    HostCpu b = HostCpu.parse("cpu 40 0 20 150 0 0 0 0");
    assertThat(b.since(a)).isEqualTo(new HostCpu(400, 900));
  }

  @Test
  void aPerCpuLineIsRefused() {
    assertThatThrownBy(() -> HostCpu.parse("cpu0 1 2 3 4 5 6 7 8")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void thisMachineIsReadable() {
    HostCpu now = HostCpu.now();
    assertThat(now).isNotNull();
    assertThat(now.totalMillis()).isGreaterThan(now.busyMillis()).isPositive();
  }
}
