package dev.quill.server.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code quill} command: {@code serve}, domain, user and alias administration, and cluster status. */
@Command(name = "quill", mixinStandardHelpOptions = true, version = "Quill 0.1.0",
    description = "Quill: a scalable, secure, cluster-based mail service.",
    subcommands = {ServeCommand.class, DomainCommand.class, UserCommand.class, AliasCommand.class,
        ClusterCommand.class, DebugCommand.class, AuditCommand.class, PolicyCommand.class})
public final class QuillCli implements Runnable {

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns the exit code: 0 done, 1 refused or failed, 2 bad usage. */
  public static int run(String... args) {
    return run(new CommandLine(new QuillCli()), args);
  }

  /** Runs the CLI with its output and errors going to the given writers (commands that print through picocli). */
  public static int run(PrintWriter out, PrintWriter err, String... args) {
    return run(new CommandLine(new QuillCli()).setOut(out).setErr(err), args);
  }

  private static int run(CommandLine cli, String... args) {
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("quill: " + (e.getMessage() == null ? e.toString() : e.getMessage()));
      return 1;
    });
    return cli.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
