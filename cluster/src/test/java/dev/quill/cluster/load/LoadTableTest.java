package dev.quill.cluster.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class LoadTableTest {
  private final AtomicLong now = new AtomicLong();
  private final LoadTable table = new LoadTable(Duration.ofSeconds(2), now::get);

  @Test
  void latestReportWins_andStaleOnesAreForgotten() {
    table.update(new LoadReport("n1", 3, 0.5, 0));
    now.addAndGet(Duration.ofMillis(1500).toNanos());
    table.update(new LoadReport("n2", 0, 0.1, 0));
    table.update(new LoadReport("n1", 7, 0.9, 0));
    now.addAndGet(Duration.ofMillis(1000).toNanos());
    assertThat(table.get("n1")).map(LoadReport::diskQueueDepth).contains(7);

    now.addAndGet(Duration.ofMillis(1001).toNanos());
    assertThat(table.current()).isEmpty();
    assertThat(table.get("n2")).isEmpty();
  }

  @Test
  void senderClock_doesNotMatter() {
    table.update(new LoadReport("skewed", 1, 0.2, Long.MIN_VALUE));
    assertThat(table.current()).containsOnlyKeys("skewed");
  }
}
