package dev.quill.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Reads this process's open-file limit (what {@code ulimit -n} set) from {@code /proc/self/limits} on Linux. */
final class OpenFiles {
  private OpenFiles() {}

  /** The soft limit on open files, or empty when unknown (not Linux) or unlimited. */
  static OptionalLong softLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          return parseSoftLimit(line);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or /proc not mounted: the caller cannot check
    }
    return OptionalLong.empty();
  }

  /** Parses a {@code /proc/self/limits} line such as {@code "Max open files  1024  524288  files"}. */
  static OptionalLong parseSoftLimit(String line) {
    String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
    if (fields.length == 0 || fields[0].equals("unlimited")) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(Long.parseLong(fields[0]));
  }
}
