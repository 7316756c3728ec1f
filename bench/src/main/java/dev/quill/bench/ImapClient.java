package dev.quill.bench;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A minimal blocking IMAP client for the load generator: one command at a time (no pipelining), each with its own
 * tag, its untagged responses collected until the tagged status arrives.
 *
 * <p><b>Standards:</b> RFC 9051 / RFC 3501 (LOGIN, SELECT, CREATE, UID FETCH, UID STORE, UID SEARCH, APPEND,
 * LOGOUT, CAPABILITY), RFC 2177 (IDLE), RFC 7888 (LITERAL+ and LITERAL-: APPEND sends a non-synchronizing literal
 * when advertised, otherwise waits for the {@code +} continuation), RFC 4315 (UIDPLUS: APPENDUID and UID EXPUNGE).
 * STARTTLS (RFC 9051 section 6.2.1) with a caller's trust; no SASL, no COMPRESS.
 *
 * <p>Capabilities are learnt from the greeting's or a tagged response's {@code [CAPABILITY ...]} code and from
 * {@code * CAPABILITY}; {@link #capabilities()} asks with CAPABILITY when none were seen since the last login.
 */
final class ImapClient implements Closeable {
  /** Longest response line accepted. */
  static final int MAX_LINE = 1 << 20;
  /** Largest literal accepted. */
  static final int MAX_LITERAL = 64 << 20;

  /** Replaced by its TLS layer after STARTTLS, as are the reader and writer over it. */
  private Socket socket;
  private ImapReader in;
  private OutputStream out;
  private final Set<String> capabilities = new HashSet<>();
  private int nextTag = 1;
  private boolean syncLiteralsOnly;

  private ImapClient(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new ImapReader(socket.getInputStream(), 16384, MAX_LINE, MAX_LITERAL);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 8192);
  }

  /** Connects and reads the {@code * OK} greeting. */
  static ImapClient connect(String host, int port, int timeoutMillis) throws IOException {
    var socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(timeoutMillis);
      socket.connect(new InetSocketAddress(host, port), timeoutMillis);
      var client = new ImapClient(socket);
      var greeting = client.in.read();
      if (greeting.kind() != ImapResponse.Kind.UNTAGGED || !greeting.isOk()) {
        throw new ImapException("greeting", greeting);
      }
      client.learn(greeting);
      return client;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /**
   * STARTTLS: upgrades the connection, checking the server's certificate against {@code tls}'s trust
   * (no host name check: the caller trusts exactly the certificates it gave). Capabilities are learnt
   * anew afterwards, as RFC 9051 requires.
   */
  void startTls(SSLContext tls) throws IOException {
    expectOk("STARTTLS", "STARTTLS");
    var plain = socket;
    SSLSocket secure = (SSLSocket) tls.getSocketFactory().createSocket(plain, plain.getInetAddress().getHostAddress(),
        plain.getPort(), true);
    secure.startHandshake();
    socket = secure;
    in = new ImapReader(secure.getInputStream(), 16384, MAX_LINE, MAX_LITERAL);
    out = new BufferedOutputStream(secure.getOutputStream(), 8192);
    capabilities.clear();
  }

  /** Makes APPEND always use synchronizing literals, even when LITERAL+ is advertised. */
  void syncLiteralsOnly(boolean value) {
    syncLiteralsOnly = value;
  }

  /** The capabilities known, in upper case; asks the server if none are known. */
  Set<String> capabilities() throws IOException {
    if (capabilities.isEmpty()) {
      expectOk("CAPABILITY", "CAPABILITY");
    }
    return capabilities;
  }

  boolean has(String capability) throws IOException {
    return capabilities().contains(capability.toUpperCase(Locale.ROOT));
  }

  /** LOGIN with both arguments as quoted strings; the capabilities are re-learnt afterwards. */
  Result login(String user, String password) throws IOException {
    capabilities.clear();
    return expectOk("LOGIN", "LOGIN " + quote(user) + " " + quote(password));
  }

  /** Sends one command (without tag or CRLF) and reads its responses up to the tagged status. */
  Result command(String command) throws IOException {
    String tag = send(command);
    return readUntilTagged(tag, new ArrayList<>());
  }

  /** Like {@link #command}, but fails with an {@link ImapException} unless the status is OK. */
  Result expectOk(String step, String command) throws IOException {
    var result = command(command);
    if (!result.ok()) {
      throw new ImapException(step, result.status());
    }
    return result;
  }

  /**
   * {@code APPEND mailbox (flags) {n}} with the message as a literal: non-synchronizing ({@code {n+}}) when the
   * server advertises LITERAL+ (or LITERAL- and n is at most 4,096), else synchronizing, waiting for {@code +}.
   */
  Result append(String mailbox, String flags, byte[] message) throws IOException {
    boolean nonSync = !syncLiteralsOnly && (has("LITERAL+") || (has("LITERAL-") && message.length <= 4096));
    String tag = nextTag();
    write(tag + " APPEND " + quote(mailbox) + (flags.isEmpty() ? "" : " (" + flags + ")") + " {" + message.length
        + (nonSync ? "+}" : "}"));
    var untagged = new ArrayList<ImapResponse>();
    if (nonSync) {
      out.write(message);
    } else {
      out.flush();
      while (true) {
        var r = in.read();
        if (r.kind() == ImapResponse.Kind.CONTINUATION) {
          break;
        }
        if (r.kind() == ImapResponse.Kind.TAGGED) {
          checkTag(tag, r);
          learn(r);
          throw new ImapException("APPEND (before the literal)", r);
        }
        learn(r);
        untagged.add(r);
      }
      out.write(message);
    }
    write("");
    out.flush();
    var result = readUntilTagged(tag, untagged);
    if (!result.ok()) {
      throw new ImapException("APPEND", result.status());
    }
    return result;
  }

  /**
   * IDLE: sends IDLE, waits for the continuation, lets {@code idleMillis} pass (untagged updates queue up in the
   * socket meanwhile), sends DONE and reads to the tagged OK. Returns the nanoseconds from IDLE to the
   * continuation and from DONE to the tagged OK.
   */
  long[] idle(long idleMillis) throws IOException {
    long t0 = System.nanoTime();
    String tag = send("IDLE");
    var untagged = new ArrayList<ImapResponse>();
    while (true) {
      var r = in.read();
      if (r.kind() == ImapResponse.Kind.CONTINUATION) {
        break;
      }
      if (r.kind() == ImapResponse.Kind.TAGGED) {
        checkTag(tag, r);
        throw new ImapException("IDLE", r);
      }
      learn(r);
      untagged.add(r);
    }
    long entered = System.nanoTime() - t0;
    try {
      Thread.sleep(idleMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long t1 = System.nanoTime();
    write("DONE");
    out.flush();
    var result = readUntilTagged(tag, untagged);
    if (!result.ok()) {
      throw new ImapException("IDLE (after DONE)", result.status());
    }
    return new long[] {entered, System.nanoTime() - t1};
  }

  /** LOGOUT; the server's {@code * BYE} is expected among the untagged responses. */
  Result logout() throws IOException {
    return expectOk("LOGOUT", "LOGOUT");
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // nothing left to release
    }
  }

  /** A quoted string, with {@code "} and {@code \} escaped. */
  static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }

  private String nextTag() {
    return "q" + nextTag++;
  }

  private String send(String command) throws IOException {
    String tag = nextTag();
    write(tag + " " + command);
    out.flush();
    return tag;
  }

  private void write(String line) throws IOException {
    out.write(line.getBytes(StandardCharsets.UTF_8));
    out.write('\r');
    out.write('\n');
  }

  private Result readUntilTagged(String tag, List<ImapResponse> untagged) throws IOException {
    while (true) {
      var r = in.read();
      learn(r);
      switch (r.kind()) {
        case TAGGED -> {
          checkTag(tag, r);
          return new Result(r, untagged);
        }
        case UNTAGGED -> untagged.add(r);
        case CONTINUATION -> throw new ProtocolException("unexpected continuation request: \"" + r.summary() + "\"");
      }
    }
  }

  private static void checkTag(String tag, ImapResponse r) throws ProtocolException {
    if (!r.tag().equals(tag)) {
      throw new ProtocolException("tagged response for " + r.tag() + " while waiting for " + tag + ": \""
          + r.summary() + "\"");
    }
  }

  /** Notes the capabilities a response announces. */
  private void learn(ImapResponse r) {
    String list = null;
    if (r.kind() == ImapResponse.Kind.UNTAGGED && r.status().equals("CAPABILITY")) {
      list = r.first().substring("* CAPABILITY".length());
    } else if (r.kind() != ImapResponse.Kind.CONTINUATION) {
      String code = r.code();
      if (code.regionMatches(true, 0, "CAPABILITY ", 0, 11)) {
        list = code.substring(11);
      }
    }
    if (list != null) {
      capabilities.clear();
      for (String c : list.trim().split(" +")) {
        capabilities.add(c.toUpperCase(Locale.ROOT));
      }
    }
  }

  /** A command's outcome: its tagged status response and the untagged responses that came before it. */
  record Result(ImapResponse status, List<ImapResponse> untagged) {
    boolean ok() {
      return status.isOk();
    }

    /** The untagged {@code * n KEYWORD} responses with this keyword (e.g. FETCH). */
    List<ImapResponse> numbered(String keyword) {
      return untagged.stream().filter(r -> r.keyword().equals(keyword)).toList();
    }

    /** n of the last {@code * n KEYWORD} (e.g. EXISTS), or -1. */
    long last(String keyword) {
      long n = -1;
      for (var r : untagged) {
        if (r.keyword().equals(keyword)) {
          n = r.number();
        }
      }
      return n;
    }

    /** The numbers of the {@code * SEARCH} responses. */
    long[] searchResults() {
      return untagged.stream().flatMapToLong(r -> java.util.Arrays.stream(r.searchResults())).toArray();
    }

    /** The first response code (of the untagged responses, then the tagged one) starting with {@code name}. */
    String code(String name) {
      for (var r : untagged) {
        if (r.code().regionMatches(true, 0, name, 0, name.length())) {
          return r.code();
        }
      }
      return status.code().regionMatches(true, 0, name, 0, name.length()) ? status.code() : "";
    }
  }

  /** A NO, BAD or otherwise unexpected status where the session needed OK. */
  static final class ImapException extends IOException {
    @java.io.Serial
    private static final long serialVersionUID = 1L;
    private final transient ImapResponse response;

    ImapException(String step, ImapResponse response) {
      super(step + " answered \"" + response.summary() + "\"");
      this.response = response;
    }

    ImapResponse response() {
      return response;
    }
  }
}
