package dev.quill.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.security.audit.AuditEvent;
import dev.quill.security.audit.AuditLog;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code quill audit tail|verify} and {@code quill policy check} on real files. */
class AuditPolicyCommandsTest {
  @TempDir
  Path data;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int quill(String... args) {
    return QuillCli.run(new PrintWriter(out), new PrintWriter(err), args);
  }

  private void writeAudit(int count) throws Exception {
    try (AuditLog log = AuditLog.open(data.resolve("audit"), "n1")) {
      for (int i = 1; i <= count; i++) {
        log.record(new AuditEvent("service:imap@n" + i, "profile", "user" + i, "update", "deny", "default deny"));
      }
      log.force();
    }
  }

  @Test
  void auditTail_printsTheLastRecordsOldestFirst() throws Exception {
    writeAudit(5);
    assertThat(quill("audit", "tail", "-n", "2", "--data", data.toString())).isZero();
    List<String> lines = out.toString().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("#4 ").contains("service:imap@n4 profile user4 update -> deny (default deny)");
    assertThat(lines.get(1)).startsWith("#5 ");
  }

  @Test
  void auditVerify_exitsZeroWhenIntact_andOneNamingTheBrokenRecord() throws Exception {
    assertThat(quill("audit", "verify", "--data", data.toString())).as("no log yet").isEqualTo(1);
    assertThat(err.toString()).contains("no audit log in ");
    writeAudit(0);
    assertThat(quill("audit", "verify", "--data", data.toString())).isZero();
    assertThat(out.toString()).contains("intact: 0 records");
    writeAudit(5);
    assertThat(quill("audit", "verify", "--data", data.toString())).isZero();
    assertThat(out.toString()).contains("intact: 5 records in 1 file(s), head ");

    Path file = data.resolve("audit").resolve("audit-00000001.log");
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    Files.writeString(file, String.join("\n", lines.subList(0, 2)) + "\n" + String.join("\n", lines.subList(3, 5)) + "\n");
    assertThat(quill("audit", "verify", "--data", data.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("is NOT intact: audit-00000001.log line 3: record #4 does not chain")
        .contains("2 records before it chain correctly");
  }

  @Test
  void policyCheck_printsTheNormalisedPolicy_orTheErrorWithItsLine() throws Exception {
    Path good = data.resolve("good.policy");
    Files.writeString(good, "# test\nversion 2\nservice:smtp@*   fragment store -> ALLOW\n");
    assertThat(quill("policy", "check", good.toString())).isZero();
    assertThat(out.toString()).isEqualTo("version 2\ndefault deny\nservice:smtp@* fragment store -> allow\n");

    Path bad = data.resolve("bad.policy");
    Files.writeString(bad, "version 2\n\nservice:smtp@* fragment stor -> allow\n");
    assertThat(quill("policy", "check", bad.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("bad.policy: line 3: unknown permission 'stor'");

    Files.write(bad, new byte[] {'v', (byte) 0xff, '\n'});
    assertThat(quill("policy", "check", bad.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("not UTF-8 text");
    assertThat(quill("policy", "check", data.resolve("absent").toString())).isEqualTo(1);
    assertThat(err.toString()).contains("absent: no such file");
  }
}
