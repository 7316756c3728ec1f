package dev.quill.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IMAP4rev1's {@code \Recent} in a three-node cluster: a new message is recent in one session of the
 * whole cluster, as on one node (RFC 3501 section 2.3.2: "subsequent sessions will not see \Recent
 * set"), whichever nodes the sessions are on. Before, each node kept its own claims, and a session
 * on every node saw the same messages as recent.
 */
class ClusterRecentTest {
  private static final String USER = "rex@example.test";
  private static final String PASSWORD = "recent-pw";
  private static final Duration WAIT = Duration.ofSeconds(30);

  @TempDir
  Path dir;

  @AutoClose
  private InJvmCluster cluster;

  @Test
  void aMessageIsRecentInOneSessionOfTheCluster() throws Exception {
    cluster = new InJvmCluster(dir, "recent");
    cluster.startThreeWithUser(USER, PASSWORD);
    for (int i = 1; i <= 3; i++) {
      MailClients.send(cluster.node("c").ports().get("smtp"), USER, "before " + i);
    }
    try (Session onA = new Session("a"); Session onB = new Session("b"); Session onC = new Session("c")) {
      assertThat(onA.command("SELECT INBOX")).contains("* 3 RECENT");
      assertThat(onB.command("SELECT INBOX")).as("claimed through a").contains("* 0 RECENT");
      assertThat(onC.command("STATUS INBOX (MESSAGES RECENT)")).contains("* STATUS INBOX (MESSAGES 3 RECENT 0)");

      MailClients.send(cluster.node("c").ports().get("smtp"), USER, "after");
      List<String> seenByB = new ArrayList<>();
      org.awaitility.Awaitility.await().atMost(WAIT).until(() -> {
        seenByB.addAll(onB.command("NOOP"));
        return seenByB.contains("* 4 EXISTS");
      });
      assertThat(seenByB).as("b is told first").contains("* 1 RECENT");
      List<String> seenByA = new ArrayList<>();
      org.awaitility.Awaitility.await().atMost(WAIT).until(() -> {
        seenByA.addAll(onA.command("NOOP"));
        return seenByA.contains("* 4 EXISTS");
      });
      assertThat(seenByA).contains("* 4 EXISTS").doesNotContain("* 1 RECENT");
      assertThat(onB.command("FETCH 4 FLAGS")).anyMatch(l -> l.startsWith("* 4 FETCH") && l.contains("\\Recent"));
      assertThat(onA.command("FETCH 4 FLAGS")).anyMatch(l -> l.startsWith("* 4 FETCH") && !l.contains("\\Recent"));
      assertThat(onC.command("EXAMINE INBOX")).as("EXAMINE only looks").contains("* 0 RECENT");
    }
  }

  /** A logged-in IMAP4rev1 session on one node, over a raw socket. */
  private final class Session implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;
    private final OutputStream out;
    private int tag;

    Session(String node) throws IOException {
      socket = new Socket("127.0.0.1", cluster.node(node).ports().get("imap"));
      socket.setSoTimeout(15_000);
      in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      out = socket.getOutputStream();
      assertThat(in.readLine()).startsWith("* OK");
      assertThat(command("LOGIN " + USER + " " + PASSWORD).getLast()).contains("OK");
    }

    /** The command's responses, its tagged one last. */
    List<String> command(String command) throws IOException {
      String t = "t" + (++tag);
      out.write((t + " " + command + "\r\n").getBytes(StandardCharsets.UTF_8));
      List<String> lines = new ArrayList<>();
      String line;
      do {
        line = in.readLine();
        lines.add(line);
      } while (!line.startsWith(t + " "));
      assertThat(line).as(command).startsWith(t + " OK");
      return lines;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
