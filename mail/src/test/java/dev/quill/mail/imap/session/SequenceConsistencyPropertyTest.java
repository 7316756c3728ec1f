package dev.quill.mail.imap.session;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Message sequence numbers as a client tracks them (RFC 9051 §2.3.1.2): with another session of
 * the same user delivering and expunging at random between this session's commands, every
 * number this session uses must name the UID the client believes it names, EXPUNGE must never
 * come during FETCH, STORE or SEARCH by number, and after a NOOP the client's list equals the
 * mailbox.
 */
class SequenceConsistencyPropertyTest {
  private static final String ALICE = "alice@example.org";
  private static final Pattern EXISTS = Pattern.compile("^\\* (\\d+) EXISTS$");
  private static final Pattern EXPUNGE = Pattern.compile("^\\* (\\d+) EXPUNGE$");
  private static final Pattern FETCH_UID = Pattern.compile("^\\* (\\d+) FETCH \\(UID (\\d+)");

  @Property(tries = 200)
  void clientViewStaysConsistent(@ForAll("steps") List<String> steps) {
    FakeImapBackend backend = new FakeImapBackend().user(ALICE, "secret");
    for (int i = 0; i < 4; i++) {
      backend.deliver(ALICE, "INBOX", "Subject: " + i + "\r\n\r\nx\r\n");
    }
    SessionDriver a = new SessionDriver(backend, new RecentTracker()).login();
    SessionDriver b = new SessionDriver(backend, new RecentTracker()).login();
    a.send("s SELECT INBOX");
    b.send("s SELECT INBOX");
    List<Long> model = new ArrayList<>(backend.messages(ALICE, "INBOX").stream().map(m -> m.uid()).toList());
    int n = 0;
    for (String step : steps) {
      String tag = "t" + n++;
      switch (step) {
        case "deliver" -> backend.deliver(ALICE, "INBOX", "Subject: new\r\n\r\ny\r\n");
        case "expungeFirst", "expungeLast" -> {
          List<Long> uids = backend.messages(ALICE, "INBOX").stream().map(m -> m.uid()).toList();
          if (!uids.isEmpty()) {
            long uid = step.equals("expungeFirst") ? uids.get(0) : uids.get(uids.size() - 1);
            b.send(tag + "a UID STORE " + uid + " +FLAGS.SILENT (\\Deleted)");
            b.send(tag + "b UID EXPUNGE " + uid);
          }
        }
        default -> {
          String out = a.send(tag + " " + step);
          boolean numbered = step.startsWith("FETCH") || step.startsWith("STORE") || step.startsWith("SEARCH");
          for (String line : out.split("\r\n")) {
            Matcher m;
            if ((m = EXPUNGE.matcher(line)).find()) {
              assertThat(numbered).as("EXPUNGE during %s", step).isFalse();
              model.remove(Integer.parseInt(m.group(1)) - 1);
            } else if ((m = EXISTS.matcher(line)).find()) {
              int exists = Integer.parseInt(m.group(1));
              assertThat(exists).isGreaterThanOrEqualTo(model.size());
              while (model.size() < exists) {
                model.add(null);
              }
            } else if ((m = FETCH_UID.matcher(line)).find()) {
              int seq = Integer.parseInt(m.group(1));
              long uid = Long.parseLong(m.group(2));
              assertThat(seq).isBetween(1, model.size());
              if (model.get(seq - 1) == null) {
                model.set(seq - 1, uid);
              }
              assertThat(model.get(seq - 1)).as("UID of message %d after %s", seq, step).isEqualTo(uid);
            }
          }
          assertThat(out).contains(tag + " ");
        }
      }
    }
    a.send("z1 NOOP").lines().forEach(line -> {
      Matcher m = EXPUNGE.matcher(line);
      if (m.find()) {
        model.remove(Integer.parseInt(m.group(1)) - 1);
      }
      Matcher e = EXISTS.matcher(line);
      if (e.find()) {
        while (model.size() < Integer.parseInt(e.group(1))) {
          model.add(null);
        }
      }
    });
    for (String line : a.send("z2 FETCH 1:* (UID)").split("\r\n")) {
      Matcher m = FETCH_UID.matcher(line);
      if (m.find()) {
        int seq = Integer.parseInt(m.group(1));
        if (model.get(seq - 1) == null) {
          model.set(seq - 1, Long.parseLong(m.group(2)));
        }
      }
    }
    assertThat(model).isEqualTo(backend.messages(ALICE, "INBOX").stream().map(m -> m.uid()).toList());
  }

  @Provide
  Arbitrary<List<String>> steps() {
    return Arbitraries.of("deliver", "expungeFirst", "expungeLast", "NOOP", "FETCH 1:* (UID)", "UID FETCH 1:* (FLAGS)",
        "SEARCH ALL", "UID SEARCH ALL", "STORE 1:* +FLAGS (\\Seen)", "UID STORE 1:* -FLAGS (\\Seen)", "CHECK")
        .list().ofMaxSize(30);
  }
}
