package dev.quill.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The node's hard state: domains, user profiles, aliases, mailboxes and messages.
 *
 * <p>Addresses are compared case-insensitively and stored lower-cased ({@link Addresses#normalize}).
 * Every mutating call is durable when it returns, or, for the calls that return a future, when the
 * future completes: the write has been synced to disk, sharing one sync with every write committed
 * in the same group. Futures never complete on the caller's thread, so a virtual-thread caller that
 * {@code join()}s is never pinned by the native sync.
 *
 * <p>Implementations are thread-safe.
 */
public interface MailStore extends AutoCloseable {

  /** Name of the mailbox that every user has and that SMTP delivers to. */
  String INBOX = "INBOX";

  // ---- Domains -----------------------------------------------------------------------------

  /** Adds a local domain; returns false when it already exists. */
  boolean addDomain(String domain);

  /** Deletes a local domain; throws {@link StoreException} while users or aliases remain in it. */
  boolean deleteDomain(String domain);

  /** Local domains, sorted. */
  List<String> domains();

  /** Whether mail for this domain is delivered here. */
  boolean hasDomain(String domain);

  // ---- Users -------------------------------------------------------------------------------

  /**
   * Creates a user with an INBOX. The domain must exist.
   *
   * @throws StoreException if the user or an alias of that name exists, or the domain is unknown
   */
  UserProfile addUser(String address, char[] password);

  /** Replaces a user's password; throws {@link StoreException} for an unknown user. */
  void setPassword(String address, char[] password);

  /** Sets a user's quota in bytes (0 means unlimited). */
  void setQuota(String address, long quotaBytes);

  /** Deletes a user with all its mail and aliases pointing at it; returns false when unknown. */
  boolean deleteUser(String address);

  /** All users, sorted by address. */
  List<UserProfile> users();

  /** One user's profile. */
  Optional<UserProfile> user(String address);

  /**
   * Checks a password. Takes the configured hashing cost (at least 50 ms) for unknown users too,
   * so that timing does not reveal which addresses exist.
   */
  boolean authenticate(String address, char[] password);

  // ---- Aliases -----------------------------------------------------------------------------

  /** Makes {@code alias} deliver to the user {@code target}; both must be in local domains. */
  void addAlias(String alias, String target);

  /** Removes an alias; returns false when unknown. */
  boolean deleteAlias(String alias);

  /** All aliases, alias to target. */
  Map<String, String> aliases();

  /** The user that mail for {@code address} goes to: the user itself or an alias's target. */
  Optional<String> resolveRecipient(String address);

  // ---- Mail --------------------------------------------------------------------------------

  /**
   * Stores one copy of {@code message} in {@code mailbox} of each user, atomically: every
   * {@link DeliveryResult.Status#STORED} copy is durable when the future completes, and a crash
   * before that leaves none of them.
   *
   * @param users canonical user addresses (see {@link #resolveRecipient})
   * @param message the RFC 5322 bytes, CRLF line endings, owned by the store from now on
   */
  CompletableFuture<List<DeliveryResult>> deliver(
      Collection<String> users, String mailbox, byte[] message, Instant internalDate);

  /** A mailbox's counters, or empty when the user or mailbox is unknown. */
  Optional<MailboxInfo> mailbox(String user, String mailbox);

  /** The messages of a mailbox in UID order, without their bytes. */
  List<MessageMeta> messages(String user, String mailbox);

  /**
   * A message's bytes, verified against the checksum stored with it. A record that fails the
   * check is moved to quarantine, logged, and reported as {@link CorruptMessageException}; it is
   * never returned as mail and no longer listed by {@link #messages}.
   *
   * @return empty when no such message exists (for example, expunged by another session)
   */
  Optional<byte[]> readMessage(String user, String mailbox, long uid) throws CorruptMessageException;

  /** Removes messages atomically and durably; unknown UIDs are ignored. */
  CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids);

  /** Bytes of mail a user holds, over all mailboxes. */
  long usage(String user);

  /** Counters for the admin API and benchmarks. */
  StoreStats stats();

  /** Flushes and closes the engine; further calls throw {@link StoreException}. */
  @Override
  void close();
}
