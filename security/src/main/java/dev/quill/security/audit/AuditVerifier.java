package dev.quill.security.audit;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Walks an audit log directory and recomputes its hash chain, reporting the first broken record:
 * an edited record (its hash no longer matches), a deleted, inserted or reordered one (it does not
 * chain from the record before it, or its sequence number is off), a missing file, or a file cut
 * short in the middle of the log. Bytes after the last complete line of the <em>last</em> file are
 * what a crash mid-write leaves, and are reported as a torn tail, not as tampering.
 *
 * <p>What a chain cannot show: records cut from the end together with their lines, or a whole log
 * rewritten with a fresh chain. Compare {@link Report#headHash()} with a copy kept elsewhere for that.
 */
public final class AuditVerifier {

  /** Where and how the chain first breaks. {@code line} is 1-based; 0 when the problem is a whole file. */
  public record Break(Path file, long line, String what) {
    @Override
    public String toString() {
      return file.getFileName() + (line > 0 ? " line " + line : "") + ": " + what;
    }
  }

  /**
   * The result of a verification.
   *
   * @param records the records that chain correctly (up to the break, if any)
   * @param headHash the hash of the last good record ({@link AuditRecord#GENESIS} when there is none)
   * @param broken the first break, when the log has been tampered with or damaged
   * @param tornTail a description of a torn last line, when the log ends with one
   */
  public record Report(int files, long records, String headHash, Optional<Break> broken, Optional<String> tornTail) {
    /** Whether the chain is whole (a torn last line does not count against it). */
    public boolean intact() {
      return broken.isEmpty();
    }
  }

  private AuditVerifier() {}

  /** Verifies the log in {@code dir}. An absent or empty directory is an intact, empty log. */
  public static Report verify(Path dir) throws IOException {
    List<Path> files = AuditFiles.list(dir);
    long seq = 0;
    String hash = AuditRecord.GENESIS;
    for (int i = 0; i < files.size(); i++) {
      Path file = files.get(i);
      if (AuditFiles.index(file) != i + 1) {
        String missing = AuditFiles.file(dir, i + 1).getFileName().toString();
        return broken(files.size(), seq, hash, new Break(file, 0, "file " + missing + " is missing before it"));
      }
      boolean lastFile = i == files.size() - 1;
      long lineNo = 0;
      try (AuditLines lines = new AuditLines(file, 0)) {
        AuditLines.Kind k;
        while ((k = lines.next()) != AuditLines.Kind.END) {
          lineNo++;
          if (k == AuditLines.Kind.TORN) {
            if (lastFile) {
              String torn = file.getFileName() + " line " + lineNo + ": torn last line of " + (lines.position() - lines.lineStart())
                  + " bytes (a write cut short by a crash); the chain up to it is intact";
              return new Report(files.size(), seq, hash, Optional.empty(), Optional.of(torn));
            }
            return broken(files.size(), seq, hash, new Break(file, lineNo,
                "the file ends in the middle of a record, but later files follow (file truncated)"));
          }
          if (k == AuditLines.Kind.TOO_LONG) {
            return broken(files.size(), seq, hash, new Break(file, lineNo, "line longer than "
                + AuditRecord.MAX_LINE_BYTES + " bytes (not a record)"));
          }
          AuditRecord r;
          try {
            r = AuditRecord.parse(lines.bytes(), lines.length());
          } catch (IllegalArgumentException e) {
            return broken(files.size(), seq, hash, new Break(file, lineNo, e.getMessage()));
          }
          if (!r.prev().equals(hash)) {
            return broken(files.size(), seq, hash, new Break(file, lineNo, "record #" + r.seq()
                + " does not chain from the record before it (prev " + abbreviate(r.prev()) + ", expected " + abbreviate(hash)
                + "): a record was deleted, inserted or reordered here"));
          }
          if (r.seq() != seq + 1) {
            return broken(files.size(), seq, hash, new Break(file, lineNo, "sequence number " + r.seq() + " where "
                + (seq + 1) + " was expected"));
          }
          seq = r.seq();
          hash = r.hash();
        }
      }
    }
    return new Report(files.size(), seq, hash, Optional.empty(), Optional.empty());
  }

  private static Report broken(int files, long seq, String hash, Break b) {
    return new Report(files, seq, hash, Optional.of(b), Optional.empty());
  }

  private static String abbreviate(String hash) {
    return hash.substring(0, 12) + "…";
  }
}
