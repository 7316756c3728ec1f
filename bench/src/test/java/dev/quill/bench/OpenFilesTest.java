package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OpenFilesTest {
  @Test
  void parseSoftLimit_number() {
    assertThat(OpenFiles.parseSoftLimit("Max open files            1024                 524288               files"))
        .hasValue(1024);
  }

  @Test
  void parseSoftLimit_unlimited_empty() {
    assertThat(OpenFiles.parseSoftLimit("Max open files            unlimited            unlimited            files"))
        .isEmpty();
  }
}
