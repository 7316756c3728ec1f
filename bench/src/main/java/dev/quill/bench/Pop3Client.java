package dev.quill.bench;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal blocking POP3 client for the load generator: status lines and dot-terminated multi-line responses.
 *
 * <p><b>Standards:</b> RFC 1939 (USER/PASS, STAT, LIST, UIDL, RETR, DELE, QUIT). No STLS and no SASL.
 */
final class Pop3Client implements Closeable {
  private final Socket socket;
  private final ReplyReader in;
  private final OutputStream out;

  private Pop3Client(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new ReplyReader(socket.getInputStream(), 65536);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 1024);
  }

  /** Connects and reads the +OK greeting. */
  static Pop3Client connect(String host, int port, int timeoutMillis) throws IOException {
    var socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(timeoutMillis);
      socket.connect(new InetSocketAddress(host, port), timeoutMillis);
      var client = new Pop3Client(socket);
      String greeting = client.in.readLine();
      if (!isOk(greeting)) {
        throw new Pop3Exception("greeting", greeting);
      }
      return client;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  static boolean isOk(String status) {
    return status.startsWith("+OK");
  }

  /** Sends one command and returns its status line. */
  String command(String line) throws IOException {
    out.write(line.getBytes(StandardCharsets.US_ASCII));
    out.write('\r');
    out.write('\n');
    out.flush();
    return in.readLine();
  }

  /** Sends one command and fails unless the status is +OK; returns the status line. */
  String expectOk(String step, String line) throws IOException {
    String status = command(line);
    if (!isOk(status)) {
      throw new Pop3Exception(step, status);
    }
    return status;
  }

  /** Reads the lines of a multi-line response after its +OK, un-stuffed, without the terminator. */
  List<String> readLines() throws IOException {
    var lines = new ArrayList<String>();
    while (true) {
      String line = in.readLine();
      if (line.equals(".")) {
        return lines;
      }
      lines.add(line.startsWith(".") ? line.substring(1) : line);
    }
  }

  /** Reads a multi-line body after its +OK; returns its un-stuffed size in bytes, CRLFs included. */
  long readBody(ReplyReader.BodySink sink) throws IOException {
    return in.readDotTerminated(sink);
  }

  /** Says QUIT and reads the reply; returns the status line. */
  String quit() throws IOException {
    return command("QUIT");
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  /** A -ERR (or otherwise unexpected) status where the session needed +OK. */
  static final class Pop3Exception extends IOException {
    @java.io.Serial
    private static final long serialVersionUID = 1L;
    private final String status;

    Pop3Exception(String step, String status) {
      super(step + " answered \"" + (status.length() > 100 ? status.substring(0, 100) + "..." : status) + "\"");
      this.status = status;
    }

    String status() {
      return status;
    }
  }
}
