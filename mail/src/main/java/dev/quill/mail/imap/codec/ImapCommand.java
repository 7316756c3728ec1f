package dev.quill.mail.imap.codec;

import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * One parsed IMAP command (RFC 9051 §6, with the extensions Quill serves), as produced by
 * {@link ImapCommandParser}. Every record carries the client's tag; a command that cannot be
 * parsed is {@link Invalid}, answered {@code tag BAD reason}.
 *
 * <p>Mailbox names are kept as the client sent them (UTF-8 decoded octets); whether they are
 * modified UTF-7 depends on the session (RFC 9051 §5.1.3, RFC 6855) and is decided there.
 */
public sealed interface ImapCommand {

  /** The command's tag, as sent ({@code "*"} when none could be read). */
  String tag();

  /** The verb for logs ("UID FETCH" for UID forms). */
  default String verb() {
    return switch (this) {
      case Capability c -> "CAPABILITY";
      case Noop n -> "NOOP";
      case Check c -> "CHECK";
      case Logout l -> "LOGOUT";
      case StartTls s -> "STARTTLS";
      case Authenticate a -> "AUTHENTICATE";
      case Login l -> "LOGIN";
      case Enable e -> "ENABLE";
      case Id i -> "ID";
      case Select s -> s.readOnly() ? "EXAMINE" : "SELECT";
      case Create c -> "CREATE";
      case Delete d -> "DELETE";
      case Rename r -> "RENAME";
      case Subscribe s -> s.subscribe() ? "SUBSCRIBE" : "UNSUBSCRIBE";
      case ListMailboxes l -> l.lsub() ? "LSUB" : "LIST";
      case Namespace n -> "NAMESPACE";
      case Status s -> "STATUS";
      case Append a -> "APPEND";
      case Idle i -> "IDLE";
      case Close c -> "CLOSE";
      case Unselect u -> "UNSELECT";
      case Expunge e -> e.uids() == null ? "EXPUNGE" : "UID EXPUNGE";
      case Search s -> s.uid() ? "UID SEARCH" : "SEARCH";
      case Fetch f -> f.uid() ? "UID FETCH" : "FETCH";
      case Store s -> s.uid() ? "UID STORE" : "STORE";
      case Copy c -> (c.uid() ? "UID " : "") + (c.move() ? "MOVE" : "COPY");
      case GetQuota g -> "GETQUOTA";
      case GetQuotaRoot g -> "GETQUOTAROOT";
      case SetQuota s -> "SETQUOTA";
      case Invalid i -> "INVALID";
    };
  }

  /** CAPABILITY (RFC 9051 §6.1.1). */
  record Capability(String tag) implements ImapCommand {}

  /** NOOP (§6.1.2). */
  record Noop(String tag) implements ImapCommand {}

  /** CHECK (RFC 3501 §6.4.1; a NOOP in Quill). */
  record Check(String tag) implements ImapCommand {}

  /** LOGOUT (§6.1.3). */
  record Logout(String tag) implements ImapCommand {}

  /** STARTTLS (§6.2.1). */
  record StartTls(String tag) implements ImapCommand {}

  /** AUTHENTICATE mechanism [initial-response] (§6.2.2, SASL-IR RFC 4959); {@code initialResponse} null when absent, "" for "=". */
  record Authenticate(String tag, String mechanism, String initialResponse) implements ImapCommand {}

  /** LOGIN user password (§6.2.3). */
  record Login(String tag, String user, String password) implements ImapCommand {}

  /** ENABLE capability... (RFC 5161), capabilities upper-cased. */
  record Enable(String tag, List<String> capabilities) implements ImapCommand {}

  /** ID (RFC 2971); the client's parameters are ignored. */
  record Id(String tag) implements ImapCommand {}

  /**
   * SELECT or EXAMINE ({@code readOnly}) with the RFC 7162 parameters: CONDSTORE, or QRESYNC
   * (null when absent).
   */
  record Select(String tag, String mailbox, boolean readOnly, boolean condstore, Qresync qresync) implements ImapCommand {}

  /** QRESYNC select parameters (RFC 7162 §3.2.5); {@code knownUids} null when absent. */
  record Qresync(long uidValidity, long modSeq, SequenceSet knownUids) {}

