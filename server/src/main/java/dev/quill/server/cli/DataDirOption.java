package dev.quill.server.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --data DIR} option shared by the administration commands. */
public final class DataDirOption {
  @Option(names = "--data", paramLabel = "DIR", defaultValue = "quill-data",
      description = "The node's data directory (default: ${DEFAULT-VALUE}).")
  Path data;
}
