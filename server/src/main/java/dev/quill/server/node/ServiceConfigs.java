package dev.quill.server.node;

import dev.quill.mail.imap.ImapConfig;
import dev.quill.mail.pop3.Pop3Config;
import dev.quill.mail.smtp.SmtpConfig;
import dev.quill.server.config.NodeConfig;

/** Maps the node's configuration onto each protocol service's own settings. */
final class ServiceConfigs {
  private ServiceConfigs() {}

  /** The SMTP settings of the relay-in listener, or of submission when {@code submission}. */
  static SmtpConfig smtp(NodeConfig c, boolean submission) {
    NodeConfig.Smtp s = c.smtp();
    SmtpConfig base = submission ? SmtpConfig.submissionDefaults(c.hostname()) : SmtpConfig.defaults(c.hostname());
    return base
        .withMaxMessageSize(s.maxMessageSize())
        .withMaxRecipients(s.maxRecipients())
        .withCommandTimeout(s.idleTimeout())
        .withDataBlockTimeout(s.dataTimeout())
        .withPregreetWait(submission ? base.pregreetWait() : s.pregreetWait())
        .withMaxErrors(s.maxErrors())
        .withAllowPlaintextAuthOnLoopback(c.auth().allowPlaintextOnLoopback());
  }

  /** The IMAP settings. */
  static ImapConfig imap(NodeConfig c) {
    return ImapConfig.defaults(c.hostname())
        .withIdleTimeout(c.imap().idleTimeout())
        .withMaxLiteralSize(c.imap().maxLiteralSize())
        .withHeaderCacheBytes(c.imap().headerCacheSize())
        .withAllowPlaintextAuthOnLoopback(c.auth().allowPlaintextOnLoopback());
  }

  /** The POP3 settings. */
  static Pop3Config pop3(NodeConfig c) {
    return Pop3Config.defaults(c.hostname())
        .withIdleTimeout(c.pop3().idleTimeout())
        .withAllowPlaintextAuthOnLoopback(c.auth().allowPlaintextOnLoopback());
  }
}
