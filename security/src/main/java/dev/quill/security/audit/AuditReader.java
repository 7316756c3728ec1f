package dev.quill.security.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Reads an audit log for people: the last records ({@code quill audit tail}), and new ones as they
 * are written ({@code --follow}). Shows well-formed records only and does not check the chain;
 * {@link AuditVerifier} does that.
 */
public final class AuditReader {
  private final Path dir;

  /** A reader of the audit log in {@code dir}. */
  public AuditReader(Path dir) {
    this.dir = dir;
  }

  /** The last {@code n} records, oldest first; bounded memory whatever the log's size. */
  public List<AuditRecord> tail(int n) throws IOException {
    ArrayDeque<AuditRecord> out = new ArrayDeque<>();
    if (n <= 0) {
      return List.of();
    }
    List<Path> files = AuditFiles.list(dir);
    for (int i = files.size() - 1; i >= 0 && out.size() < n; i--) {
      ArrayDeque<AuditRecord> last = new ArrayDeque<>();
      read(files.get(i), 0, r -> {
        if (last.size() == n - out.size()) {
          last.removeFirst();
        }
        last.addLast(r);
      });
      while (!last.isEmpty()) {
        out.addFirst(last.removeLast());
      }
    }
    return new ArrayList<>(out);
  }

  /**
   * Gives the last {@code n} records to {@code sink}, then each new record as it is written, polling
   * every {@code poll} and moving on to the next file when the log rotates, until {@code stop} says so.
   */
  public void follow(int n, Consumer<AuditRecord> sink, Duration poll, BooleanSupplier stop)
      throws IOException, InterruptedException {
    tail(n).forEach(sink);
    List<Path> files = AuditFiles.list(dir);
    long index = files.isEmpty() ? 1 : AuditFiles.index(files.getLast());
    long position = files.isEmpty() ? 0 : completeLength(files.getLast());
    while (!stop.getAsBoolean()) {
      Path file = AuditFiles.file(dir, index);
      if (Files.exists(file)) {
        position = read(file, position, sink);
      }
      Path next = AuditFiles.file(dir, index + 1);
      if (Files.exists(next)) {
        // The writer forces a file before starting the next, so what is left of this one was read above.
        position = read(file, position, sink);
        index++;
        position = 0;
        continue;
      }
      Thread.sleep(poll);
    }
  }

  /** Reads complete records of {@code file} from {@code offset}; returns the offset after the last complete line. */
  private static long read(Path file, long offset, Consumer<AuditRecord> sink) throws IOException {
    try (AuditLines lines = new AuditLines(file, offset)) {
      long end = offset;
      AuditLines.Kind k;
      while ((k = lines.next()) != AuditLines.Kind.END && k != AuditLines.Kind.TORN) {
        end = lines.position();
        if (k == AuditLines.Kind.LINE) {
          try {
            sink.accept(AuditRecord.parse(lines.bytes(), lines.length()));
          } catch (IllegalArgumentException malformed) {
            // Skipped here; 'quill audit verify' reports it.
          }
        }
      }
      return end;
    }
  }

  private static long completeLength(Path file) throws IOException {
    return read(file, 0, r -> {});
  }
}
