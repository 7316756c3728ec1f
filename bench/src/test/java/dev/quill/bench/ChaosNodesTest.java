package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChaosNodesTest {
  @TempDir
  Path work;

  @Test
  void clockSkew_spreadsTheOffsetsEvenly_soTheFarthestNodesAreTheSkewApart() throws Exception {
    try (ChaosNodes nodes = new ChaosNodes(work.resolve("quill.jar"), work, "c", 3, 2, null, 5_000)) {
      assertThat(nodes.all().stream().map(n -> n.clockOffsetMillis).toList()).containsExactly(-2_500L, 0L, 2_500L);
    }
    try (ChaosNodes nodes = new ChaosNodes(work.resolve("quill.jar"), work, "c", 4, 2, null, 0)) {
      assertThat(nodes.all()).allMatch(n -> n.clockOffsetMillis == 0);
    }
  }
}
