package dev.quill.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.quill.server.admin.LocalFragments;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.StoreFactory;
import dev.quill.store.MailStore;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code quill debug fragments}: what one node's own store holds, copy by copy, for operators and
 * fault tests comparing replicas. Not a view of the cluster: every other command shows the mail
 * merged from all the copies.
 */
@Command(name = "debug", description = "Look at one node's own data, for operators and fault tests.",
    mixinStandardHelpOptions = true)
final class DebugCommand {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Command(name = "fragments", description = "List the mailbox fragments THIS node holds (not the cluster's merged"
      + " view): per mailbox its counters and every message's UID, MODSEQ, size, CRC32C and flags, and the UIDs"
      + " its expunge log lists.")
  int fragments(@Mixin DataDirOption d,
      @Parameters(paramLabel = "USER", arity = "0..*", description = "Users to list (default: every user this node"
          + " holds a profile or a fragment of).") List<String> users,
      @Option(names = "--json", description = "Print JSON instead of text.") boolean json) throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    List<String> asked = users == null ? List.of() : users;
    LocalFragments report;
    var remote = RemoteAdminOps.connect(d.data);
    if (remote.isPresent()) {
      try (RemoteAdminOps ops = remote.get()) {
        report = ops.localFragments(asked);
      }
    } else {
      // A stopped node: its store is what it held when it stopped, read straight from the disk.
      if (!Files.isDirectory(d.data)) {
        throw new IllegalArgumentException("no Quill data directory at " + d.data.toAbsolutePath());
      }
      try (MailStore store = StoreFactory.open(NodeConfig.defaults().withData(d.data))) {
        report = LocalFragments.of("stopped", store, asked);
      }
    }
    out.print(json ? JSON.writeValueAsString(report) + "\n" : report.text());
    out.flush();
    return 0;
  }
}
