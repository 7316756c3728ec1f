package dev.quill.store;

/**
 * A user's POP3 maildrop held by one session across every node that serves a store
 * ({@link MailStore#lockMaildrop}); closing it gives the maildrop back, and closing twice does
 * nothing more.
 */
public interface MaildropLock extends AutoCloseable {
  /** The lock of a store served by one node, whose sessions lock among themselves: nothing to give back. */
  MaildropLock LOCAL = () -> {};

  @Override
  void close();
}
