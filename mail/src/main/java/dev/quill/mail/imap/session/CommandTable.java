package dev.quill.mail.imap.session;

import dev.quill.mail.imap.codec.ImapCommand;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The IMAP command table as data: for each command, the states it is allowed in (RFC 9051 §6)
 * and whether it may be followed by EXPUNGE responses (§7.5.1: not after FETCH, STORE and SEARCH
 * by sequence number, whose numbers the client may still be using). The session checks both in
 * one place before and after every command.
 */
final class CommandTable {
  private CommandTable() {}

  /** Session states of RFC 9051 §3. */
  enum State { NOT_AUTHENTICATED, AUTHENTICATED, SELECTED, LOGOUT }

  private static final Set<State> ANY = EnumSet.of(State.NOT_AUTHENTICATED, State.AUTHENTICATED, State.SELECTED);
  private static final Set<State> PRE_AUTH = EnumSet.of(State.NOT_AUTHENTICATED);
  private static final Set<State> AUTH = EnumSet.of(State.AUTHENTICATED, State.SELECTED);
  private static final Set<State> SELECTED = EnumSet.of(State.SELECTED);

  private static final Map<Class<? extends ImapCommand>, Set<State>> ALLOWED = Map.ofEntries(
      Map.entry(ImapCommand.Capability.class, ANY),
      Map.entry(ImapCommand.Noop.class, ANY),
      Map.entry(ImapCommand.Logout.class, ANY),
      Map.entry(ImapCommand.Id.class, ANY),
      Map.entry(ImapCommand.StartTls.class, PRE_AUTH),
      Map.entry(ImapCommand.Authenticate.class, PRE_AUTH),
      Map.entry(ImapCommand.Login.class, PRE_AUTH),
      Map.entry(ImapCommand.Enable.class, EnumSet.of(State.AUTHENTICATED)),
      Map.entry(ImapCommand.Select.class, AUTH),
      Map.entry(ImapCommand.Create.class, AUTH),
      Map.entry(ImapCommand.Delete.class, AUTH),
      Map.entry(ImapCommand.Rename.class, AUTH),
      Map.entry(ImapCommand.Subscribe.class, AUTH),
      Map.entry(ImapCommand.ListMailboxes.class, AUTH),
      Map.entry(ImapCommand.Namespace.class, AUTH),
      Map.entry(ImapCommand.Status.class, AUTH),
      Map.entry(ImapCommand.Append.class, AUTH),
      Map.entry(ImapCommand.Idle.class, AUTH),
      Map.entry(ImapCommand.GetQuota.class, AUTH),
      Map.entry(ImapCommand.GetQuotaRoot.class, AUTH),
      Map.entry(ImapCommand.SetQuota.class, AUTH),
      Map.entry(ImapCommand.Check.class, SELECTED),
      Map.entry(ImapCommand.Close.class, SELECTED),
      Map.entry(ImapCommand.Unselect.class, SELECTED),
      Map.entry(ImapCommand.Expunge.class, SELECTED),
      Map.entry(ImapCommand.Search.class, SELECTED),
      Map.entry(ImapCommand.Fetch.class, SELECTED),
      Map.entry(ImapCommand.Store.class, SELECTED),
      Map.entry(ImapCommand.Copy.class, SELECTED),
      Map.entry(ImapCommand.Invalid.class, ANY));

  /** Whether {@code command} may run in {@code state}. */
  static boolean allowed(ImapCommand command, State state) {
    return ALLOWED.getOrDefault(command.getClass(), Set.of()).contains(state);
  }

  /** Whether EXPUNGE responses may follow {@code command} (RFC 9051 §7.5.1). */
  static boolean expungeAllowedAfter(ImapCommand command) {
    return switch (command) {
      case ImapCommand.Fetch f -> f.uid();
      case ImapCommand.Store s -> s.uid();
      case ImapCommand.Search s -> s.uid();
      default -> true;
    };
  }
}
