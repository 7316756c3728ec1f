package dev.quill.mail.imap.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Any sequence of command lines: every tagged command gets exactly one tagged completion, and nothing throws. */
class ImapSessionPropertyTest {

  @Property(tries = 300)
  void everyTaggedCommand_getsExactlyOneCompletion(@ForAll("commands") List<String> commands) {
    FakeImapBackend backend = new FakeImapBackend().user("alice@example.org", "secret");
    backend.deliver("alice@example.org", "INBOX", "Subject: a\r\n\r\nbody\r\n");
    backend.deliver("alice@example.org", "INBOX", "Subject: b\r\n\r\nmore\r\n");
    SessionDriver d = new SessionDriver(backend, new RecentTracker(), java.net.InetAddress.getLoopbackAddress(), false, 1000);
    d.greeting();
    int n = 0;
    for (String command : commands) {
      String tag = "t" + n++;
      String out = d.send(tag + " " + command);
      if (d.last == ImapSession.Outcome.SASL) {
        d.session.saslResponse("*", d.out);
        out += d.out.takeText();
      } else if (d.last == ImapSession.Outcome.IDLE) {
        d.session.idleDone("DONE", d.out);
        out += d.out.takeText();
      }
      long completions = out.lines().filter(l -> l.startsWith(tag + " OK") || l.startsWith(tag + " NO")
          || l.startsWith(tag + " BAD")).count();
      assertThat(completions).as("completions of %s %s in %s", tag, command, out).isEqualTo(1);
      if (d.last == ImapSession.Outcome.CLOSE) {
        return;
      }
    }
  }

  @Provide
  Arbitrary<List<String>> commands() {
    Arbitrary<String> known = Arbitraries.of("CAPABILITY", "NOOP", "LOGIN alice@example.org secret", "LOGIN x y",
        "SELECT INBOX", "EXAMINE INBOX", "SELECT Nope", "CREATE Box", "DELETE Box", "RENAME Box Box2", "LIST \"\" *",
        "LSUB \"\" *", "STATUS INBOX (MESSAGES UNSEEN RECENT)", "FETCH 1:* (FLAGS UID)", "FETCH 1 BODY[]",
        "UID FETCH 1:* (BODY.PEEK[HEADER] MODSEQ)", "STORE 1 +FLAGS (\\Deleted)", "UID STORE 2 -FLAGS (\\Seen)",
        "SEARCH ALL", "UID SEARCH RETURN (COUNT) UNSEEN", "EXPUNGE", "UID EXPUNGE 1", "COPY 1 Box", "MOVE 1:* Box",
        "CLOSE", "UNSELECT", "IDLE", "ENABLE QRESYNC", "ENABLE IMAP4rev2", "AUTHENTICATE PLAIN", "APPEND INBOX {3+}\r\nabc",
        "GETQUOTAROOT INBOX", "NAMESPACE", "ID NIL", "FETCH 99 FLAGS", "STARTTLS", "FROB", "", "SEARCH (OR", "CHECK");
    return known.list().ofMaxSize(25);
  }
}
