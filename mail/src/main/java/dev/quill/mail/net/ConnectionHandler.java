package dev.quill.mail.net;

/** Serves one accepted connection to the end of its session; runs on its own virtual thread. */
@FunctionalInterface
public interface ConnectionHandler {
  /** Runs the session; exceptions are logged by the server and the connection is closed. */
  void handle(Connection connection) throws Exception;
}
