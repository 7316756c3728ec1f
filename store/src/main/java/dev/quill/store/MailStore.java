package dev.quill.store;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

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

  /**
   * Stores {@code alias} → {@code target} where the target may be a user of another node (a cluster
   * replicating its aliases): only the alias's domain must be local and no local user may have the
   * alias's name. Storing the same target again is a no-op.
   *
   * @throws StoreException if the domain is not local, a user has that name, or the alias already
   *     points to another target
   */
  void putAlias(String alias, String target);

  /** The target stored for {@code alias}, whether or not it is a local user; empty when no such alias. */
  Optional<String> aliasTarget(String alias);

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
   * {@link #mailbox} and {@link #messages} in one call, or empty when the user or mailbox is
   * unknown. A cluster answers it with one gathering of the mailbox's fragments instead of one
   * per call. This default reads the two apart (a change may land between them); a node's own
   * store reads both from one durable view, so its record counts exactly its messages, which
   * fragment listings rely on.
   */
  default Optional<MailboxContents> contents(String user, String mailbox) {
    return mailbox(user, mailbox).map(info -> new MailboxContents(info, messages(user, mailbox)));
  }

  /**
   * A message's bytes, verified against the checksum stored with it. A record that fails the
   * check is moved to quarantine, logged, and reported as {@link CorruptMessageException}; it is
   * never returned as mail and no longer listed by {@link #messages}.
   *
   * @return empty when no such message exists (for example, expunged by another session)
   */
  Optional<byte[]> readMessage(String user, String mailbox, long uid) throws CorruptMessageException;

  /**
   * Several messages of one mailbox read in one consistent view: metadata always, bytes and
   * derived data when {@code parts} asks. Made for FETCH and SEARCH, which touch many messages
   * per command: one call (and one RPC, once mailboxes spread over nodes) per batch instead of
   * several per message. Bytes are verified as {@link #readMessage} does; a corrupt message is
   * quarantined and returned with its {@code problem} set and no body.
   *
   * @return the messages found, in the order of {@code uids}; unknown UIDs are left out, and
   *     an unknown mailbox gives an empty list
   */
  List<LoadedMessage> load(String user, String mailbox, List<Long> uids, Set<LoadedMessage.Part> parts);

  /**
   * As {@link #load} for a session that took the UIDs under {@code uidValidity}: fails with
   * {@link UidValidityChangedException}, returning nothing, when the mailbox has another UIDVALIDITY
   * in the view the messages are read from, since its UIDs then name other messages and the session
   * would show one message's bytes under another's UID. A cluster checks on each node read from.
   */
  List<LoadedMessage> loadUnder(String user, String mailbox, long uidValidity, List<Long> uids,
      Set<LoadedMessage.Part> parts);

  /** Removes messages atomically and durably; unknown UIDs are ignored. */
  CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids);

  /**
   * As {@link #expunge(String, String, Collection)} for a session that took the UIDs under
   * {@code uidValidity}: fails with {@link UidValidityChangedException}, removing nothing, when the
   * mailbox has another UIDVALIDITY by the time the expunge is made, since its UIDs then name other
   * messages. A cluster checks on each node holding the messages, under the lock that a renumbering
   * takes there too.
   */
  CompletableFuture<Void> expungeUnder(String user, String mailbox, long uidValidity, Collection<Long> uids);

  /**
   * As {@link #expungeUnder}, for messages a session chose by the {@code \Deleted} flag as it last
   * read them (IMAP EXPUNGE, UID EXPUNGE, CLOSE). A store that may have served those flags from an
   * old copy refuses, as temporary, rather than expunge on them (a cluster none of whose holders of
   * a message can list it now); a single store's reads are always current, so the default is
   * {@link #expungeUnder}.
   */
  default CompletableFuture<Void> expungeDeletedUnder(String user, String mailbox, long uidValidity,
      Collection<Long> uids) {
    return expungeUnder(user, mailbox, uidValidity, uids);
  }

  /**
   * Removes messages whose copies now live on another node (a cluster rebalance moved them), each
   * only while its MODSEQ here is still the one given: a flag change or expunge made here after the
   * caller compared the two copies keeps the message, and the caller compares again. Atomic and
   * durable when the future completes.
   *
   * <p>Not an expunge: IMAP clients still see the messages (on the other node), so nothing is
   * recorded for {@link #expungedSince} and HIGHESTMODSEQ stays; the counters fall. Watchers get
   * one {@code FLAGS} event naming no UID, which tells sessions to read the mailbox again. A fragment left empty, of a user whose profile is on another node, is removed
   * with its index entry (so reports stop listing it), unless its expunge log holds entries, which
   * QRESYNC still needs.
   *
   * @param expectedModSeqs each UID to remove, with the MODSEQ it must still have
   * @return the UIDs removed, ascending; absent and changed ones are left out
   * @throws StoreException (failing the future) for an unknown mailbox, or a store that cannot do it
   */
  default CompletableFuture<List<Long>> dropMoved(String user, String mailbox, Map<Long, Long> expectedModSeqs) {
    return CompletableFuture.failedFuture(new StoreException(getClass().getSimpleName()
        + " cannot drop moved messages; only a node's own store can"));
  }

  // ---- IMAP: mailboxes, flags, copies, changes ----------------------------------------------
  // Calls that return a future report a refusal (no such mailbox, over quota, invalid flag) by
  // failing it with StoreException; the others throw it.

  /**
   * The same as {@link #deliver(Collection, String, byte[], Instant)}, keeping {@code derived}
   * (MIME structure and search text) with every copy; null stores none.
   */
  CompletableFuture<List<DeliveryResult>> deliver(
      Collection<String> users, String mailbox, byte[] message, Instant internalDate, MessageDerived derived);

  /**
   * A user's mailboxes sorted by name (INBOX first); empty for an unknown user. A new user has
   * INBOX, Sent, Drafts, Trash, Junk and Archive (the last five with the SPECIAL-USE attribute of
   * their name, RFC 6154), all subscribed. For a user whose profile is on another node, the
   * mailbox fragments held here.
   */
  List<MailboxInfo> mailboxes(String user);

  /**
   * Creates a mailbox ({@code /} separates hierarchy levels; names are stored as given, UTF-8),
   * and any missing superior mailboxes ({@code a} and {@code a/b} for {@code a/b/c}). A name is
   * valid when it is not empty, has no empty level (no leading, trailing or double {@code /}), no
   * control characters, no {@code *} or {@code %}, and at most 255 octets. INBOX in any case is
   * INBOX, also as the first level ({@code inbox/x} is {@code INBOX/x}). The new mailbox is
   * subscribed when a subscription of its name exists, and has a UIDVALIDITY never used before.
   *
   * @param specialUse SPECIAL-USE attributes such as {@code \Sent}; may be empty
   * @throws StoreException if it exists (INBOX in any case counts), the name is invalid, or the user is unknown
   */
  MailboxInfo createMailbox(String user, String name, Set<String> specialUse);

  /**
   * Deletes a mailbox with its messages; its inferior mailboxes remain and its subscription
   * stays (RFC 9051 section 6.3.4). Returns false when unknown. For a user whose profile is on
   * another node, deletes the fragment held here, INBOX's too (the user is being deleted, or the
   * fragment moved).
   *
   * @throws StoreException for INBOX while the user's profile is here, or an unknown user
   */
  boolean deleteMailbox(String user, String name);

  /**
   * Renames a mailbox and its inferior mailboxes ({@code a/b} moves with {@code a}), keeping their
   * UIDVALIDITY, messages and subscriptions, and creating missing superiors of the new name.
   * Renaming INBOX moves all its messages into a new mailbox of the new name (new UIDs in the
   * same order, a new UIDVALIDITY) and leaves INBOX empty, its inferiors staying (RFC 9051).
   *
   * <p>For a user whose profile is on another node, renames the fragments held here: {@code from}'s
   * own fragment if held and those of its inferiors (at least one must be held), keeping their
   * UIDVALIDITY and creating no superiors; INBOX is refused ("cannot rename INBOX fragment"), as its
   * messages would need UIDs from the user's manager.
   *
   * @throws StoreException if {@code from} does not exist, {@code to} or a resulting inferior
   *     name exists or is invalid, or {@code to} is below {@code from}
   */
  void renameMailbox(String user, String from, String to);

  /**
   * Cluster support: renames only the fragments held here, as {@link #renameMailbox} does for a user
   * whose profile is on another node, even where a copy of the profile is: {@code from}'s fragment if
   * held and its inferiors' (at least one), keeping their UIDVALIDITY and creating no superiors. A
   * copy of the profile gets the superiors of the new name from the catalog's image, with the
   * UIDVALIDITY the catalog gave them; making its own would give one mailbox two.
   *
   * @throws StoreException as {@link #renameMailbox}, and for INBOX
   */
  default void renameFragments(String user, String from, String to) {
    throw new StoreException("this store renames whole mailboxes only");
  }

  /**
   * Subscribes or unsubscribes; a subscription may name a mailbox that does not exist (RFC 9051
   * section 6.3.7), and is kept when the mailbox is deleted. The mailbox's
   * {@link MailboxInfo#subscribed()} follows.
   *
   * @throws StoreException for an unknown user, or an invalid name to subscribe to
   */
  void setSubscribed(String user, String name, boolean subscribed);

  /** The names the user is subscribed to, existing or not, sorted. */
  Set<String> subscriptions(String user);

  /**
   * APPEND: stores one message with flags and internal date (now when null), checking the quota:
   * over quota, the result says not stored and nothing is written. Durable when complete.
   * {@code \Recent} is not stored; see {@link #updateFlags} for how flags are kept.
   */
  CompletableFuture<AppendResult> append(
      String user, String mailbox, byte[] message, Set<String> flags, Instant internalDate, MessageDerived derived);

  /**
   * STORE: changes flags of the given UIDs (unknown UIDs ignored). Flags are compared
   * case-insensitively and kept as first given, system flags spelt as in RFC 9051 ({@code \Seen});
   * {@code \Recent} is ignored. Every message whose flags change gets the same new MODSEQ, above
   * the mailbox's previous HIGHESTMODSEQ; messages left as they were keep theirs.
   */
  CompletableFuture<FlagResult> updateFlags(String user, String mailbox, Collection<Long> uids, FlagUpdate update);

  /**
   * As {@link #updateFlags(String, String, Collection, FlagUpdate)} for a session that took the UIDs
   * under {@code uidValidity}: fails with {@link UidValidityChangedException}, changing nothing, when
   * the mailbox has another UIDVALIDITY by then (as {@link #expungeUnder}).
   */
  CompletableFuture<FlagResult> updateFlagsUnder(String user, String mailbox, long uidValidity, Collection<Long> uids,
      FlagUpdate update);

  /**
   * COPY, or MOVE when {@code move}: copies the messages (bytes, flags, internal date, derived
   * data) to {@code to} with new UIDs, ascending in source UID order, atomically; a move also
   * expunges them from {@code from}. Unknown UIDs are skipped; when none is found the result is empty.
   * Fails with {@link StoreException} when a mailbox does not exist (IMAP: {@code NO [TRYCREATE]})
   * or a copy would exceed the quota (a move does not change usage).
   */
  CompletableFuture<CopyResult> copy(String user, String from, Collection<Long> uids, String to, boolean move);

  /**
   * As {@link #copy} for a session that took the UIDs under {@code uidValidity} of {@code from}: fails
   * with {@link UidValidityChangedException}, copying and removing nothing, when {@code from} has
   * another UIDVALIDITY by then (as {@link #expungeUnder}).
   */
  CompletableFuture<CopyResult> copyUnder(String user, String from, long uidValidity, Collection<Long> uids, String to,
      boolean move);

  /** The stored derived data of a message, if any was given when it was stored. */
  Optional<MessageDerived> derived(String user, String mailbox, long uid);

  /**
   * UIDs expunged from a mailbox with a MODSEQ above {@code modSeq}, in order (QRESYNC VANISHED,
   * RFC 7162). RFC 7162 lets a server that no longer remembers old expunges answer with more UIDs
   * than were expunged since then, never fewer; callers read the answer as "these are gone".
   * Expunges, moves, quarantine and renaming INBOX are all recorded.
   */
  List<Long> expungedSince(String user, String mailbox, long modSeq);

  /**
   * Calls {@code listener} with every committed change to any mailbox of {@code user}, on a
   * store thread (one for all listeners, in commit order), after the change is durable; the
   * listener must not block. A listener that throws is logged and stays registered. Closing the
   * handle stops it; its {@link MailboxWatch#commits} tells whether anything changed since a
   * given moment, without waiting for the listener.
   */
  MailboxWatch watch(String user, Consumer<MailboxEvent> listener);

  /**
   * Takes {@code user}'s POP3 maildrop for one session across every node that serves this store
   * (RFC 1939 section 4: one session at a time may hold a maildrop); empty while a session on another
   * node holds it. A store served by one node has no other node to ask and returns
   * {@link MaildropLock#LOCAL}: that node's sessions lock among themselves first.
   *
   * @throws StoreException when who holds the maildrop cannot be told now (try again later)
   */
  default Optional<MaildropLock> lockMaildrop(String user) {
    return Optional.of(MaildropLock.LOCAL);
  }

  /**
   * IMAP4rev1's {@code \Recent} (RFC 3501 section 2.3.2) across every node that serves this store:
   * claims the mailbox's messages up to {@code upTo} for one session (0 claims nothing) and returns
   * the highest UID claimed before under {@code uidValidity}, so that each message is recent in one
   * session. Empty when this store leaves it to the node (a store served by one node: the IMAP
   * service's own memory decides), or when the cluster cannot be asked now (the node's memory
   * decides then, and a message may be recent in a session on another node too).
   */
  default java.util.OptionalLong claimRecent(String user, String mailbox, long uidValidity, long upTo) {
    return java.util.OptionalLong.empty();
  }

  // ---- Cluster support ---------------------------------------------------------------------
  // A node holds user profiles and mailbox fragments (the part of a mailbox stored on one node);
  // the user's manager allocates UIDs and MODSEQs and gathers what the nodes report. See CLUSTER.md.

  /**
   * What this node holds of every user whose {@link UserHash} lies in {@code [hashFrom,
   * hashToExclusive)}, both read as unsigned, and {@code hashToExclusive == 0} meaning 2^64 (the
   * end of the hash space, see {@link HashRange}; {@code fragments(0, 0)} is every user): whether
   * the profile is here and, per mailbox fragment here, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and
   * counters. Sorted by unsigned hash, then address. Only durable state is reported. A fragment's
   * highest UID and HIGHESTMODSEQ include its {@link #reserveWatermarks reservation} of the same
   * UIDVALIDITY, if any: this is what managers see, never clients. Costs one index range scan and
   * two point reads per fragment (record and reservation) and one per profile, never a message read.
   *
   * @throws IllegalArgumentException when {@code hashFrom} is above {@code hashToExclusive}
   */
  List<UserFragments> fragments(long hashFrom, long hashToExclusive);

  /**
   * Stores one message under the UID and MODSEQ its manager allocated, durably when the future
   * completes. Creates the local fragment of the mailbox (with the given UIDVALIDITY, no profile
   * needed on this node) when absent, raises its UIDNEXT to at least {@code uid + 1} and its
   * HIGHESTMODSEQ to at least {@code modSeq}. UIDs may arrive out of order and with gaps. Over
   * the quota of a profile held here, nothing is stored and the result says so. Watchers see the
   * same {@code APPENDED} event as for {@link #append}.
   *
   * <p>Fails with {@link StoreException} when the UID is already stored in the fragment
   * ({@link StoreException#UID_TAKEN}) or was expunged from it lately by {@link #expunge(String,
   * String, Collection, long)} ({@link StoreException#UID_EXPUNGED}: a copy that crossed the
   * expunge), the fragment has another UIDVALIDITY, or the mailbox name is invalid.
   */
  CompletableFuture<AppendResult> storeAssigned(AssignedMessage message);

  /**
   * Durably records, on one of the nodes the user's manager reserves on (the profile nodes, and other
   * members up to a majority of the cluster), that the manager may have given out UIDs up to
   * {@code uidReserved} and MODSEQs up to {@code modSeqReserved} of the mailbox under
   * {@code uidValidity}: every later rebuild of the manager hears it from {@link #fragments}, whose
   * highest UID and HIGHESTMODSEQ of this fragment are at least the reserved ones, so a new manager
   * never gives those numbers again even when the fragments holding them are down. Creates the
   * local fragment (empty, with {@code uidValidity}) when absent, as {@link #storeAssigned} does.
   * A reservation only rises: lower numbers are ignored (the future still completes once the higher
   * one is durable). It is kept apart from what clients see: {@link #mailbox} and
   * {@link #mailboxes} show the fragment's own UIDNEXT and HIGHESTMODSEQ. Deleting the mailbox (or
   * the user) drops it, a rename keeps it, and a mailbox created again starts without one.
   *
   * <p>Fails with {@link StoreException} when the fragment here has another UIDVALIDITY, or a number
   * is out of range (UIDVALIDITY 1..2^32-1, UID 0..2^32-1, MODSEQ non-negative). The user's profile
   * need not be here. A store that keeps no reservations (one that forwards to other nodes) refuses
   * every call.
   */
  default CompletableFuture<Void> reserveWatermarks(String user, String mailbox, long uidValidity, long uidReserved,
      long modSeqReserved) {
    return reserveWatermarks(user, mailbox, uidValidity, uidReserved, modSeqReserved, Optional.empty());
  }

  /**
   * {@link #reserveWatermarks(String, String, long, long, long)}, and in the same synced write adds
   * {@code holders} to the mailbox's holder record: the nodes that may hold messages of the mailbox,
   * as the user's manager knows them. The record only grows (a UIDVALIDITY change keeps it), goes
   * with the reservation (deleted with the mailbox, kept by a rename), and is reported by
   * {@link #fragments} as {@link FragmentSummary#holders}, so that a later manager knows which nodes
   * away may hold part of the mailbox and which hold none of it.
   */
  default CompletableFuture<Void> reserveWatermarks(String user, String mailbox, long uidValidity, long uidReserved,
      long modSeqReserved, Optional<Set<String>> holders) {
    return CompletableFuture.failedFuture(new StoreException("this store keeps no watermark reservations"));
  }

  /**
   * Cluster repair: gives the messages of this node's fragment of a mailbox new UIDs under
   * another UIDVALIDITY, in one synced batch (metadata, bytes and derived data re-keyed, MODSEQ set
   * to the order's, the expunge log of the old UIDs dropped, UIDNEXT above the new UIDs). When the
   * order carries a reservation (this node is one the manager reserves on), it replaces the old one
   * in the same batch; otherwise a reservation of the old UIDVALIDITY is dropped. Watchers see {@code APPENDED} with
   * the new UIDs. A fragment already at the target UIDVALIDITY is left as it is (the order was
   * carried out before), and so is an absent one, unless the order carries a reservation.
   *
   * <p>Fails with {@link StoreException}, changing nothing, when the fragment has a third
   * UIDVALIDITY, holds a message the order does not list (it changed since the manager looked),
   * has writes queued (try again), or a reservation is given where the fragment is not held. The
   * whole fragment is rewritten in one batch: its cost is that of storing it again.
   */
  default CompletableFuture<Void> renumber(FragmentRenumbering order) {
    return CompletableFuture.failedFuture(new StoreException("this store cannot renumber fragments"));
  }

  /**
   * The stamp of the last change to a record that a cluster replicates last-writer-wins (a
   * profile, a domain, an alias), or 0 when none is recorded here. It outlives the record: the
   * stamp of a deleted one is its tombstone.
   */
  default long version(Versioned kind, String name) {
    return 0;
  }

  /** Durably records {@code stamp} as the version of a record (see {@link #version}). */
  default void setVersion(Versioned kind, String name, long stamp) {
    throw new StoreException("this store keeps no versions");
  }

  /** Every version of one kind held here, tombstones included, by name. */
  default Map<String, Long> versions(Versioned kind) {
    return Map.of();
  }

  /**
   * Drops the tombstone of a deleted record: its version, only while that is still {@code stamp}
   * and the record is still absent here (a record re-created meanwhile keeps its version). The
   * caller must know that no node holds an older live copy, or the record could come back.
   *
   * @return whether the tombstone was dropped
   */
  default boolean pruneTombstone(Versioned kind, String name, long stamp) {
    return false;
  }

  /**
   * The image of {@code user}'s profile as held here ({@link ProfileImage}): the profile, catalog,
   * subscriptions and version; a tombstone when only a version is left; empty when neither.
   */
  default Optional<ProfileImage> exportProfile(String user) {
    return Optional.empty();
  }

  /**
   * Gives up this node's copy of {@code user}'s profile, one of more copies than the cluster keeps,
   * only while its version is still {@code stamp} (a change that reached this copy since the caller
   * looked keeps it). The user record, its hash-index entry and the version go; the user's
   * mailbox fragments stay with their messages, subscriptions and watermark reservations (a
   * reservation here may be one a majority needs), so this node is left as a plain fragment
   * holder. The reservations lose their holder records: a manager trusts any record reported to
   * it, and a node that is no longer a profile node stops getting the writes that keep its record
   * whole, so a record kept here could later be reported without holders added since. Leaves no
   * tombstone: this node is then as one that never held the profile.
   *
   * @return whether the copy was given up
   */
  default boolean dropProfile(String user, long stamp) {
    return false;
  }

  /**
   * Makes this node's copy of a profile equal to {@code image} when the image's version is higher
   * than the one here (last writer wins), and records that version last, so that a crash midway
   * leaves the old version and the next import repeats the work. A tombstone deletes the user here
   * as {@link #deleteUser} does. A profile creates or replaces the user record (password hash,
   * quota), creates the catalog's mailboxes missing here with the image's UIDVALIDITY, sets their
   * SPECIAL-USE, makes the subscriptions equal and raises watermark reservations. It never deletes
   * or renames a mailbox: those reach every holder of a fragment as fragment operations, and an
   * image computed before a mailbox was created must not delete a copy stored in it meanwhile.
   *
   * @return whether the image was newer and is now applied
   */
  default boolean importProfile(ProfileImage image) {
    throw new StoreException("this store keeps no profile replicas");
  }

  /**
   * {@link #updateFlags(String, String, Collection, FlagUpdate)} under a MODSEQ the user's manager
   * allocated: every message whose flags change gets exactly {@code modSeq}, and the fragment's
   * HIGHESTMODSEQ becomes {@code modSeq} when anything changed. Works on a fragment whose user has
   * no profile here.
   *
   * <p>Fails with {@link StoreException} ("stale MODSEQ") and changes nothing when {@code modSeq}
   * is not above the fragment's HIGHESTMODSEQ, also when no message would change: the caller
   * allocates a fresh MODSEQ and tries again.
   */
  CompletableFuture<FlagResult> updateFlags(
      String user, String mailbox, Collection<Long> uids, FlagUpdate update, long modSeq);

  /**
   * {@link #updateFlags(String, String, Collection, FlagUpdate, long)} that also refuses, as
   * {@link #updateFlagsUnder} does, when the fragment's UIDVALIDITY is not {@code uidValidity}; 0 checks nothing.
   */
  CompletableFuture<FlagResult> updateFlags(
      String user, String mailbox, Collection<Long> uids, FlagUpdate update, long modSeq, long uidValidity);

  /**
   * {@link #expunge(String, String, Collection)} under a MODSEQ the user's manager allocated: the
   * expunge is recorded at {@code modSeq} (so {@link #expungedSince} reports the UIDs to anyone
   * asking from a lower MODSEQ), which becomes the fragment's HIGHESTMODSEQ when a message was
   * removed. Works on a fragment whose user has no profile here. The same "stale MODSEQ" refusal as
   * {@link #updateFlags(String, String, Collection, FlagUpdate, long)}, except when none of the UIDs
   * is here: that expunge changes nothing and succeeds. The UIDs, here or not, are remembered for a
   * while, and a copy of one of them is refused ({@link #storeAssigned}).
   */
  CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids, long modSeq);

  /**
   * {@link #expunge(String, String, Collection, long)} that also refuses, as
   * {@link #expungeUnder} does, when the fragment's UIDVALIDITY is not {@code uidValidity}; 0 checks nothing.
   */
  CompletableFuture<Void> expunge(String user, String mailbox, Collection<Long> uids, long modSeq, long uidValidity);

  /**
   * Whether reading a message may be a request to another node (a cluster store): sessions then
   * read ahead, in one call, the messages a client usually fetches next. False for a local store.
   */
  default boolean remoteReads() {
    return false;
  }

  /**
   * The nodes holding part of the mailbox that this node's latest read of it could not reach (in a
   * cluster, a node that is down): their messages were left out of {@link #messages}. Empty when the
   * read was whole, and always for a store on one node.
   */
  default List<String> unreachable(String user, String mailbox) {
    return List.of();
  }

  /** Bytes of mail a user holds, over all mailboxes. */
  long usage(String user);

  /** Counters for the admin API and benchmarks. */
  StoreStats stats();

  /** Writes queued for the disk and not yet durable: the load a cluster's balancer compares. */
  int pendingWrites();

  /**
   * Whether new mail fits now. False while the store's disk has less free space than its reserve: a
   * protocol then refuses mail before the client sends it (SMTP 452 4.3.1 at MAIL), where a delivery
   * would fail with a {@link StorageUnavailableException} anyway. True for a cluster's store, whose
   * other nodes take the copies a full node cannot.
   */
  default boolean acceptsNewMail() {
    return true;
  }

  /** Flushes and closes the engine; further calls throw {@link StoreException}. */
  @Override
  void close();
}
