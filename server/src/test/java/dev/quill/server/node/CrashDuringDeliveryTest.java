package dev.quill.server.node;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.server.config.NodeConfig;
import dev.quill.store.CorruptMessageException;
import dev.quill.store.MailStore;
import dev.quill.store.MessageMeta;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability promise, tested by killing: a child JVM runs a real node, senders deliver over
 * SMTP, and the node is SIGKILLed in the middle of the load. Reopened, the store must hold every
 * message whose DATA was answered 250, and every message it holds must be whole.
 */
class CrashDuringDeliveryTest {
  private static final Pattern SEQ = Pattern.compile("X-Seq: (\\S+)");
  private static final String TRAILER = "End of message ";

  @TempDir
  Path dir;

  @Test
  void kill9_duringDeliveryLoad_losesNoAcknowledgedMessage_andShowsNoHalfMessage() throws Exception {
    NodeConfig config = NodeConfig.defaults().withData(dir);
    try (MailStore store = StoreFactory.open(config)) {
      store.addDomain("example.test");
      for (int i = 0; i < 4; i++) {
        store.addUser("u" + i + "@example.test", "pw".toCharArray());
      }
    }
    int smtpPort = freePort();
    Process node = startNode(smtpPort);
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    AtomicBoolean stop = new AtomicBoolean();
    try {
      awaitPort(smtpPort, node);
      List<Thread> senders = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        senders.add(Thread.ofVirtual().start(() -> send(smtpPort, thread, acknowledged, stop)));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (acknowledged.size() < 400 && System.nanoTime() < deadline && node.isAlive()) {
        Thread.sleep(10);
      }
      node.destroyForcibly(); // SIGKILL, mid-load: senders are still in transactions
      node.waitFor(30, TimeUnit.SECONDS);
      stop.set(true);
      for (Thread s : senders) {
        s.join(Duration.ofSeconds(30));
      }
    } finally {
      node.destroyForcibly();
    }
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(400);

    Set<String> found = new HashSet<>();
    try (MailStore store = StoreFactory.open(config)) {
      for (int i = 0; i < 4; i++) {
        String user = "u" + i + "@example.test";
        for (MessageMeta m : store.messages(user, MailStore.INBOX)) {
          String text;
          try {
            text = new String(store.readMessage(user, MailStore.INBOX, m.uid()).orElseThrow(), StandardCharsets.UTF_8);
          } catch (CorruptMessageException e) {
            throw new AssertionError("a stored message failed its checksum after the crash: " + e.getMessage());
          }
          Matcher seq = SEQ.matcher(text);
          assertThat(seq.find()).as("message has its sequence header").isTrue();
          assertThat(text).as("message %s is whole", seq.group(1)).contains(TRAILER + seq.group(1) + "\r\n");
          assertThat(text.length()).isEqualTo(m.size());
          found.add(seq.group(1));
        }
      }
    }
    assertThat(found).containsAll(acknowledged);
  }

  private Process startNode(int smtpPort) throws IOException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), "dev.quill.server.cli.QuillCli", "serve", "--data", dir.toString(),
        "--smtp-port", Integer.toString(smtpPort), "--submission-port", Integer.toString(freePort()),
        "--pop3-port", Integer.toString(freePort()), "--imap-port", Integer.toString(freePort()));
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve("node.log").toFile());
    return pb.start();
  }

  private static void send(int port, int thread, Set<String> acknowledged, AtomicBoolean stop) {
    int n = 0;
    while (!stop.get()) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        s.setSoTimeout(10_000);
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
        OutputStream out = s.getOutputStream();
        expect(in, "220");
        out.write("EHLO crash.test\r\n".getBytes(StandardCharsets.US_ASCII));
        expect(in, "250");
        while (!stop.get()) {
          String id = thread + "-" + n++;
          String rcpt = "u" + (n % 4) + "@example.test";
          StringBuilder msg = new StringBuilder("Subject: crash " + id + "\r\nX-Seq: " + id + "\r\n\r\n");
          for (int line = 0; line < 60; line++) {
            msg.append("line ").append(line).append(" of a message that must arrive whole or not at all\r\n");
          }
          msg.append(TRAILER).append(id).append("\r\n.\r\n");
          out.write(("MAIL FROM:<c@example.org>\r\nRCPT TO:<" + rcpt + ">\r\nDATA\r\n").getBytes(StandardCharsets.US_ASCII));
          expect(in, "250");
          expect(in, "250");
          expect(in, "354");
          out.write(msg.toString().getBytes(StandardCharsets.US_ASCII));
          expect(in, "250");
          acknowledged.add(id); // only after the 250: the promise under test
        }
      } catch (IOException e) {
        // the node was killed: expected; try again until told to stop
      }
    }
  }

  private static void expect(BufferedReader in, String code) throws IOException {
    String line;
    do {
      line = in.readLine();
      if (line == null) {
        throw new IOException("connection closed");
      }
    } while (line.length() > 3 && line.charAt(3) == '-');
    if (!line.startsWith(code)) {
      throw new IOException("expected " + code + " but got " + line);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static void awaitPort(int port, Process node) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      if (!node.isAlive()) {
        throw new AssertionError("node exited with " + node.exitValue());
      }
      try (Socket s = new Socket("127.0.0.1", port)) {
        return;
      } catch (IOException e) {
        Thread.sleep(100);
      }
    }
    throw new AssertionError("node did not listen on " + port);
  }
}
