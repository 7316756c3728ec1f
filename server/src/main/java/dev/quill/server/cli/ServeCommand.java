package dev.quill.server.cli;

import dev.quill.server.config.ConfigLoader;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.QuillNode;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code quill serve}: runs one node in the foreground until SIGTERM or SIGINT, then stops
 * gracefully. Precedence: flags over the config file over the embedded defaults.
 */
@Command(name = "serve", description = "Run a Quill node in the foreground.", mixinStandardHelpOptions = true)
final class ServeCommand implements Callable<Integer> {

  @Option(names = "--config", paramLabel = "FILE", description = "TOML configuration file.")
  Path config;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory (default: quill-data).")
  Path data;

  @Option(names = "--bind", paramLabel = "ADDR", description = "Address to listen on (default: 127.0.0.1).")
  String bind;

  @Option(names = "--hostname", paramLabel = "NAME", description = "Host name in greetings and Received headers.")
  String hostname;

  @Option(names = "--smtp-port", paramLabel = "N", description = "SMTP port (default: 2525).")
  Integer smtpPort;

  @Option(names = "--submission-port", paramLabel = "N", description = "Submission port (default: 2587).")
  Integer submissionPort;

  @Option(names = "--pop3-port", paramLabel = "N", description = "POP3 port (default: 2110).")
  Integer pop3Port;

  @Option(names = "--imap-port", paramLabel = "N", description = "IMAP port (default: 2143).")
  Integer imapPort;

  /** The configuration these flags describe. */
  NodeConfig resolve() {
    NodeConfig c = NodeConfig.defaults();
    if (config != null) {
      c = ConfigLoader.load(config, c);
    }
    if (data != null) {
      c = c.withData(data);
    }
    if (bind != null) {
      c = c.withBind(bind);
    }
    if (hostname != null) {
      c = c.withHostname(hostname);
    }
    if (smtpPort != null) {
      c = c.withSmtpPort(checkPort("--smtp-port", smtpPort));
    }
    if (submissionPort != null) {
      c = c.withSubmissionPort(checkPort("--submission-port", submissionPort));
    }
    if (pop3Port != null) {
      c = c.withPop3Port(checkPort("--pop3-port", pop3Port));
    }
    if (imapPort != null) {
      c = c.withImapPort(checkPort("--imap-port", imapPort));
    }
    return c;
  }

  private static int checkPort(String flag, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(flag + ": " + port + " is not a TCP port (0 to 65535)");
    }
    return port;
  }

  @Override
  public Integer call() throws Exception {
    NodeConfig cfg = resolve();
    QuillNode node = QuillNode.start(cfg);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.close();
      stopped.countDown();
    }, "quill-shutdown"));
    System.out.println("Quill node running on " + cfg.bind() + " " + node.ports() + ", data in "
        + cfg.data().toAbsolutePath() + "; stop with Ctrl-C or SIGTERM");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
