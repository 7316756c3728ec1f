package dev.quill.bench;

import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Option;

/**
 * The bench mailboxes a retrieval benchmark logs in to ({@code <prefix>1..<prefix>N@domain}, one password) and
 * how its sessions pick them; shared by the POP3 and IMAP benchmarks as a picocli mixin.
 */
public final class MailboxOptions {
  /** How sessions choose mailboxes. */
  enum Pick { random, sequential }

  @Option(names = "--users", defaultValue = "1000", description = "Mailboxes are <prefix>1..<prefix>N@domain.")
  int users;
  @Option(names = "--password", required = true, description = "Password of every bench mailbox.")
  String password;
  @Option(names = "--domain", defaultValue = "example.test", description = "Mailbox domain.")
  String domain;
  @Option(names = "--user-prefix", defaultValue = "user", description = "Mailbox local-part prefix.")
  String userPrefix;
  @Option(names = "--bare-login", description = "Log in as <prefix>N instead of <prefix>N@domain.")
  boolean bareLogin;
  @Option(names = "--pick", defaultValue = "random",
      description = "How sessions choose mailboxes: random (uniform) or sequential (1, 2, ... N, 1, ... shared by"
          + " all sessions; with --rounds it can visit each mailbox once, e.g. to warm a server up).")
  Pick pick;

  private final AtomicLong nextMailbox = new AtomicLong();

  /** The number (1..users) of the mailbox the next session uses. */
  long next() {
    return pick == Pick.sequential ? nextMailbox.getAndIncrement() % users + 1
        : ThreadLocalRandom.current().nextInt(users) + 1;
  }

  /** The full address of mailbox {@code n}. */
  String address(long n) {
    return userPrefix + n + "@" + domain;
  }

  /** The login name of mailbox {@code n} ({@code --bare-login}: without the domain). */
  String login(long n) {
    return bareLogin ? userPrefix + n : address(n);
  }
}
