package dev.quill.mail.net;

import java.net.InetAddress;
import java.time.Duration;

/**
 * How one listener accepts connections.
 *
 * @param name service name for logs and thread names ("smtp", "submission", "pop3")
 * @param bind address to listen on
 * @param port TCP port (0 picks a free one, for tests)
 * @param implicitTls whether the TLS handshake starts at connect (RFC 8314) rather than by STARTTLS
 * @param maxConnections connections open at once on this listener; more are refused with {@code busyReply}
 * @param maxConnectionsPerIp connections open at once from one client address
 * @param busyReply the line sent before closing a refused connection (null: close silently)
 * @param gracePeriod how long a stopping server lets sessions finish before closing them
 */
public record ListenerConfig(
    String name, InetAddress bind, int port, boolean implicitTls, int maxConnections,
    int maxConnectionsPerIp, String busyReply, Duration gracePeriod) {}
