package dev.quill.mail.net;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * One client connection: a socket with a bounded {@link LineReader}, a buffered writer, a read
 * timeout, and an in-place upgrade to TLS (STARTTLS). Used by one virtual thread at a time.
 */
public final class Connection implements AutoCloseable {
  private Socket socket;
  private final LineReader reader;
  private OutputStream out;
  private final InetSocketAddress remote;
  private final String id;
  private boolean tls;
  private final java.util.function.BooleanSupplier serverStopping;
  /** Guards the hand-over between a session waiting for its next command and a stopping server. */
  private final Object turn = new Object();
  /** While the session waits for a command: what to say if the server stops first; else null. */
  private Farewell waiting;
  /** {@link LineReader#received()} when the session started waiting. */
  private long waitingFrom;
  private boolean farewellSaid;

  /** What a session says to its client when the server stops while it waits for a command (IMAP BYE, SMTP 421). */
  @FunctionalInterface
  public interface Farewell {
    /** Writes and flushes the goodbye; the connection is closed after it. */
    void say() throws IOException;
  }

  /**
   * Wraps an accepted socket.
   *
   * @param id a short session id for logs
   * @param bufferSize read and write buffer size in bytes (small: thousands of idle connections)
   */
  public Connection(Socket socket, String id, int bufferSize) throws IOException {
    this(socket, id, bufferSize, () -> false);
  }

  /** Wraps an accepted socket of a server that reports when it is stopping. */
  public Connection(Socket socket, String id, int bufferSize, java.util.function.BooleanSupplier serverStopping)
      throws IOException {
    this.serverStopping = serverStopping;
    this.socket = socket;
    this.id = id;
    this.remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    this.reader = new LineReader(socket.getInputStream(), bufferSize);
    this.out = new BufferedOutputStream(socket.getOutputStream(), bufferSize);
    this.tls = socket instanceof SSLSocket;
  }

  /** The session id used in logs. */
  public String id() {
    return id;
  }

  /** Whether the server is shutting down: sessions end at the next command boundary (SMTP 421, POP3 -ERR). */
  public boolean serverStopping() {
    return serverStopping.getAsBoolean();
  }

  /**
   * The session is about to wait for its next command. When the server is stopping already, says
   * {@code farewell} now and returns false: the session ends. Otherwise, until
   * {@link #commandArrived}, a stopping server may say it and close the connection
   * ({@link #stopIfIdle}), so an idle client hears of the shutdown at once rather than after the
   * grace period, and a busy one finishes its command first.
   */
  public boolean awaitCommand(Farewell farewell) throws IOException {
    synchronized (turn) {
      if (serverStopping()) {
        farewellSaid = true;
        farewell.say();
        return false;
      }
      if (reader.buffered() == 0) { // a pipelined command already here is not waiting
        waiting = farewell;
        waitingFrom = reader.received();
      }
      return true;
    }
  }

  /** The next command came (or is coming); false when the server said farewell first and the session must end. */
  public boolean commandArrived() {
    synchronized (turn) {
      waiting = null;
      return !farewellSaid;
    }
  }

  /**
   * For a stopping server: when the session waits for a command and no byte of one has come,
   * says its farewell and closes the connection, which ends the session's read. A session busy
   * with a command is left to finish it; it says farewell when it next waits.
   */
  public void stopIfIdle() {
    synchronized (turn) {
      if (waiting == null || reader.received() != waitingFrom || farewellSaid) {
        return;
      }
      farewellSaid = true;
      try {
        waiting.say();
      } catch (IOException e) {
        // the client is gone already
      }
      waiting = null;
    }
    close();
  }

  /** The reader of client input. */
  public LineReader reader() {
    return reader;
  }

  /** The client's address. */
  public InetAddress remoteAddress() {
    return remote.getAddress();
  }

  /** The client's address and port, for logs and Received headers. */
  public InetSocketAddress remote() {
    return remote;
  }

  /** Whether the client connects from a loopback address. */
  public boolean isLoopback() {
    return remote.getAddress().isLoopbackAddress();
  }

  /** Whether the connection is protected by TLS (implicit or after STARTTLS). */
  public boolean isTls() {
    return tls;
  }

  /** The negotiated TLS protocol and cipher suite, or null on a plain connection. */
  public String tlsDescription() {
    if (socket instanceof SSLSocket s && s.getSession() != null) {
      return s.getSession().getProtocol() + " " + s.getSession().getCipherSuite();
    }
    return null;
  }

  /** Sets the idle read timeout; a read that waits longer throws {@link SocketTimeoutException}. */
  public void setReadTimeout(Duration timeout) throws IOException {
    socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
  }

  /** Queues one reply line; CRLF is appended. Call {@link #flush()} to send. */
  public void write(String line) throws IOException {
    out.write(line.getBytes(StandardCharsets.UTF_8));
    out.write('\r');
    out.write('\n');
  }

  /** Queues raw bytes (message content). */
  public void writeRaw(byte[] bytes, int off, int len) throws IOException {
    out.write(bytes, off, len);
  }

  /** Sends everything queued. */
  public void flush() throws IOException {
    out.flush();
  }

  /** Writes one line and flushes. */
  public void send(String line) throws IOException {
    write(line);
    flush();
  }

  /**
   * Upgrades the connection to TLS as a server and completes the handshake. Buffered plaintext
   * input must have been discarded by the caller (see {@link LineReader#discardBuffered()}).
   */
  public void startTls(SSLContext context) throws IOException {
    flush();
    SSLSocket ssl = (SSLSocket) context.getSocketFactory()
        .createSocket(socket, remote.getHostString(), remote.getPort(), true);
    ssl.setUseClientMode(false);
    ssl.startHandshake();
    socket = ssl;
    reader.replaceStream(ssl.getInputStream());
    out = new BufferedOutputStream(ssl.getOutputStream(), 4096);
    tls = true;
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // closing a broken connection: nothing to do
    }
  }
}
