package dev.quill.mail.smtp;

import dev.quill.mail.net.LineReader;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** A byte-exact SMTP test client: writes what it is told, reads replies line by line. */
final class RawClient implements AutoCloseable {
  private Socket socket;
  private LineReader in;
  private OutputStream out;

  private RawClient(Socket socket) throws IOException {
    attach(socket);
  }

  /** Connects without reading the greeting. */
  static RawClient connect(int port) throws IOException {
    var socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
    socket.setSoTimeout(10_000);
    return new RawClient(socket);
  }

  /** Connects, reads the greeting and says EHLO. */
  static RawClient ehlo(int port) throws IOException {
    var c = connect(port);
    assertCode(c.reply(), "220");
    assertCode(c.command("EHLO client.example"), "250");
    return c;
  }

  private void attach(Socket s) throws IOException {
    socket = s;
    in = new LineReader(s.getInputStream(), 4096);
    out = s.getOutputStream();
  }

  /** Writes raw text (ISO-8859-1 unless it has wider characters, then UTF-8) in one write. */
  RawClient write(String raw) throws IOException {
    out.write(raw.getBytes(raw.chars().anyMatch(ch -> ch > 0xff) ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  RawClient writeUtf8(String raw) throws IOException {
    out.write(raw.getBytes(StandardCharsets.UTF_8));
    out.flush();
    return this;
  }

  /** Sends one command line and returns the last line of its reply. */
  String command(String line) throws IOException {
    writeUtf8(line + "\r\n");
    return reply();
  }

  /** Reads one reply and returns its last line, or null at end of stream. */
  String reply() throws IOException {
    List<String> lines = replyLines();
    return lines.isEmpty() ? null : lines.getLast();
  }

  /** Reads one (possibly multi-line) reply; empty at end of stream. */
  List<String> replyLines() throws IOException {
    List<String> lines = new ArrayList<>();
    while (true) {
      LineReader.Line line = in.readLine(4096);
      if (line == null) {
        return lines;
      }
      String text = new String(line.bytes(), StandardCharsets.UTF_8);
      lines.add(text);
      if (text.length() < 4 || text.charAt(3) != '-') {
        return lines;
      }
    }
  }

  /** Whether the server closed the connection (the next read sees end of stream). */
  boolean closedByServer() throws IOException {
    try {
      return in.readLine(4096) == null;
    } catch (java.net.SocketException e) {
      return true; // reset
    }
  }

  /** Upgrades to TLS as the client (after the server's 220 to STARTTLS). */
  void startTls(SSLContext context) throws IOException {
    SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(socket, "127.0.0.1", socket.getPort(), true);
    ssl.setUseClientMode(true);
    ssl.startHandshake();
    attach(ssl);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  static void assertCode(String line, String prefix) {
    if (line == null || !line.startsWith(prefix)) {
      throw new AssertionError("expected a reply starting with '" + prefix + "' but got '" + line + "'");
    }
  }
}
