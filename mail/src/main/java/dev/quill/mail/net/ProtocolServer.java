package dev.quill.mail.net;

import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts connections on one port and runs each on its own virtual thread, enforcing the
 * overall and per-client connection limits, and stops gracefully: stop accepting, let sessions
 * finish for the grace period, then close what is left.
 */
public final class ProtocolServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProtocolServer.class);
  private static final int BUFFER_SIZE = 2048;

  private final ListenerConfig config;
  private final SSLContext tls;
  private final ConnectionHandler handler;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final Map<InetAddress, AtomicInteger> perIp = new ConcurrentHashMap<>();
  private final AtomicLong sessionCounter = new AtomicLong();
  private final AtomicInteger active = new AtomicInteger();
  private final Object drained = new Object(); // notified when the last session of a stopping server ends
  private volatile ServerSocket serverSocket;
  private volatile Thread acceptor;
  private volatile boolean stopping;

  /**
   * @param tls the server's TLS context; required when {@code config.implicitTls()}
   */
  public ProtocolServer(ListenerConfig config, SSLContext tls, ConnectionHandler handler) {
    if (config.implicitTls() && tls == null) {
      throw new IllegalArgumentException(config.name() + ": implicit TLS needs a TLS context");
    }
    this.config = config;
    this.tls = tls;
    this.handler = handler;
  }

  /** Binds the port and starts accepting; returns the bound port. */
  public int start() throws IOException {
    ServerSocket ss = config.implicitTls()
        ? tls.getServerSocketFactory().createServerSocket()
        : new ServerSocket();
    ss.setReuseAddress(true);
    try {
      ss.bind(new InetSocketAddress(config.bind(), config.port()), 1024);
    } catch (BindException e) {
      ss.close();
      // The JDK's message names neither the service nor the address; the operator needs both.
      BindException named = new BindException(config.name() + ": cannot listen on "
          + config.bind().getHostAddress() + ":" + config.port() + ": " + e.getMessage()
          + " (another process, or another listener of this node, has that port; choose another port)");
      named.initCause(e);
      throw named;
    }
    serverSocket = ss;
    acceptor = Thread.ofPlatform().name("quill-" + config.name() + "-accept").daemon(true).start(this::acceptLoop);
    log.info("listening service={} address={}:{} tls={}", config.name(), config.bind().getHostAddress(),
        ss.getLocalPort(), config.implicitTls() ? "implicit" : "starttls");
    return ss.getLocalPort();
  }

  /** The bound port, once started. */
  public int port() {
    return serverSocket.getLocalPort();
  }

  /** Connections open now. */
  public int activeConnections() {
    return active.get();
  }

  private void acceptLoop() {
    while (!stopping) {
      Socket socket;
      try {
        socket = serverSocket.accept();
      } catch (IOException e) {
        if (!stopping) {
          log.warn("accept failed service={} error={}", config.name(), e.toString());
        }
        continue;
      }
      Thread.ofVirtual().name("quill-" + config.name() + "-session").start(() -> serve(socket));
    }
  }

  private void serve(Socket socket) {
    InetAddress ip = socket.getInetAddress();
    AtomicInteger fromIp = perIp.computeIfAbsent(ip, k -> new AtomicInteger());
    int total = active.incrementAndGet();
    int mine = fromIp.incrementAndGet();
    String id = config.name() + "-" + Long.toString(sessionCounter.incrementAndGet(), 36);
    try {
      socket.setTcpNoDelay(true);
      if (total > config.maxConnections() || mine > config.maxConnectionsPerIp()) {
        refuse(socket, id, total > config.maxConnections() ? "server" : "client");
        return;
      }
      if (socket instanceof SSLSocket ssl) {
        ssl.setUseClientMode(false);
        ssl.setSoTimeout(30_000);
        ssl.startHandshake();
      }
      try (Connection connection = new Connection(socket, id, BUFFER_SIZE, this::isStopping)) {
        open.add(connection);
        try {
          handler.handle(connection);
        } finally {
          open.remove(connection);
        }
      }
    } catch (Exception e) {
      // a client that vanishes mid-session is routine; log it quietly
      log.debug("session ended abnormally session={} peer={} error={}", id, ip.getHostAddress(), e.toString());
    } finally {
      if (active.decrementAndGet() == 0 && stopping) {
        synchronized (drained) {
          drained.notifyAll();
        }
      }
      if (fromIp.decrementAndGet() == 0) {
        perIp.remove(ip, fromIp);
      }
      try {
        socket.close();
      } catch (IOException ignored) {
        // already closed
      }
    }
  }

  private void refuse(Socket socket, String id, String which) throws IOException {
    log.info("connection refused session={} peer={} reason=too-many-connections-{}", id,
        socket.getInetAddress().getHostAddress(), which);
    if (config.busyReply() != null && !config.implicitTls()) {
      socket.getOutputStream().write((config.busyReply() + "\r\n").getBytes(StandardCharsets.US_ASCII));
      socket.getOutputStream().flush();
    }
    socket.close();
  }

  /**
   * Stops accepting; sessions waiting for a command say goodbye at once (IMAP {@code BYE}, SMTP
   * {@code 421}), busy ones after their command (POP3, which has no unsolicited reply, answers the
   * next command {@code -ERR [SYS/TEMP]}); waits up to the grace period for them to end, then
   * closes the rest.
   */
  @Override
  public void close() {
    stopping = true;
    try {
      if (serverSocket != null) {
        serverSocket.close();
      }
    } catch (IOException ignored) {
      // closing the listener
    }
    // Sessions waiting for a command hear of the shutdown now; busy ones when their command is done.
    // One thread each: a client that reads nothing could hold the goodbye's write until the close below.
    for (Connection c : open) {
      Thread.ofVirtual().name("quill-goodbye").start(c::stopIfIdle);
    }
    long deadline = System.nanoTime() + config.gracePeriod().toNanos();
    synchronized (drained) {
      long left;
      while (active.get() > 0 && (left = deadline - System.nanoTime()) > 0) {
        try {
          drained.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    }
    for (Connection c : open) {
      c.close();
    }
    if (acceptor != null) {
      acceptor.interrupt();
    }
  }

  /** Whether the server is stopping; sessions check it between transactions to end early. */
  public boolean isStopping() {
    return stopping;
  }
}
