package dev.quill.mail.imap;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/** A bare IMAP client for tests: writes exactly what it is given and reads responses line by line. */
final class RawImapClient implements AutoCloseable {
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  RawImapClient(int port) throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(15_000); // a hung server fails the test instead of hanging it
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** Sends {@code text} as is, in one write. */
  RawImapClient write(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.UTF_8));
    out.flush();
    return this;
  }

  /** Sends one line with CRLF. */
  RawImapClient send(String line) throws IOException {
    return write(line + "\r\n");
  }

  /** Reads one CRLF-terminated line without CRLF; null at end of stream. */
  String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        if (bytes.length == 0 || bytes[bytes.length - 1] != '\r') {
          throw new IOException("line not ended by CRLF: " + b);
        }
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.UTF_8);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.UTF_8);
  }

  /** Reads lines up to and including the one starting with {@code tag + " "}. */
  List<String> until(String tag) throws IOException {
    List<String> lines = new ArrayList<>();
    while (true) {
      String l = line();
      if (l == null) {
        throw new IOException("end of stream before " + tag + "'s completion; got " + lines);
      }
      lines.add(l);
      if (l.startsWith(tag + " ")) {
        return lines;
      }
    }
  }

  /** Sends {@code tag + " " + command} and returns every line up to the tagged completion. */
  List<String> command(String tag, String command) throws IOException {
    send(tag + " " + command);
    return until(tag);
  }

  /** The tagged completion line only. */
  String completion(String tag, String command) throws IOException {
    List<String> lines = command(tag, command);
    return lines.get(lines.size() - 1);
  }

  /** Upgrades to TLS as a client. */
  void startTls(SSLContext context) throws IOException {
    SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
    ssl.setUseClientMode(true);
    ssl.startHandshake();
    socket = ssl;
    in = ssl.getInputStream();
    out = ssl.getOutputStream();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
