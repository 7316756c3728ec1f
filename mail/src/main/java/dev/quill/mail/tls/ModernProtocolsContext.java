package dev.quill.mail.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyManagementException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * An SSLContext that never enables anything older than TLS 1.2 on the sockets, server sockets
 * and engines it creates, whatever {@code jdk.tls.disabledAlgorithms} says.
 *
 * <p>Why a wrapper: JDK 25 already disables TLS 1.0/1.1 through that security property, but an
 * operator (or an old-client workaround elsewhere in the JVM) can loosen it globally, and
 * SSLContext has no per-context protocol setting. Wrapping keeps the guarantee local to Quill
 * and invisible to callers, who use the usual {@code getSocketFactory()} etc.
 */
final class ModernProtocolsContext extends SSLContext {
  /** Newest first, as the JDK orders them. */
  static final List<String> ALLOWED = List.of("TLSv1.3", "TLSv1.2");

  ModernProtocolsContext(SSLContext delegate) {
    super(new Spi(delegate), delegate.getProvider(), delegate.getProtocol());
  }

  /** The subset of {@code protocols} that is allowed, keeping the JDK's order. */
  static String[] restrict(String[] protocols) {
    return Arrays.stream(protocols).filter(ALLOWED::contains).toArray(String[]::new);
  }

  static <S extends Socket> S restrict(S socket) {
    if (socket instanceof SSLSocket ssl) {
      ssl.setEnabledProtocols(restrict(ssl.getEnabledProtocols()));
    }
    return socket;
  }

  static <S extends ServerSocket> S restrict(S socket) {
    if (socket instanceof SSLServerSocket ssl) {
      // Accepted sockets inherit the server socket's enabled protocols.
      ssl.setEnabledProtocols(restrict(ssl.getEnabledProtocols()));
    }
    return socket;
  }

  static SSLEngine restrict(SSLEngine engine) {
    engine.setEnabledProtocols(restrict(engine.getEnabledProtocols()));
    return engine;
  }

  static SSLParameters restrict(SSLParameters parameters) {
    parameters.setProtocols(restrict(parameters.getProtocols()));
    return parameters;
  }

  private static final class Spi extends SSLContextSpi {
    private final SSLContext delegate;

    Spi(SSLContext delegate) {
      this.delegate = delegate;
    }

    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random)
        throws KeyManagementException {
      // Re-initialising would silently swap the server's key material under running listeners.
      throw new KeyManagementException("this SSLContext is already initialised");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return new SocketFactory(delegate.getSocketFactory());
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      return new ServerSocketFactory(delegate.getServerSocketFactory());
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      return restrict(delegate.createSSLEngine());
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      return restrict(delegate.createSSLEngine(host, port));
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return delegate.getServerSessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return delegate.getClientSessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      return restrict(delegate.getDefaultSSLParameters());
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      return restrict(delegate.getSupportedSSLParameters());
    }
  }

  private static final class SocketFactory extends SSLSocketFactory {
    private final SSLSocketFactory delegate;

    SocketFactory(SSLSocketFactory delegate) {
      this.delegate = delegate;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket() throws IOException {
      return restrict(delegate.createSocket());
    }

    @Override
    public Socket createSocket(Socket s, String host, int port, boolean autoClose)
        throws IOException {
      return restrict(delegate.createSocket(s, host, port, autoClose));
    }

    @Override
    public Socket createSocket(Socket s, InputStream consumed, boolean autoClose)
        throws IOException {
      return restrict(delegate.createSocket(s, consumed, autoClose));
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return restrict(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
        throws IOException {
      return restrict(delegate.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return restrict(delegate.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress,
        int localPort) throws IOException {
      return restrict(delegate.createSocket(address, port, localAddress, localPort));
    }
  }

  private static final class ServerSocketFactory extends SSLServerSocketFactory {
    private final SSLServerSocketFactory delegate;

    ServerSocketFactory(SSLServerSocketFactory delegate) {
      this.delegate = delegate;
    }

    @Override
    public String[] getDefaultCipherSuites() {
      return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
      return delegate.getSupportedCipherSuites();
    }

    @Override
    public ServerSocket createServerSocket() throws IOException {
      return restrict(delegate.createServerSocket());
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
      return restrict(delegate.createServerSocket(port));
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
      return restrict(delegate.createServerSocket(port, backlog));
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress ifAddress)
        throws IOException {
      return restrict(delegate.createServerSocket(port, backlog, ifAddress));
    }
  }
}
