package dev.quill.cluster.transport;

/** The cluster transport could not start, or could not send to a node. */
public final class ClusterException extends Exception {
  public ClusterException(String message) {
    super(message);
  }

  public ClusterException(String message, Throwable cause) {
    super(message, cause);
  }
}
