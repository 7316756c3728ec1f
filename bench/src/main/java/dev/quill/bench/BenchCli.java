package dev.quill.bench;

import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code quill-bench.jar}: the {@code ./quill bench} load generators.
 *
 * <p>Exit status: 0 on success, 1 when a run saw errors (unless {@code --allow-errors}), 2 on bad usage or an
 * environment that cannot run the benchmark (such as a too-low {@code ulimit -n}).
 */
@Command(name = "quill bench", mixinStandardHelpOptions = true, version = "quill-bench 0.1.0",
    description = "Load generators for Quill and its peers (Postfix, Dovecot). See docs/BENCHMARKS.md.",
    subcommands = {SmtpBench.class, Pop3Bench.class, ImapBench.class, IdleBench.class, ReconstructionBench.class,
        ChaosBench.class, SecurityBench.class,
        CommandLine.HelpCommand.class})
public final class BenchCli implements Runnable {
  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }

  /** Runs a subcommand; a leading {@code bench} argument, as the launcher may pass it, is skipped. */
  public static void main(String[] args) {
    String[] rest = args.length > 0 && args[0].equals("bench") ? Arrays.copyOfRange(args, 1, args.length) : args;
    System.exit(new CommandLine(new BenchCli()).execute(rest));
  }
}
