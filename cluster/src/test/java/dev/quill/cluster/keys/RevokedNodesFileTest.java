package dev.quill.cluster.keys;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The revoked-names file: signed lines, lines from before signatures, damaged ones — every name is refused. */
class RevokedNodesFileTest {
  @TempDir Path dir;

  @Test
  void everyNameCounts_withOrWithoutAValidSignature() throws Exception {
    Path file = dir.resolve("revoked");
    Files.writeString(file, "# revoked\nold\nsigned QUJD\ndamaged not*base64\n\n");
    assertThat(RevokedNodes.load(file)).containsExactly("damaged", "old", "signed");
    assertThat(RevokedNodes.load(dir.resolve("absent"))).isEmpty();
  }
}
