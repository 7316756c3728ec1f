package dev.quill.cluster.keys;

import dev.quill.cluster.transport.SecureLayer;
import dev.quill.security.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The nodes this node refuses whatever key they hold ({@code cluster revoke}): applied to the
 * security layer at once and kept in {@code <data>/security/revoked}, one name a line followed by the
 * CA's signature of its revocation in base64 (absent on lines from before revocations were signed),
 * replaced atomically, so that a restart refuses them before it hears anyone and can still pass
 * them on ({@link RevocationSync}).
 */
public final class RevokedNodes {
  /** Where a node keeps the revoked names, under its data directory. */
  public static final Path FILE = Path.of("security", "revoked");
  private static final Logger log = LoggerFactory.getLogger(RevokedNodes.class);

  private final String self;
  private final Path file;
  private final SecureLayer layer;
  /** The CA's signature of each revocation this node can pass on, by name; guarded by this. */
  private final Map<String, byte[]> signatures = new TreeMap<>();

  /**
   * @param file where the names are kept ({@link #load} read it before the layer started)
   * @param layer the running security layer, which refuses the names
   */
  public RevokedNodes(String self, Path file, SecureLayer layer) throws IOException {
    this.self = self;
    this.file = file;
    this.layer = layer;
    for (Revocation r : loadSigned(file)) {
      if (r.caSignature().length > 0) {
        signatures.put(r.node(), r.caSignature());
      }
    }
  }

  /** The names kept in {@code file}; none when it does not exist yet. */
  public static Set<String> load(Path file) throws IOException {
    Set<String> names = new TreeSet<>();
    loadSigned(file).forEach(r -> names.add(r.node()));
    return names;
  }

  private static List<Revocation> loadSigned(Path file) throws IOException {
    List<Revocation> out = new ArrayList<>();
    if (Files.isRegularFile(file)) {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        String l = line.strip();
        if (l.isEmpty() || l.startsWith("#")) {
          continue;
        }
        int space = l.indexOf(' ');
        try {
          out.add(space < 0 ? new Revocation(l, new byte[0])
              : new Revocation(l.substring(0, space), Base64.getDecoder().decode(l.substring(space + 1).strip())));
        } catch (IllegalArgumentException damaged) {
          // the name still counts: refusing a node whose signature is damaged is the safe side
          out.add(new Revocation(l.substring(0, space), new byte[0]));
        }
      }
    }
    return out;
  }

  /** The names refused now. */
  public Set<String> names() {
    return layer.revoked();
  }

  /** The revocations this node can pass on: those it holds with the CA's signature. */
  public synchronized List<Revocation> signed() {
    List<Revocation> out = new ArrayList<>();
    signatures.forEach((node, signature) -> out.add(new Revocation(node, signature)));
    return out;
  }

  /**
   * Refuses the nodes of {@code revocations} (whose signatures the caller checked) and keeps them
   * with their signatures, so that they are passed on too.
   *
   * @return the names that were not refused before
   */
  public synchronized Set<String> revokeSigned(Collection<Revocation> revocations) {
    boolean newSignature = false;
    for (Revocation r : revocations) {
      if (!r.node().equals(self) && r.caSignature().length > 0 && !signatures.containsKey(r.node())) {
        signatures.put(r.node(), r.caSignature());
        newSignature = true;
      }
    }
    Set<String> added = revoke(revocations.stream().map(Revocation::node).toList());
    if (added.isEmpty() && newSignature) {
      save(Set.of()); // a name refused before, now with its signature
    }
    return added;
  }

  /**
   * Refuses {@code nodes} from now on, and keeps them; this node's own name is ignored (a list
   * naming it came from a member that revoked it, and only the CA's new credential helps then).
   *
   * @return the names that were not refused before
   * @throws UncheckedIOException when the file cannot be written (they are refused until a restart)
   */
  private Set<String> revoke(Collection<String> nodes) {
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
      save(added);
      log.info("event=revoked node={} revoked={}", self, added);
    }
    return added;
  }

  private void save(Set<String> added) {
    StringBuilder text = new StringBuilder();
    for (String node : new TreeSet<>(layer.revoked())) {
      byte[] signature = signatures.get(node);
      text.append(node).append(signature == null ? "" : " " + Base64.getEncoder().encodeToString(signature)).append('\n');
    }
    try {
      AtomicFiles.write(file, text.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("revoked " + added + " but cannot keep them in " + file + " (" + e.getMessage()
          + "); after a restart this node would not refuse them: fix the data directory and revoke again", e);
    }
  }
}
