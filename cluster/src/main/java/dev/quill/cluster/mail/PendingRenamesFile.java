package dev.quill.cluster.mail;

import dev.quill.security.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file that keeps {@link PendingRenames} across a restart of the node that made the RENAME:
 * without it the retries were in memory only, and a holder's unrenamed fragment kept the old name
 * (and stayed out of every listing) once this node restarted.
 *
 * <p>One rename a line: the wall-clock time it is given up at (epoch milliseconds), the holder, the
 * user, the old and the new name, then one {@code name=UIDVALIDITY} per renamed mailbox, tab-separated,
 * each field URL-encoded (mailbox names may hold any character but CR and LF, tabs included). The file
 * is replaced whole and synced at each change ({@link AtomicFiles}). A file that cannot be parsed is
 * set aside as {@code NAME.bad} with a warning and the node starts with no pending renames: what it
 * held was retries, not mail, and the operator can read it there.
 */
final class PendingRenamesFile {
  private static final Logger log = LoggerFactory.getLogger(PendingRenamesFile.class);
  private static final String HEADER = "# quill pending fragment renames, v1";

  private final Path file;

  PendingRenamesFile(Path file) {
    this.file = file;
  }

  /** The renames kept, each with when it is given up (epoch ms); none when there is no file yet. */
  Map<PendingRenames.Rename, Long> read() {
    if (!Files.isRegularFile(file)) {
      return Map.of();
    }
    try {
      return parse(Files.readString(file, StandardCharsets.UTF_8));
    } catch (CharacterCodingException e) {
      return setAside("not UTF-8");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the pending renames in " + file, e);
    } catch (IllegalArgumentException e) {
      return setAside(e.getMessage());
    }
  }

  private Map<PendingRenames.Rename, Long> setAside(String why) {
    Path bad = file.resolveSibling(file.getFileName() + ".bad");
    log.warn("{} is not a pending-renames file ({}); set aside as {}, starting with none", file, why, bad);
    try {
      Files.move(file, bad, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException moveFailed) {
      throw new UncheckedIOException("cannot set aside the unreadable " + file + "; move it away by hand", moveFailed);
    }
    return Map.of();
  }

  /** Replaces the file with {@code renames}, synced before it returns. */
  void write(Map<PendingRenames.Rename, Long> renames) {
    try {
      AtomicFiles.write(file, format(renames));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the pending renames to " + file, e);
    }
  }

  /** The file's text for {@code renames}. */
  static String format(Map<PendingRenames.Rename, Long> renames) {
    StringBuilder out = new StringBuilder(HEADER).append('\n');
    renames.forEach((r, giveUp) -> {
      out.append(giveUp).append('\t').append(encode(r.node())).append('\t').append(encode(r.user())).append('\t')
          .append(encode(r.from())).append('\t').append(encode(r.to()));
      new TreeMap<>(r.uidValidities()).forEach((name, v) -> out.append('\t').append(encode(name)).append('=').append(v));
      out.append('\n');
    });
    return out.toString();
  }

  /** The renames of a file's text; {@link IllegalArgumentException} naming the first bad line. */
  static Map<PendingRenames.Rename, Long> parse(String text) {
    Map<PendingRenames.Rename, Long> renames = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    if (!lines[0].equals(HEADER)) {
      throw new IllegalArgumentException("line 1 is not \"" + HEADER + "\"");
    }
    for (int i = 1; i < lines.length; i++) {
      if (lines[i].isEmpty()) {
        continue;
      }
      String[] f = lines[i].split("\t", -1);
      try {
        if (f.length < 5) {
          throw new IllegalArgumentException("too few fields");
        }
        Map<String, Long> uidValidities = new HashMap<>();
        for (int k = 5; k < f.length; k++) {
          int eq = f[k].lastIndexOf('=');
          if (eq < 0) {
            throw new IllegalArgumentException("no '=' in a UIDVALIDITY");
          }
          uidValidities.put(decode(f[k].substring(0, eq)), Long.parseLong(f[k].substring(eq + 1)));
        }
        renames.put(new PendingRenames.Rename(decode(f[1]), decode(f[2]), decode(f[3]), decode(f[4]), uidValidities),
            Long.parseLong(f[0]));
      } catch (IllegalArgumentException e) { // NumberFormatException too
        throw new IllegalArgumentException("line " + (i + 1) + ": " + e.getMessage(), e);
      }
    }
    return renames;
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String decode(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
