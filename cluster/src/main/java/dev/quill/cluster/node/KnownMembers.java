package dev.quill.cluster.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;

/**
 * The members this node counts as part of its cluster — the live ones and those presumed down — kept
 * in a file so that a restart remembers them. Without it a node restarted while the others were out
 * of reach (down, paused, cut off) would form a cluster of one that knew of no one missing, and so
 * acknowledge writes with a single copy; found by the chaos run with seed 2 (docs/RELIABILITY.md).
 *
 * <p>One node name per line, replaced atomically and synced before the call returns. With no file
 * (tests of membership alone) the set is kept in memory only.
 */
final class KnownMembers {
  private final Path file;
  private Set<String> names;

  private KnownMembers(Path file, Set<String> names) {
    this.file = file;
    this.names = names;
  }

  /** Reads {@code file} (nothing known when it does not exist yet); null keeps the set in memory only. */
  static KnownMembers load(Path file) {
    Set<String> names = new TreeSet<>();
    if (file != null && Files.isRegularFile(file)) {
      try {
        Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip).filter(l -> !l.isEmpty())
            .forEach(names::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the known cluster members from " + file, e);
      }
    }
    return new KnownMembers(file, names);
  }

  synchronized Set<String> names() {
    return Set.copyOf(names);
  }

  /** Makes {@code members} the known set, written to the file (and synced) when it changed. */
  synchronized void set(Collection<String> members) {
    Set<String> now = new TreeSet<>(members);
    if (now.equals(names)) {
      return;
    }
    if (file != null) {
      write(now);
    }
    names = now;
  }

  private void write(Set<String> now) {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try {
      try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        out.write(ByteBuffer.wrap((String.join("\n", now) + "\n").getBytes(StandardCharsets.UTF_8)));
        out.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the known cluster members to " + file, e);
    }
  }
}
