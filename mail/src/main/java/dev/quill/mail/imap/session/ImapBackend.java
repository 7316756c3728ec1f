package dev.quill.mail.imap.session;

import dev.quill.store.AppendResult;
import dev.quill.store.CopyResult;
import dev.quill.store.FlagResult;
import dev.quill.store.FlagUpdate;
import dev.quill.store.LoadedMessage;
import dev.quill.store.MailboxEvent;
import dev.quill.store.MailboxContents;
import dev.quill.store.MailboxInfo;
import dev.quill.store.MailboxWatch;
import dev.quill.store.MessageDerived;
import dev.quill.store.MessageMeta;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What an IMAP session needs from storage, synchronously (the session runs on a virtual thread).
 * {@code dev.quill.mail.imap.StoreImapBackend} implements it over {@link dev.quill.store.MailStore};
 * tests use an in-memory fake. Failures are {@link dev.quill.store.StoreException}s with a
 * message saying why (answered NO).
 */
public interface ImapBackend {

  /** Checks a password (constant time for unknown users). */
  boolean authenticate(String user, char[] password);

  /** The user's mailboxes, INBOX first. */
  List<MailboxInfo> mailboxes(String user);

  /** One mailbox's counters, empty when it does not exist. */
  Optional<MailboxInfo> mailbox(String user, String name);

  /** Creates a mailbox. */
  MailboxInfo createMailbox(String user, String name, Set<String> specialUse);

  /** Deletes a mailbox; false when unknown. */
  boolean deleteMailbox(String user, String name);

  /** Renames a mailbox with its inferiors. */
  void renameMailbox(String user, String from, String to);

  /** Subscribes or unsubscribes. */
  void setSubscribed(String user, String name, boolean subscribed);

  /** The subscribed names. */
  Set<String> subscriptions(String user);

  /** The messages of a mailbox in UID order. */
  List<MessageMeta> messages(String user, String mailbox);

  /** {@link #mailbox} and {@link #messages} in one call (one gathering in a cluster); empty when it does not exist. */
  default Optional<MailboxContents> contents(String user, String name) {
    return mailbox(user, name).map(info -> new MailboxContents(info, messages(user, name)));
  }

  /**
   * The cluster nodes holding part of the mailbox that the latest {@link #messages} call could not
   * reach, so that the session can warn the client; empty when the listing is whole.
   */
  default List<String> unreachable(String user, String mailbox) {
    return List.of();
  }

  /**
   * Several messages read together (metadata, and bytes or derived data as {@code parts} asks) by
   * UIDs the session took under {@code uidValidity}; unknown UIDs are left out. A corrupt message
   * comes back with its problem set and no bytes. Fails with
   * {@link dev.quill.store.UidValidityChangedException}, reading nothing, when the mailbox has
   * another UIDVALIDITY by then: its UIDs would name other messages.
   */
  List<LoadedMessage> load(String user, String mailbox, long uidValidity, List<Long> uids,
      Set<LoadedMessage.Part> parts);

  /** APPEND; {@code derived} may be null when the message could not be analysed. */
  AppendResult append(String user, String mailbox, byte[] message, Set<String> flags, Instant internalDate,
      MessageDerived derived);

  /**
   * STORE on UIDs the session took under {@code uidValidity}: fails with
   * {@link dev.quill.store.UidValidityChangedException}, changing nothing, when the mailbox has
   * another UIDVALIDITY by then.
   */
  FlagResult updateFlags(String user, String mailbox, long uidValidity, Collection<Long> uids, FlagUpdate update);

  /**
   * COPY or MOVE of UIDs the session took under {@code uidValidity} of {@code from}: fails with
   * {@link dev.quill.store.UidValidityChangedException}, copying nothing, when {@code from} has another
   * UIDVALIDITY by then.
   */
  CopyResult copy(String user, String from, long uidValidity, Collection<Long> uids, String to, boolean move);

  /**
   * EXPUNGE of UIDs the session took under {@code uidValidity}: fails with
   * {@link dev.quill.store.UidValidityChangedException}, removing nothing, when the mailbox has
   * another UIDVALIDITY by then.
   */
  void expunge(String user, String mailbox, long uidValidity, Collection<Long> uids);

  /** UIDs expunged after {@code modSeq} (QRESYNC). */
  List<Long> expungedSince(String user, String mailbox, long modSeq);

  /** Watches all mailboxes of a user; the listener must not block. */
  MailboxWatch watch(String user, Consumer<MailboxEvent> listener);

  /** Octets stored for the user. */
  long usage(String user);

  /** The user's quota in octets, 0 for unlimited. */
  long quota(String user);

  /** {@code \Recent} claims shared by every node ({@link dev.quill.store.MailStore#claimRecent}); empty: the node's own. */
  default java.util.OptionalLong claimRecent(String user, String mailbox, long uidValidity, long upTo) {
    return java.util.OptionalLong.empty();
  }
}
