package dev.quill.server.cli;

import dev.quill.security.policy.Policy;
import dev.quill.security.policy.PolicyException;
import dev.quill.security.policy.PolicyParser;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.admin.SecurityControl;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine;

/**
 * {@code quill policy check FILE}: parse a policy file and print it normalised, or the error with its
 * line number; {@code quill policy push FILE} makes it the cluster's policy on every member through a
 * running node; {@code quill policy show} prints the policy in force and the node's security counters.
 */
@Command(name = "policy", description = "Check, push and show the cluster's security policy.",
    mixinStandardHelpOptions = true)
final class PolicyCommand {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Command(name = "check", description = "Parse a policy file; print its normalised form (exit 0) or the first error (exit 1).")
  int check(@Parameters(paramLabel = "FILE") Path file) {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      Policy policy = PolicyParser.parse(read(file));
      out.print(policy.toText());
      out.flush();
      return 0;
    } catch (PolicyException | IOException e) {
      err.println("quill: " + file + ": " + e.getMessage());
      err.flush();
      return 1;
    }
  }

  @Command(name = "push", description = "Make FILE the cluster's policy: the security server installs it on every"
      + " member within a second. Its version must be above the current one.")
  int push(@Mixin DataDirOption d, @Parameters(paramLabel = "FILE") Path file) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String text;
    try {
      text = read(file);
      PolicyParser.parse(text); // a syntax error is shown here, with its line, before any node sees it
    } catch (PolicyException | IOException e) {
      err.println("quill: " + file + ": " + e.getMessage());
      err.flush();
      return 1;
    }
    try (RemoteAdminOps ops = running(d)) {
      SecurityControl.PushReport r = ops.pushPolicy(text);
      out.println("policy version " + r.version() + " installed on " + String.join(", ", r.installed()));
      if (!r.missing().isEmpty()) {
        out.println("not confirmed within a second by " + String.join(", ", r.missing())
            + " (they take it when they next hear from the security server)");
      }
      out.flush();
      return r.missing().isEmpty() ? 0 : 1;
    }
  }

  @Command(name = "show", description = "Print the policy in force on a running node and its security counters.")
  int show(@Mixin DataDirOption d) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    try (RemoteAdminOps ops = running(d)) {
      SecurityControl.Report r = ops.showPolicy();
      out.println("# node " + r.node() + ", security server " + r.securityServer() + ", policy version "
          + r.policyVersion());
      out.println("# remote requests: " + r.allows() + " allowed, " + r.audits() + " allowed and audited, " + r.denies()
          + " denied; audit log: " + r.auditWritten() + " records written, " + r.auditDropped() + " dropped");
      out.println("# inter-node messages: " + (r.transport() ? r.sealed() + " sealed, " + r.opened() + " opened, "
          + r.dropped().values().stream().mapToLong(Long::longValue).sum() + " refused " + r.dropped()
          : "security layer OFF (sent and taken in clear)"));
      out.print(r.policy());
      out.flush();
      return 0;
    }
  }

  private static RemoteAdminOps running(DataDirOption d) {
    return RemoteAdminOps.connect(d.data).orElseThrow(() -> new IllegalArgumentException(
        "no running node on " + d.data.toAbsolutePath() + "; start it with ./quill serve --data " + d.data));
  }

  /** The file as UTF-8 text, refusing what is too big or not UTF-8 with a plain message. */
  private static String read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("no such file");
    }
    long size = Files.size(file);
    // Four bytes per character at most in UTF-8; the parser gives the exact limit in characters.
    if (size > 4L * PolicyParser.MAX_CHARS) {
      throw new IOException("file is " + size + " bytes, far more than a policy may be");
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
    } catch (CharacterCodingException e) {
      throw new IOException("not UTF-8 text");
    }
  }
}
