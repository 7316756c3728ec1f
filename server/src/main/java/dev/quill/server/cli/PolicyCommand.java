package dev.quill.server.cli;

import dev.quill.security.policy.Policy;
import dev.quill.security.policy.PolicyException;
import dev.quill.security.policy.PolicyParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code quill policy check FILE}: parse a policy file and print it normalised, or the error with its line number. */
@Command(name = "policy", description = "Check security policy files.", mixinStandardHelpOptions = true)
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
