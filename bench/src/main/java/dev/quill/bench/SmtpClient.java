package dev.quill.bench;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Locale;

/**
 * A minimal blocking SMTP client for the load generators: greeting, EHLO, then commands and raw writes.
 *
 * <p><b>Standards:</b> RFC 5321 (replies, DATA transparency), RFC 2920 (PIPELINING, used only when advertised and
 * asked for). No TLS and no AUTH: the benchmarks target plain relay-to-local-domain delivery on loopback.
 */
final class SmtpClient implements Closeable {
  private final Socket socket;
  private final ReplyReader in;
  private final OutputStream out;
  private boolean pipelining;

  private SmtpClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new ReplyReader(socket.getInputStream(), 8192);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 16384);
  }

  /** Connects and reads the 220 greeting, without saying EHLO. */
  static SmtpClient connect(String host, int port, int timeoutMillis) throws IOException {
    var socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(timeoutMillis);
      socket.connect(new InetSocketAddress(host, port), timeoutMillis);
      var client = new SmtpClient(socket);
      var greeting = client.readReply();
      if (greeting.code() != 220) {
        throw new ReplyException("greeting", greeting);
      }
      return client;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** Sends EHLO and remembers whether the server offers PIPELINING. */
  void ehlo(String name) throws IOException {
    var reply = command("EHLO " + name);
    if (reply.code() != 250) {
      throw new ReplyException("EHLO", reply);
    }
    for (int i = 1; i < reply.lines().size(); i++) {
      if (reply.lines().get(i).trim().toUpperCase(Locale.ROOT).equals("PIPELINING")) {
        pipelining = true;
      }
    }
  }

  boolean supportsPipelining() {
    return pipelining;
  }

  /** Writes one command line and flushes, then reads its reply. */
  SmtpReply command(String line) throws IOException {
    write(line);
    out.flush();
    return readReply();
  }

  /** Buffers one command line (CRLF added) without flushing. */
  void write(String line) throws IOException {
    out.write(line.getBytes(StandardCharsets.US_ASCII));
    out.write('\r');
    out.write('\n');
  }

  /** Buffers raw bytes without flushing. */
  void writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
  }

  void flush() throws IOException {
    out.flush();
  }

  /** Reads one possibly multi-line reply. */
  SmtpReply readReply() throws IOException {
    var lines = new ArrayList<String>(2);
    int code = -1;
    while (true) {
      String line = in.readLine();
      if (line.length() < 3 || !Character.isDigit(line.charAt(0)) || !Character.isDigit(line.charAt(1))
          || !Character.isDigit(line.charAt(2)) || (line.length() > 3 && line.charAt(3) != ' '
          && line.charAt(3) != '-')) {
        throw new ProtocolException("malformed SMTP reply line: \"" + cap(line) + "\"");
      }
      int lineCode = Integer.parseInt(line, 0, 3, 10);
      if (code >= 0 && lineCode != code) {
        throw new ProtocolException("reply code changed inside a multi-line reply: \"" + cap(line) + "\"");
      }
      code = lineCode;
      lines.add(line.length() > 4 ? line.substring(4) : "");
      if (line.length() == 3 || line.charAt(3) == ' ') {
        return new SmtpReply(code, lines);
      }
    }
  }

  /** Says QUIT and waits for the reply, ignoring failures, then closes. */
  void quietQuit() {
    try {
      command("QUIT");
    } catch (IOException | RuntimeException ignored) {
      // the connection is being dropped anyway
    }
    close();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  private static String cap(String s) {
    return s.length() > 100 ? s.substring(0, 100) + "..." : s;
  }

  /** A reply other than the one the transaction step needs. */
  static final class ReplyException extends IOException {
    @java.io.Serial
    private static final long serialVersionUID = 1L;

    private final transient SmtpReply reply;

    ReplyException(String step, SmtpReply reply) {
      super(step + " answered " + reply.summary());
      this.reply = reply;
    }

    SmtpReply reply() {
      return reply;
    }
  }
}
