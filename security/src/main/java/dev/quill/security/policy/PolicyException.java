package dev.quill.security.policy;

/** A policy text that cannot be parsed, or a policy that cannot be installed; names the line when there is one. */
public final class PolicyException extends Exception {
  private final int line;

  /** An error on {@code line} (1-based) of a policy text. */
  public PolicyException(int line, String message) {
    super("line " + line + ": " + message);
    this.line = line;
  }

  /** An error that belongs to no line (e.g. installing a stale version). */
  public PolicyException(String message) {
    super(message);
    this.line = 0;
  }

  /** The 1-based line the error is on, or 0 when it is not about a line. */
  public int line() {
    return line;
  }
}
