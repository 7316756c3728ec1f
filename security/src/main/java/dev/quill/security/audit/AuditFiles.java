package dev.quill.security.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Names and lists the files of an audit log directory: {@code audit-00000001.log}, {@code audit-00000002.log}, … */
final class AuditFiles {
  private static final Pattern NAME = Pattern.compile("audit-(\\d{8})\\.log");

  private AuditFiles() {}

  /** The file with number {@code index}. */
  static Path file(Path dir, long index) {
    return dir.resolve(String.format("audit-%08d.log", index));
  }

  /** The number of an audit file, or -1 when {@code file} is not one. */
  static long index(Path file) {
    Matcher m = NAME.matcher(file.getFileName().toString());
    return m.matches() ? Long.parseLong(m.group(1)) : -1;
  }

  /** The audit files in {@code dir}, oldest first; empty when the directory does not exist. */
  static List<Path> list(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      List<Path> files = new ArrayList<>(s.filter(p -> index(p) > 0).toList());
      files.sort(Comparator.comparingLong(AuditFiles::index));
      return files;
    }
  }
}
