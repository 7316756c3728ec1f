package dev.quill.mail.pop3;

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

/** A bare POP3 client for tests: writes exactly what it is given and reads replies line by line. */
final class RawPop3Client implements AutoCloseable {
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  RawPop3Client(int port) throws IOException {
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(15_000); // a hung server fails the test instead of hanging it
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** Sends {@code text} as is, in one write. */
  RawPop3Client write(String text) throws IOException {
    out.write(text.getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
    return this;
  }

  /** Sends one command line with CRLF. */
  RawPop3Client send(String line) throws IOException {
    return write(line + "\r\n");
  }

  /** Sends a command and returns the status line of its reply. */
  String command(String line) throws IOException {
    send(line);
    return line();
  }

  /** Reads one CRLF-terminated line (without CRLF); null at end of stream. */
  String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        if (bytes.length == 0 || bytes[bytes.length - 1] != '\r') {
          throw new IOException("line not ended by CRLF: " + b);
        }
        return new String(bytes, 0, bytes.length - 1, StandardCharsets.ISO_8859_1);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  /** Reads the lines of a multi-line body up to (not including) the terminating ".", still stuffed. */
  List<String> multiLine() throws IOException {
    List<String> lines = new ArrayList<>();
    for (String l = line(); !".".equals(l); l = line()) {
      if (l == null) {
        throw new IOException("end of stream inside a multi-line reply");
      }
      lines.add(l);
    }
    return lines;
  }

  /** Logs in with USER/PASS and returns the PASS reply. */
  String login(String user, String password) throws IOException {
    String u = command("USER " + user);
    if (!u.startsWith("+OK")) {
      return u;
    }
    return command("PASS " + password);
  }

  /** Whether the server has closed the connection (reads end of stream). */
  boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (java.net.SocketException e) {
      return true; // reset by peer: closed as well
    }
  }

  /** Runs the TLS handshake as a client over the current socket. */
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
