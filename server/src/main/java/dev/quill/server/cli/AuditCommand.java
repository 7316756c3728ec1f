package dev.quill.server.cli;

import dev.quill.security.audit.AuditLog;
import dev.quill.security.audit.AuditReader;
import dev.quill.security.audit.AuditRecord;
import dev.quill.security.audit.AuditVerifier;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code quill audit tail|verify}: read a node's audit log ({@code <data>/audit/}) and check its hash chain. */
@Command(name = "audit", description = "Read and verify the node's tamper-evident audit log.", mixinStandardHelpOptions = true)
final class AuditCommand {
  /** How often {@code tail --follow} looks for new records. */
  static final Duration FOLLOW_POLL = Duration.ofMillis(200);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Command(name = "tail", description = "Print the last records, oldest first; with --follow, keep printing new ones.")
  int tail(@Mixin DataDirOption d,
      @Option(names = "-n", paramLabel = "N", defaultValue = "20", description = "How many records (default: ${DEFAULT-VALUE}).") int n,
      @Option(names = "--follow", description = "Keep printing records as they are written (stop with Ctrl-C).") boolean follow)
      throws Exception {
    if (n < 0) {
      throw new IllegalArgumentException("-n: must be 0 or more, not " + n);
    }
    PrintWriter out = spec.commandLine().getOut();
    AuditReader reader = new AuditReader(dir(d));
    if (follow) {
      reader.follow(n, r -> print(out, r), FOLLOW_POLL, () -> Thread.currentThread().isInterrupted());
    } else {
      reader.tail(n).forEach(r -> print(out, r));
    }
    out.flush();
    return 0;
  }

  @Command(name = "verify", description = "Recompute the hash chain; exit 0 when intact, 1 naming the first broken record.")
  int verify(@Mixin DataDirOption d) throws Exception {
    Path dir = dir(d);
    if (!Files.isDirectory(dir)) {
      // A mistyped --data must not pass for a clean log.
      throw new IllegalArgumentException("no audit log in " + dir.toAbsolutePath());
    }
    AuditVerifier.Report r = AuditVerifier.verify(dir);
    PrintWriter out = spec.commandLine().getOut();
    r.tornTail().ifPresent(t -> out.println("note: " + t));
    if (r.broken().isPresent()) {
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      err.println("quill: audit log " + dir + " is NOT intact: " + r.broken().get());
      err.println("quill: " + r.records() + " records before it chain correctly");
      err.flush();
      return 1;
    }
    out.println("audit log " + dir + " intact: " + r.records() + " records in " + r.files() + " file(s), head " + r.headHash());
    out.flush();
    return 0;
  }

  private static Path dir(DataDirOption d) {
    return d.data.resolve(AuditLog.DIRECTORY);
  }

  private static void print(PrintWriter out, AuditRecord r) {
    out.println(r.display());
    out.flush();
  }
}
