package dev.quill.cluster.transport;

import org.jgroups.logging.Log;

/**
 * The log JGroups' TCP connections write to, with the two reports every ordinary connection close
 * makes demoted to DEBUG: the goodbye that cannot be sent on a socket the peer closed first ("failed
 * sending graceful close … Socket closed", logged as an ERROR) and the receiver that finds its stream
 * closed under it ("failed handling message … closed", a WARN). Everything else passes through
 * unchanged, so a node stopping or a peer going away no longer looks like a fault in the log.
 */
final class QuietCloseLog implements Log {
  private final Log delegate;

  QuietCloseLog(Log delegate) {
    this.delegate = delegate;
  }

  /** Whether a report is one of the two that every connection close makes. */
  static boolean ordinaryClose(String format, Object... args) {
    if (format == null) {
      return false;
    }
    if (format.contains("failed sending graceful close")) {
      return true;
    }
    if (!format.contains("failed handling message")) {
      return false;
    }
    for (Object arg : args) {
      String text = arg instanceof Throwable t ? String.valueOf(t.getMessage()) : String.valueOf(arg);
      if (text.contains("Stream closed") || text.contains("Socket closed")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void error(String format, Object... args) {
    if (ordinaryClose(format, args)) {
      delegate.debug(format, args);
    } else {
      delegate.error(format, args);
    }
  }

  @Override
  public void warn(String format, Object... args) {
    if (ordinaryClose(format, args)) {
      delegate.debug(format, args);
    } else {
      delegate.warn(format, args);
    }
  }

  // ---- everything else as it is

  @Override
  public boolean isFatalEnabled() {
    return delegate.isFatalEnabled();
  }

  @Override
  public boolean isErrorEnabled() {
    return delegate.isErrorEnabled();
  }

  @Override
  public boolean isWarnEnabled() {
    return delegate.isWarnEnabled();
  }

  @Override
  public boolean isInfoEnabled() {
    return delegate.isInfoEnabled();
  }

  @Override
  public boolean isDebugEnabled() {
    return delegate.isDebugEnabled();
  }

  @Override
  public boolean isTraceEnabled() {
    return delegate.isTraceEnabled();
  }

  @Override
  public void fatal(String msg) {
    delegate.fatal(msg);
  }

  @Override
  public void fatal(String format, Object... args) {
    delegate.fatal(format, args);
  }

  @Override
  public void fatal(String msg, Throwable throwable) {
    delegate.fatal(msg, throwable);
  }

  @Override
  public void error(String msg) {
    delegate.error(msg);
  }

  // With log_details on, JGroups reports the closed stream with the exception itself.
  @Override
  public void error(String msg, Throwable throwable) {
    if (ordinaryClose(msg, throwable)) {
      delegate.debug(msg, throwable);
    } else {
      delegate.error(msg, throwable);
    }
  }

  @Override
  public void warn(String msg) {
    delegate.warn(msg);
  }

  @Override
  public void warn(String msg, Throwable throwable) {
    if (ordinaryClose(msg, throwable)) {
      delegate.debug(msg, throwable);
      return;
    }
    delegate.warn(msg, throwable);
  }

  @Override
  public void info(String msg) {
    delegate.info(msg);
  }

  @Override
  public void info(String format, Object... args) {
    delegate.info(format, args);
  }

  @Override
  public void debug(String msg) {
    delegate.debug(msg);
  }

  @Override
  public void debug(String format, Object... args) {
    delegate.debug(format, args);
  }

  @Override
  public void debug(String msg, Throwable throwable) {
    delegate.debug(msg, throwable);
  }

  @Override
  public void trace(Object msg) {
    delegate.trace(msg);
  }

  @Override
  public void trace(String msg) {
    delegate.trace(msg);
  }

  @Override
  public void trace(String format, Object... args) {
    delegate.trace(format, args);
  }

  @Override
  public void trace(String msg, Throwable throwable) {
    delegate.trace(msg, throwable);
  }

  @Override
  public void setLevel(String level) {
    delegate.setLevel(level);
  }

  @Override
  public String getLevel() {
    return delegate.getLevel();
  }
}
