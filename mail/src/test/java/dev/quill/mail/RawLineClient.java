package dev.quill.mail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.Charset;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A bare line-protocol client for tests: writes exactly what it is given, reads CRLF lines, and
 * can switch to TLS in place. The POP3 and IMAP raw clients add their protocol's conveniences.
 */
public class RawLineClient implements AutoCloseable {
  private final Charset charset;
  private Socket socket;
  private InputStream in;
  private OutputStream out;

  protected RawLineClient(int port, Charset charset) throws IOException {
    this.charset = charset;
    socket = new Socket(InetAddress.getLoopbackAddress(), port);
    socket.setSoTimeout(15_000); // a hung server fails the test instead of hanging it
    in = socket.getInputStream();
    out = socket.getOutputStream();
  }

  /** Sends {@code text} as is, in one write. */
  public void write(String text) throws IOException {
    out.write(text.getBytes(charset));
    out.flush();
  }

  /** Sends one line with CRLF. */
  public void send(String line) throws IOException {
    write(line + "\r\n");
  }

  /** Reads one CRLF-terminated line without CRLF; null at end of stream; a bare LF fails the test. */
  public String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        if (bytes.length == 0 || bytes[bytes.length - 1] != '\r') {
          throw new IOException("line not ended by CRLF: " + b);
        }
        return new String(bytes, 0, bytes.length - 1, charset);
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(charset);
  }

  /** Whether the server has closed the connection (reads end of stream, or a reset). */
  public boolean closedByServer() throws IOException {
    try {
      return in.read() == -1;
    } catch (SocketException e) {
      return true;
    }
  }

  /** Runs the TLS handshake as a client over the current socket. */
  public void startTls(SSLContext context) throws IOException {
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