  /** CREATE mailbox [(USE (attrs))] (RFC 6154 §5.2). */
  record Create(String tag, String mailbox, Set<String> specialUse) implements ImapCommand {}

  /** DELETE mailbox. */
  record Delete(String tag, String mailbox) implements ImapCommand {}

  /** RENAME from to. */
  record Rename(String tag, String from, String to) implements ImapCommand {}

  /** SUBSCRIBE or UNSUBSCRIBE. */
  record Subscribe(String tag, String mailbox, boolean subscribe) implements ImapCommand {}

  /**
   * LIST (RFC 9051 §6.3.9, extended per RFC 5258) or LSUB (RFC 3501 §6.3.9).
   *
   * @param selection selection options, upper-cased (SUBSCRIBED, SPECIAL-USE, RECURSIVEMATCH ...)
   * @param returns return options, upper-cased (SUBSCRIBED, CHILDREN, SPECIAL-USE); STATUS separately
   * @param statusItems RETURN (STATUS (...)) items, upper-cased; null when not asked
   */
  record ListMailboxes(String tag, String reference, List<String> patterns, Set<String> selection,
      Set<String> returns, List<String> statusItems, boolean lsub) implements ImapCommand {}

  /** NAMESPACE (RFC 2342). */
  record Namespace(String tag) implements ImapCommand {}

  /** STATUS mailbox (items), items upper-cased. */
  record Status(String tag, String mailbox, List<String> items) implements ImapCommand {}

  /** One message of an APPEND (MULTIAPPEND, RFC 3502, allows several); {@code internalDate} null when absent. */
  record AppendMessage(Set<String> flags, Instant internalDate, byte[] message) {}

  /** APPEND mailbox message... */
  record Append(String tag, String mailbox, List<AppendMessage> messages) implements ImapCommand {}

  /** IDLE (RFC 2177). */
  record Idle(String tag) implements ImapCommand {}

  /** CLOSE. */
  record Close(String tag) implements ImapCommand {}

  /** UNSELECT (RFC 3691). */
  record Unselect(String tag) implements ImapCommand {}

  /** EXPUNGE, or UID EXPUNGE set (UIDPLUS) when {@code uids} is not null. */
  record Expunge(String tag, SequenceSet uids) implements ImapCommand {}

  /**
   * SEARCH or UID SEARCH. {@code returns} is null for a plain SEARCH (answered "* SEARCH" in
   * IMAP4rev1), else the ESEARCH return options (RFC 4731), upper-cased; empty means ALL.
   */
  record Search(String tag, boolean uid, String charset, List<String> returns, SearchKey key) implements ImapCommand {}

  /**
   * FETCH or UID FETCH.
   *
   * @param changedSince CHANGEDSINCE modifier (RFC 7162), or -1
   * @param vanished VANISHED modifier (QRESYNC, UID FETCH only)
   */
  record Fetch(String tag, boolean uid, SequenceSet set, List<FetchAtt> items, long changedSince, boolean vanished)
      implements ImapCommand {}

  /** How STORE combines flags. */
  enum StoreMode { REPLACE, ADD, REMOVE }

  /** STORE or UID STORE; {@code unchangedSince} is -1 when absent. */
  record Store(String tag, boolean uid, SequenceSet set, StoreMode mode, boolean silent, Set<String> flags,
      long unchangedSince) implements ImapCommand {}

  /** COPY or MOVE (RFC 6851), with or without UID. */
  record Copy(String tag, boolean uid, SequenceSet set, String mailbox, boolean move) implements ImapCommand {}

  /** GETQUOTA root (RFC 9208). */
  record GetQuota(String tag, String root) implements ImapCommand {}

  /** GETQUOTAROOT mailbox (RFC 9208). */
  record GetQuotaRoot(String tag, String mailbox) implements ImapCommand {}

  /** SETQUOTA root (...) (RFC 9208): always refused, limits are set by the admin API. */
  record SetQuota(String tag, String root) implements ImapCommand {}

  /** Anything that does not parse: answered {@code tag BAD reason}. */
  record Invalid(String tag, String reason) implements ImapCommand {}
}
