package dev.quill.cluster.keys;

import dev.quill.cluster.transport.SecureLayer;
import dev.quill.security.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes this node refuses whatever key they hold ({@code cluster revoke}): applied to the
 * security layer at once and kept in {@code <data>/security/revoked}, one name a line, replaced
 * atomically, so that a restart refuses them before it hears anyone.
 */
public final class RevokedNodes {
  /** Where a node keeps the revoked names, under its data directory. */
  public static final Path FILE = Path.of("security", "revoked");
  private static final Logger log = LoggerFactory.getLogger(RevokedNodes.class);

  private final String self;
  private final Path file;
  private final SecureLayer layer;

  /**
   * @param file where the names are kept ({@link #load} read it before the layer started)
   * @param layer the running security layer, which refuses the names
   */
  public RevokedNodes(String self, Path file, SecureLayer layer) {
    this.self = self;
    this.file = file;
    this.layer = layer;
  }

  /** The names kept in {@code file}; none when it does not exist yet. */
  public static Set<String> load(Path file) throws IOException {
    Set<String> names = new TreeSet<>();
    if (Files.isRegularFile(file)) {
      Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::strip)
          .filter(l -> !l.isEmpty() && !l.startsWith("#")).forEach(names::add);
    }
    return names;
  }

  /** The names refused now. */
  public Set<String> names() {
    return layer.revoked();
  }

  /**
   * Refuses {@code nodes} from now on, and keeps them; this node's own name is ignored (a list
   * naming it came from a member that revoked it, and only the CA's new credential helps then).
   *
   * @return the names that were not refused before
   * @throws UncheckedIOException when the file cannot be written (they are refused until a restart)
   */
  public synchronized Set<String> revoke(Collection<String> nodes) {
    Set<String> added = new TreeSet<>();
    for (String node : nodes) {
      if (node.equals(self)) {
        log.warn("event=revocation-of-self node={}: another member lists this node as revoked; it will be refused"
            + " by the cluster until it is issued a new credential (cluster add-node)", self);
      } else if (!layer.revoked().contains(node)) {
        layer.revoke(node);
        added.add(node);
      }
    }
    if (!added.isEmpty()) {
      try {
        AtomicFiles.write(file, String.join("\n", new TreeSet<>(layer.revoked())) + "\n");
      } catch (IOException e) {
        throw new UncheckedIOException("revoked " + added + " but cannot keep them in " + file + " (" + e.getMessage()
            + "); after a restart this node would not refuse them: fix the data directory and revoke again", e);
      }
      log.info("event=revoked node={} revoked={}", self, added);
    }
    return added;
  }
}
