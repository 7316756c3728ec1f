package dev.quill.mail.pop3.session;

import dev.quill.store.CorruptMessageException;
import dev.quill.store.MaildropLock;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a {@link Pop3Session} needs from storage, and nothing more: check a password, list the
 * INBOX, read one message, delete some. Production wraps {@link dev.quill.store.MailStore}
 * ({@code dev.quill.mail.pop3.StoreMaildrops}); tests use a fake.
 *
 * <p>Users are canonical (lower-cased) addresses. Any method may throw a
 * {@link RuntimeException} for a storage failure; the session answers {@code -ERR [SYS/TEMP]}.
 */
public interface MaildropStore {

  /** One message of a snapshot: its UID and its size in octets (CRLF line endings). */
  record Entry(long uid, long size) {}

  /**
   * The INBOX as it is at login.
   *
   * @param uidValidity the INBOX's UIDVALIDITY; with a UID it makes the UIDL unique id
   * @param messages the messages in UID order; their positions + 1 are the POP3 message numbers
   */
  record Snapshot(long uidValidity, List<Entry> messages, List<String> unreachable) {
    public Snapshot {
      messages = List.copyOf(messages);
      unreachable = List.copyOf(unreachable);
    }

    /** A whole maildrop: every message listed. */
    public Snapshot(long uidValidity, List<Entry> messages) {
      this(uidValidity, messages, List.of());
    }
  }

  /** Whether {@code password} is {@code user}'s; slow on purpose for unknown users and misses. */
  boolean authenticate(String user, char[] password);

  /** Lists the user's INBOX. */
  Snapshot open(String user);

  /**
   * Takes the user's maildrop across every node that serves the store, after the session took it on
   * its own node ({@code MaildropLocks}); empty while a session on another node holds it. A single
   * node has no other to ask: the default.
   *
   * @throws RuntimeException when who holds it cannot be told now
   */
  default Optional<MaildropLock> lock(String user) {
    return Optional.of(MaildropLock.LOCAL);
  }

  /**
   * A message's bytes, by a UID the session took under {@code uidValidity} (its snapshot's); empty
   * when it no longer exists (removed by another session or protocol).
   *
   * @throws CorruptMessageException when it failed its checksum; the store has quarantined it
   * @throws dev.quill.store.UidValidityChangedException when the INBOX's UIDVALIDITY is no longer
   *     {@code uidValidity} (created again, or renumbered by a cluster), reading nothing: its UIDs
   *     would name other messages then
   */
  Optional<byte[]> read(String user, long uidValidity, long uid) throws CorruptMessageException;

  /**
   * Reads several messages at once, by UIDs taken under {@code uidValidity}, where that is cheaper
   * than one {@link #read} each (a cluster: one request per node holding some of them, not one per
   * message): the messages found whole, by UID. A UID missing from the answer (gone, damaged, or
   * nothing read ahead) is read alone, which says what became of it. The default reads nothing ahead.
   *
   * @throws RuntimeException as {@link #read}; the session then reads each message alone
   */
  default Map<Long, byte[]> readAhead(String user, long uidValidity, List<Long> uids) {
    return Map.of();
  }

  /** Whether {@link #readAhead} is worth calling: reading several messages at once costs less than one by one. */
  default boolean readsAhead() {
    return false;
  }

  /**
   * Removes the messages atomically and durably; returns only when they are gone. Refused, removing
   * nothing, when the INBOX's UIDVALIDITY is no longer {@code uidValidity} (the session's snapshot):
   * its UIDs would name other messages then.
   */
  void expunge(String user, long uidValidity, Collection<Long> uids);
}
