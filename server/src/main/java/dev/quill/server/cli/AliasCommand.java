package dev.quill.server.cli;

import dev.quill.server.admin.AdminOps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code quill alias add|list|delete}: addresses that deliver to a user. */
@Command(name = "alias", description = "Manage aliases.", mixinStandardHelpOptions = true)
final class AliasCommand {

  @Command(name = "add", description = "Make ALIAS deliver to the user TARGET.")
  int add(@Mixin DataDirOption d, @Parameters(paramLabel = "ALIAS") String alias,
      @Parameters(paramLabel = "TARGET") String target) {
    try (AdminOps ops = Admin.open(d.data, false)) {
      ops.addAlias(alias, target);
      System.out.println("alias " + alias + " -> " + target + " added");
      return 0;
    }
  }

  @Command(name = "list", description = "List aliases.")
  int list(@Mixin DataDirOption d) {
    try (AdminOps ops = Admin.open(d.data, false)) {
      ops.aliases().forEach((a, t) -> System.out.println(a + "\t" + t));
      return 0;
    }
  }

  @Command(name = "delete", description = "Delete an alias.")
  int delete(@Mixin DataDirOption d, @Parameters(paramLabel = "ALIAS") String alias) {
    try (AdminOps ops = Admin.open(d.data, false)) {
      if (!ops.deleteAlias(alias)) {
        System.err.println("quill: no such alias: " + alias);
        return 1;
      }
      System.out.println("alias " + alias + " deleted");
      return 0;
    }
  }
}
