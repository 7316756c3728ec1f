package dev.quill.server.cli;

import dev.quill.server.admin.AdminOps;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code quill domain add|list|delete}: the domains this node receives mail for. */
@Command(name = "domain", description = "Manage local domains.", mixinStandardHelpOptions = true)
final class DomainCommand {

  @Command(name = "add", description = "Add a local domain.")
  int add(@Mixin DataDirOption d, @Parameters(paramLabel = "DOMAIN") String domain) {
    try (AdminOps ops = Admin.open(d.data, true)) {
      boolean added = ops.addDomain(domain);
      System.out.println(added ? "domain " + domain + " added" : "domain " + domain + " already exists");
      return 0;
    }
  }

  @Command(name = "list", description = "List local domains.")
  int list(@Mixin DataDirOption d) {
    try (AdminOps ops = Admin.open(d.data, false)) {
      ops.domains().forEach(System.out::println);
      return 0;
    }
  }

  @Command(name = "delete", description = "Delete a local domain (it must have no users or aliases left).")
  int delete(@Mixin DataDirOption d, @Parameters(paramLabel = "DOMAIN") String domain) {
    try (AdminOps ops = Admin.open(d.data, false)) {
      if (!ops.deleteDomain(domain)) {
        System.err.println("quill: no such domain: " + domain);
        return 1;
      }
      System.out.println("domain " + domain + " deleted");
      return 0;
    }
  }
}
