package dev.quill.mail.smtp.session;

import dev.quill.mail.smtp.codec.SmtpCommand;
import dev.quill.mail.smtp.codec.SmtpReplies;
import dev.quill.mail.smtp.codec.SmtpReply;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The SMTP command table as data, in the manner of Postfix's {@code smtpd_cmd_table}: for each
 * verb, the session states it is allowed in, the reply when it is not, and three flags. The
 * session applies them in one place, in a fixed order, before any command handler runs.
 *
 * <ul>
 *   <li>{@code beforeTls}: allowed before STARTTLS when the listener requires TLS;
 *   <li>{@code junk}: counts against the junk-command limit (commands that move no mail);
 *   <li>{@code endsGroup}: must end a pipelining group (RFC 2920 §3.1), so its reply is sent at
 *       once.
 * </ul>
 */
final class CommandTable {
  private CommandTable() {}

  /** Where a session is in the SMTP dialogue. */
  enum State {
    /** Greeting sent; no EHLO/HELO yet (again after STARTTLS). */
    CONNECTED,
    /** EHLO/HELO done, no mail transaction. */
    READY,
    /** MAIL accepted, no recipient yet. */
    MAIL,
    /** At least one recipient accepted. */
    RCPT
  }

  private static final Set<State> ANY = EnumSet.allOf(State.class);

  /** One row of the table. */
  enum Verb {
    //        allowed in                                       refusal in another state (CONNECTED: SEND_HELO_FIRST)              beforeTls junk   endsGroup
    EHLO(     ANY,                                             Map.of(),                                                              true,  false, true),
    HELO(     ANY,                                             Map.of(),                                                              true,  false, true),
    MAIL(     EnumSet.of(State.READY),                         Map.of(State.MAIL, SmtpReplies.NESTED_MAIL,
                                                                      State.RCPT, SmtpReplies.NESTED_MAIL),                           false, false, false),
    RCPT(     EnumSet.of(State.MAIL, State.RCPT),              Map.of(State.READY, SmtpReplies.NEED_MAIL_BEFORE_RCPT),                false, false, false),
    DATA(     EnumSet.of(State.RCPT),                          Map.of(State.READY, SmtpReplies.NEED_MAIL_BEFORE_DATA,
                                                                      State.MAIL, SmtpReplies.NEED_RCPT_BEFORE_DATA),                 false, false, true),
    BDAT(     EnumSet.of(State.RCPT),                          Map.of(State.READY, SmtpReplies.NEED_MAIL_BEFORE_BDAT,
                                                                      State.MAIL, SmtpReplies.NEED_RCPT_BEFORE_BDAT),                 false, false, false),
    RSET(     ANY,                                             Map.of(),                                                              true,  true,  false),
    NOOP(     ANY,                                             Map.of(),                                                              true,  true,  true),
    QUIT(     ANY,                                             Map.of(),                                                              true,  false, true),
    HELP(     ANY,                                             Map.of(),                                                              true,  true,  false),
    VRFY(     ANY,                                             Map.of(),                                                              false, true,  true),
    EXPN(     ANY,                                             Map.of(),                                                              false, true,  true),
    STARTTLS( EnumSet.of(State.READY, State.MAIL, State.RCPT), Map.of(),                                                              true,  false, true),
    AUTH(     EnumSet.of(State.READY),                         Map.of(State.MAIL, SmtpReplies.AUTH_IN_TRANSACTION,
                                                                      State.RCPT, SmtpReplies.AUTH_IN_TRANSACTION),                   false, false, true);

    final Set<State> allowed;
    final Map<State, SmtpReply> refusals;
    final boolean beforeTls;
    final boolean junk;
    final boolean endsGroup;

    Verb(Set<State> allowed, Map<State, SmtpReply> refusals, boolean beforeTls, boolean junk, boolean endsGroup) {
      this.allowed = allowed;
      this.refusals = refusals;
      this.beforeTls = beforeTls;
      this.junk = junk;
      this.endsGroup = endsGroup;
    }

    /** The reply when this verb arrives in {@code state}, which it is not allowed in. */
    SmtpReply refusal(State state) {
      return state == State.CONNECTED ? SmtpReplies.SEND_HELO_FIRST : refusals.getOrDefault(state, SmtpReplies.SEND_HELO_FIRST);
    }
  }

  /** The row of a parsed command, or null for Unknown, Invalid and NonSmtp lines. */
  static Verb verbOf(SmtpCommand command) {
    return switch (command) {
      case SmtpCommand.Ehlo e -> Verb.EHLO;
      case SmtpCommand.Helo h -> Verb.HELO;
      case SmtpCommand.Mail m -> Verb.MAIL;
      case SmtpCommand.Rcpt r -> Verb.RCPT;
      case SmtpCommand.Data d -> Verb.DATA;
      case SmtpCommand.Bdat b -> Verb.BDAT;
      case SmtpCommand.Rset r -> Verb.RSET;
      case SmtpCommand.Noop n -> Verb.NOOP;
      case SmtpCommand.Quit q -> Verb.QUIT;
      case SmtpCommand.Help h -> Verb.HELP;
      case SmtpCommand.Vrfy v -> Verb.VRFY;
      case SmtpCommand.Expn e -> Verb.EXPN;
      case SmtpCommand.StartTls s -> Verb.STARTTLS;
      case SmtpCommand.Auth a -> Verb.AUTH;
      case SmtpCommand.Unknown u -> null;
      case SmtpCommand.NonSmtp n -> null;
      case SmtpCommand.Invalid i -> null;
    };
  }
}
