package dev.quill.server.cluster;

import dev.quill.security.keys.ClusterCa;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * Node credentials for test clusters, as {@code ./quill cluster add-node} issues them: one CA per
 * test JVM (so every test node shares the cluster key), so that every clustered test runs with the
 * security layer on.
 */
final class TestCredentials {
  private static ClusterCa ca;

  private TestCredentials() {}

  /** Issues {@code node}'s credential into {@code dir} and returns the file. */
  static synchronized Path issue(Path dir, String node) {
    try {
      if (ca == null) {
        Path caDir = Files.createTempDirectory("quill-test-ca");
        caDir.toFile().deleteOnExit();
        ca = ClusterCa.init(caDir.resolve("ca"));
      }
      Files.createDirectories(dir);
      Path file = dir.resolve(node + ".credential");
      ca.issue(node, Clock.systemUTC()).write(file);
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
