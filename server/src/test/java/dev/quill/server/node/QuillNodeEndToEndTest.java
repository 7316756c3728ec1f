package dev.quill.server.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.mail.tls.TlsContexts;
import dev.quill.server.config.NodeConfig;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Flags;
import jakarta.mail.Folder;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Store;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.util.Properties;
import java.util.UUID;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole node started in this JVM on free ports, used with Angus Mail the way a desktop client
 * would: submission with STARTTLS and AUTH, SMTP delivery, POP3 over STLS, and a restart.
 */
class QuillNodeEndToEndTest {
  @TempDir
  Path dir;

  private QuillNode node;
  private NodeConfig config;

  @BeforeEach
  void start() throws Exception {
    config = NodeConfig.defaults().withData(dir).withHostname("localhost").withSmtpPort(0).withSubmissionPort(0)
        .withPop3Port(0).withImapPort(0);
    node = QuillNode.start(config);
    node.store().addDomain("example.test");
    node.store().addUser("alice@example.test", "alice-pw".toCharArray());
    node.store().addUser("bob@example.test", "bob-pw".toCharArray());
  }

  @AfterEach
  void stop() {
    if (node != null) {
      node.close();
    }
  }

  private Properties tlsProps(String protocol) throws Exception {
    SSLSocketFactory trusting = TlsContexts.clientTrusting(dir.resolve(TlsContexts.SELF_SIGNED_CERT_FILE))
        .getSocketFactory();
    Properties p = new Properties();
    p.put("mail." + protocol + ".ssl.socketFactory", trusting);
    p.put("mail." + protocol + ".ssl.checkserveridentity", "true");
    p.put("mail." + protocol + ".connectiontimeout", "10000");
    p.put("mail." + protocol + ".timeout", "10000");
    return p;
  }

  private MimeMessage message(Session session, String from, String to, String subject) throws Exception {
    MimeMessage m = new MimeMessage(session);
    m.setFrom(new InternetAddress(from));
    m.setRecipients(Message.RecipientType.TO, to);
    m.setSubject(subject);
    m.setText("Hello from Angus Mail.\n");
    return m;
  }

  @Test
  void submissionWithStartTlsAndAuth_thenPop3OverStls_readsAndDeletes() throws Exception {
    String subject = "e2e " + UUID.randomUUID();
    Properties smtp = tlsProps("smtp");
    smtp.put("mail.smtp.starttls.enable", "true");
    smtp.put("mail.smtp.starttls.required", "true");
    smtp.put("mail.smtp.auth", "true");
    Session s = Session.getInstance(smtp);
    try (Transport t = s.getTransport("smtp")) {
      t.connect("localhost", node.ports().get("submission"), "bob@example.test", "bob-pw");
      MimeMessage m = message(s, "bob@example.test", "alice@example.test", subject);
      t.sendMessage(m, m.getAllRecipients());
    }

    Properties pop = tlsProps("pop3");
    pop.put("mail.pop3.starttls.enable", "true");
    pop.put("mail.pop3.starttls.required", "true");
    Session ps = Session.getInstance(pop);
    try (Store store = ps.getStore("pop3")) {
      store.connect("localhost", node.ports().get("pop3"), "alice@example.test", "alice-pw");
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_WRITE);
      Message[] msgs = inbox.getMessages();
      assertThat(msgs).hasSize(1);
      assertThat(msgs[0].getSubject()).isEqualTo(subject);
      assertThat(msgs[0].getHeader("Received")).isNotEmpty();
      assertThat(((String) msgs[0].getContent()).strip()).isEqualTo("Hello from Angus Mail.");
      msgs[0].setFlag(Flags.Flag.DELETED, true);
      inbox.close(true); // QUIT: the UPDATE state expunges
    }
    assertThat(node.store().messages("alice@example.test", "INBOX")).isEmpty();
  }

  @Test
  void plainSmtp_deliversToLocalUser_andSurvivesRestart() throws Exception {
    Properties p = new Properties();
    p.put("mail.smtp.host", "127.0.0.1");
    p.put("mail.smtp.port", Integer.toString(node.ports().get("smtp")));
    Session s = Session.getInstance(p);
    Transport.send(message(s, "someone@example.org", "alice@example.test", "plain"));
    assertThat(node.store().messages("alice@example.test", "INBOX")).hasSize(1);

    node.close();
    node = QuillNode.start(config);
    assertThat(node.store().messages("alice@example.test", "INBOX")).hasSize(1);
    assertThat(node.store().authenticate("alice@example.test", "alice-pw".toCharArray())).isTrue();
  }

  @Test
  void implicitTlsListeners_serveSubmissionsAndPop3s() throws Exception {
    node.close();
    Path other = dir.resolve("implicit");
    NodeConfig implicit = dev.quill.server.config.ConfigLoader.parse("implicit.toml", """
        [submission]
        implicit_tls_port = %d
        [pop3]
        implicit_tls_port = %d
        """.formatted(freePort(), freePort()), config.withData(other));
    node = QuillNode.start(implicit);
    node.store().addDomain("example.test");
    node.store().addUser("carol@example.test", "carol-pw".toCharArray());
    assertThat(node.ports()).containsKeys("submissions", "pop3s");

    SSLSocketFactory trusting = TlsContexts.clientTrusting(other.resolve(TlsContexts.SELF_SIGNED_CERT_FILE))
        .getSocketFactory();
    Properties p = new Properties();
    p.put("mail.smtps.ssl.socketFactory", trusting);
    p.put("mail.smtps.auth", "true");
    p.put("mail.pop3s.ssl.socketFactory", trusting);
    Session s = Session.getInstance(p);
    try (Transport t = s.getTransport("smtps")) {
      t.connect("localhost", node.ports().get("submissions"), "carol@example.test", "carol-pw");
      MimeMessage m = message(s, "carol@example.test", "carol@example.test", "over implicit TLS");
      t.sendMessage(m, m.getAllRecipients());
    }
    try (Store store = s.getStore("pop3s")) {
      store.connect("localhost", node.ports().get("pop3s"), "carol@example.test", "carol-pw");
      Folder inbox = store.getFolder("INBOX");
      inbox.open(Folder.READ_ONLY);
      assertThat(inbox.getMessages()).extracting(Message::getSubject).containsExactly("over implicit TLS");
      inbox.close(false);
    }
  }

  /**
   * A free port below the kernel's ephemeral range (32768 and up by default): a port the kernel picked
   * for us could be handed out again, before the node binds it, to the node's own listeners on port 0
   * or to an outgoing connection (this test failed once with "Address already in use").
   */
  private static int freePort() throws java.io.IOException {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 200; attempt++) {
      int port = random.nextInt(20_000, 32_000);
      try (java.net.ServerSocket ss = new java.net.ServerSocket(port, 1, java.net.InetAddress.getLoopbackAddress())) {
        return ss.getLocalPort();
      } catch (java.net.BindException taken) {
        // try another
      }
    }
    throw new java.io.IOException("no free port between 20000 and 32000");
  }

  @Test
  void submissionWithWrongPassword_isRefused() throws Exception {
    Properties smtp = tlsProps("smtp");
    smtp.put("mail.smtp.starttls.enable", "true");
    smtp.put("mail.smtp.auth", "true");
    Session s = Session.getInstance(smtp);
    try (Transport t = s.getTransport("smtp")) {
      assertThatThrownBy(() -> t.connect("localhost", node.ports().get("submission"), "bob@example.test", "nope"))
          .isInstanceOf(AuthenticationFailedException.class);
    }
  }
}
