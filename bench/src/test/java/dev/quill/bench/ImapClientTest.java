package dev.quill.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The client against a scripted in-process peer on the loopback interface: what it writes, and when. */
class ImapClientTest {
  /** Reads one CRLF line from the client. */
  private static String line(InputStream in) throws IOException {
    var sb = new StringBuilder();
    int c;
    while ((c = in.read()) >= 0) {
      if (c == '\n' && sb.length() > 0 && sb.charAt(sb.length() - 1) == '\r') {
        return sb.substring(0, sb.length() - 1);
      }
      sb.append((char) c);
    }
    throw new IOException("client closed");
  }

  private static void send(OutputStream out, String s) throws IOException {
    out.write(s.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  @Test
  void append_withoutLiteralPlus_waitsForContinuation_thenIdleAndLogout() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (var server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        var exec = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> peer = exec.submit(() -> {
        try (var s = server.accept()) {
          var in = s.getInputStream();
          var out = s.getOutputStream();
          send(out, "* OK [CAPABILITY IMAP4rev1 IDLE] hi\r\n");
          seen.add(line(in));
          send(out, "q1 OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] Logged in\r\n");
          seen.add(line(in)); // APPEND ... {5}
          seen.add("available before +: " + in.available());
          send(out, "+ go ahead\r\n");
          seen.add(new String(in.readNBytes(5), StandardCharsets.ISO_8859_1));
          seen.add(line(in)); // the empty rest of the command line
          send(out, "* 4 EXISTS\r\nq2 OK [APPENDUID 17 9] Append completed.\r\n");
          seen.add(line(in)); // IDLE
          send(out, "+ idling\r\n");
          seen.add(line(in)); // DONE
          send(out, "* 5 EXISTS\r\nq3 OK Idle completed.\r\n");
          seen.add(line(in)); // LOGOUT
          send(out, "* BYE Logging out\r\nq4 OK Logout completed.\r\n");
        }
        return null;
      });
      try (var client = ImapClient.connect("127.0.0.1", server.getLocalPort(), 5000)) {
        assertThat(client.has("LITERAL+")).isFalse();
        client.login("user1@example.test", "p\"w");
        assertThat(client.has("UIDPLUS")).isTrue();
        var appended = client.append("INBOX", "\\Seen", "abcde".getBytes(StandardCharsets.US_ASCII));
        assertThat(appended.code("APPENDUID")).isEqualTo("APPENDUID 17 9");
        assertThat(appended.last("EXISTS")).isEqualTo(4);
        long[] idle = client.idle(1);
        assertThat(idle).hasSize(2);
        var bye = client.logout();
        assertThat(bye.untagged().getFirst().status()).isEqualTo("BYE");
      }
      peer.get(5, TimeUnit.SECONDS);
    }
    assertThat(seen).containsExactly(
        "q1 LOGIN \"user1@example.test\" \"p\\\"w\"",
        "q2 APPEND \"INBOX\" (\\Seen) {5}",
        "available before +: 0",
        "abcde",
        "",
        "q3 IDLE",
        "DONE",
        "q4 LOGOUT");
  }

  @Test
  void append_withLiteralPlus_sendsAtOnce() throws Exception {
    List<String> seen = new CopyOnWriteArrayList<>();
    try (var server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        var exec = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> peer = exec.submit(() -> {
        try (var s = server.accept()) {
          var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
          var out = s.getOutputStream();
          send(out, "* OK [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n");
          seen.add(in.readLine());
          seen.add(in.readLine());
          send(out, "q1 NO [TRYCREATE] no such mailbox\r\n");
        }
        return null;
      });
      try (var client = ImapClient.connect("127.0.0.1", server.getLocalPort(), 5000)) {
        assertThatThrownBy(() -> client.append("Sent", "", "hello".getBytes(StandardCharsets.US_ASCII)))
            .isInstanceOf(ImapClient.ImapException.class).hasMessageContaining("TRYCREATE");
      }
      peer.get(5, TimeUnit.SECONDS);
    }
    assertThat(seen).containsExactly("q1 APPEND \"Sent\" {5+}", "hello");
  }

  @Test
  void connect_byeGreeting_fails() throws Exception {
    try (var server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        var exec = Executors.newVirtualThreadPerTaskExecutor()) {
      exec.submit(() -> {
        try (var s = server.accept()) {
          send(s.getOutputStream(), "* BYE too many connections\r\n");
        }
        return null;
      });
      assertThatThrownBy(() -> ImapClient.connect("127.0.0.1", server.getLocalPort(), 5000))
          .isInstanceOf(ImapClient.ImapException.class).hasMessageContaining("too many connections");
    }
  }

  /**
   * The peer answers STARTTLS, then speaks TLS with a self-signed certificate made here: the client
   * trusting that certificate logs in over TLS; one trusting another certificate fails the handshake.
   */
  @Test
  void startTls_upgradesTheConnection_andTrustsOnlyTheGivenCertificate(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path dir) throws Exception {
    var serverTls = dev.quill.mail.tls.TlsContexts.selfSigned("chaos.test", dir.resolve("server"));
    dev.quill.mail.tls.TlsContexts.selfSigned("other.test", dir.resolve("other"));
    List<String> seen = new CopyOnWriteArrayList<>();
    try (var server = new ServerSocket(0, 2, InetAddress.getLoopbackAddress());
        var exec = Executors.newVirtualThreadPerTaskExecutor()) {
      Future<?> peer = exec.submit(() -> {
        for (int round = 0; round < 2; round++) {
          try (var s = server.accept()) {
            send(s.getOutputStream(), "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n");
            seen.add(line(s.getInputStream()));
            send(s.getOutputStream(), "q1 OK Begin TLS negotiation now\r\n");
            var tls = (javax.net.ssl.SSLSocket) serverTls.getSocketFactory().createSocket(s, null, s.getPort(), true);
            tls.setUseClientMode(false);
            try {
              tls.startHandshake();
            } catch (IOException e) {
              seen.add("handshake refused");
              continue;
            }
            seen.add(line(tls.getInputStream()));
            send(tls.getOutputStream(), "q2 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\r\n");
          }
        }
        return null;
      });
      try (var client = ImapClient.connect("127.0.0.1", server.getLocalPort(), 5000)) {
        client.startTls(dev.quill.mail.tls.TlsContexts.clientTrusting(
            dir.resolve("server").resolve(dev.quill.mail.tls.TlsContexts.SELF_SIGNED_CERT_FILE)));
        client.login("u@chaos.test", "pw");
        assertThat(client.has("IDLE")).as("capabilities learnt anew after TLS").isTrue();
      }
      try (var client = ImapClient.connect("127.0.0.1", server.getLocalPort(), 5000)) {
        assertThatThrownBy(() -> client.startTls(dev.quill.mail.tls.TlsContexts.clientTrusting(
            dir.resolve("other").resolve(dev.quill.mail.tls.TlsContexts.SELF_SIGNED_CERT_FILE))))
            .isInstanceOf(javax.net.ssl.SSLException.class);
      }
      peer.get(10, TimeUnit.SECONDS);
    }
    assertThat(seen).containsExactly("q1 STARTTLS", "q2 LOGIN \"u@chaos.test\" \"pw\"", "q1 STARTTLS",
        "handshake refused");
  }
}
