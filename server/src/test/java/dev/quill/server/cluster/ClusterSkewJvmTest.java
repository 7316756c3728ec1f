package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.quill.server.admin.AdminOps;
import dev.quill.server.admin.ClusterReport;
import dev.quill.server.admin.RemoteAdminOps;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A skewed load shifts new mail: three node JVMs on one machine, n1 pinned to CPU 0 and n2, n3 to
 * CPU 1 ({@code taskset}), so that a CPU hog on CPU 0 burdens n1 alone (each node reports the load
 * of its own CPUs). Mail for a user whose INBOX is on n1, sent through n1, stays on n1 while the
 * loads are even (storing locally saves a hop) and goes to another node once the hog runs.
 */
class ClusterSkewJvmTest {
  private static final String DOMAIN = "example.test";
  private static final String USER = "skew@" + DOMAIN;
  /**
   * Between two messages: this JVM's own work (the mail client) runs on the free CPU too, and
   * sending flat out would make n2 and n3 look as busy as the hog makes n1.
   */
  private static final long PAUSE_MS = 100;

  @TempDir
  Path dir;

  @Test
  void aCpuHogOnOneNode_shiftsNewMailToTheOthers() throws Exception {
    // The test JVM (mail client, status calls) is not pinned and adds noise to both CPUs' loads:
    // the assertions compare most against few (at least 14 of 20 kept before, at most 6 after).
    assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "needs two CPUs to give the hog one of its own");
    try (ClusterHarness h = new ClusterHarness(dir)) {
      // one copy per message: with two, every message of the mailbox would go to both its holders,
      // busy or not, and the balancer would have nothing to choose
      List<String> oneCopy = List.of("--replicas", "1");
      ClusterHarness.Node n1 = h.define("n1", "skew", List.of(), oneCopy);
      ClusterHarness.Node n2 = h.define("n2", "skew", List.of("n1"), oneCopy);
      ClusterHarness.Node n3 = h.define("n3", "skew", List.of("n1"), oneCopy);
      n1.cpus = "0";
      n2.cpus = "1";
      n3.cpus = "1";
      h.startAll(n1, n2, n3);
      await().atMost(Duration.ofSeconds(30)).until(() -> h.status(n1).nodes().size() == 3);
      try (AdminOps ops = RemoteAdminOps.connect(n1.dir).orElseThrow()) {
        ops.addDomain(DOMAIN);
        // three members listed does not mean every manager has heard from all three yet: "try again"
        await().atMost(Duration.ofSeconds(30)).ignoreExceptionsMatching(e -> String.valueOf(e.getMessage())
            .contains("try again")).until(() -> {
              ops.addUser(USER, "skew-pw".toCharArray()); // profile and INBOX on n1
              return true;
            });
      }
      int smtp = h.ports(n1).get("smtp");

      for (int i = 1; i <= 20; i++) {
        send(smtp, "warm-up " + i); // the first deliveries compile code and make loads jump
      }
      long warm = messagesOn(h, n1, "n1");
      for (int i = 1; i <= 20; i++) {
        send(smtp, "even " + i);
        Thread.sleep(PAUSE_MS);
      }
      assertThat(messagesOn(h, n1, "n1") - warm).as("even loads: n1 keeps most of its own mail\n%s", h.statusTable(n1))
          .isGreaterThanOrEqualTo(14);

      Process hog = new ProcessBuilder("taskset", "-c", "0", "sh", "-c", "while :; do :; done").start();
      try {
        // n1 shares its CPU with the hog: a report that lists fewer members (heartbeats late, the view
        // about to heal) counts as "not yet", not as a failure
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(250))
            .ignoreException(NoSuchElementException.class).until(() -> {
              ClusterReport r = h.status(n1);
              return cpu(r, "n1") >= 0.9 && cpu(r, "n2") < 0.6 && cpu(r, "n3") < 0.6;
            });
        long before = messagesOn(h, n1, "n1");
        for (int i = 1; i <= 20; i++) {
          send(smtp, "skewed " + i);
          Thread.sleep(PAUSE_MS);
        }
        long kept = messagesOn(h, n1, "n1") - before;
        assertThat(kept).as("with the hog on n1's CPU, new mail goes elsewhere\n%s", h.statusTable(n1))
            .isLessThanOrEqualTo(6);
        assertThat(messagesOn(h, n1, "n2") + messagesOn(h, n1, "n3")).isGreaterThanOrEqualTo(14);
      } finally {
        hog.destroyForcibly();
        hog.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  private static double cpu(ClusterReport report, String node) {
    Double cpu = report.nodes().stream().filter(n -> n.name().equals(node)).findFirst().orElseThrow().cpu();
    return cpu == null ? 1 : cpu;
  }

  /** The messages {@code node} stores, once a report of {@code asking}'s lists it with its counts. */
  private static long messagesOn(ClusterHarness h, ClusterHarness.Node asking, String node) {
    return await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> h.status(asking).nodes().stream()
        .filter(n -> n.name().equals(node)).findFirst().orElseThrow().counts().messages(), count -> true);
  }

  private static void send(int port, String subject) throws MessagingException {
    Properties p = new Properties();
    p.put("mail.smtp.host", ClusterHarness.HOST);
    p.put("mail.smtp.port", String.valueOf(port));
    MimeMessage m = new MimeMessage(Session.getInstance(p));
    m.setFrom(new InternetAddress("sender@elsewhere.example"));
    m.setRecipients(Message.RecipientType.TO, USER);
    m.setSubject(subject);
    m.setText("Body of " + subject + "\n");
    Transport.send(m);
  }
}
