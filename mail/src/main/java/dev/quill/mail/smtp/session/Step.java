package dev.quill.mail.smtp.session;

import dev.quill.mail.smtp.codec.SmtpReply;
import java.util.List;

/**
 * What the session wants after one input: replies to send, in order, and what the transport
 * does next.
 *
 * @param replies the replies to write; empty when the action comes first (BDAT reads its chunk
 *     before replying)
 * @param action what the transport does after writing the replies
 * @param flush whether to send the replies now even if more pipelined input is waiting (the
 *     command ends a pipelining group, RFC 2920 §3.1)
 */
public record Step(List<SmtpReply> replies, Action action, boolean flush) {

  /** What the transport does after writing a step's replies. */
  public enum Action {
    /** Read the next command. */
    CONTINUE,
    /** Close the connection. */
    CLOSE,
    /** Discard buffered input, perform the TLS handshake, then call {@link SmtpSession#tlsStarted}. */
    START_TLS,
    /** Read DATA content into {@link SmtpSession#messageBuffer()}, then call {@link SmtpSession#dataRead}. */
    READ_DATA,
    /**
     * Read {@link SmtpSession#pendingChunkSize()} octets into {@link SmtpSession#chunkSink()}, then
     * call {@link SmtpSession#chunkRead}.
     */
    READ_CHUNK,
    /** Read one line of SASL response, then call {@link SmtpSession#authResponse}. */
    READ_AUTH_RESPONSE
  }

  public Step {
    replies = List.copyOf(replies);
  }

  static Step reply(SmtpReply reply) {
    return new Step(List.of(reply), Action.CONTINUE, false);
  }

  static Step of(SmtpReply reply, Action action) {
    return new Step(List.of(reply), action, action != Action.CONTINUE);
  }

  static Step close(SmtpReply reply) {
    return new Step(List.of(reply), Action.CLOSE, true);
  }

  Step flushed(boolean flush) {
    return flush == this.flush ? this : new Step(replies, action, flush);
  }
}
