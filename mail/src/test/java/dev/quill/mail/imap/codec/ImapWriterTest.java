package dev.quill.mail.imap.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Response formatting: strings by content, mailbox names by mode, flag lists, draining. */
class ImapWriterTest {
  @Test
  void strings_areAtomsQuotedOrLiterals() {
    ImapWriter w = new ImapWriter();
    w.astring("Sent").sp().astring("a b").sp().string("say \"hi\"\\").sp().string("two\r\nlines").sp().nstring(null);
    assertThat(w.takeText()).isEqualTo("Sent \"a b\" \"say \\\"hi\\\"\\\\\" {10}\r\ntwo\r\nlines NIL");
  }

  @Test
  void mailboxNames_utf8OrModifiedUtf7() {
    ImapWriter w = new ImapWriter();
    w.mailbox("Entwürfe", false).sp().mailbox("Entwürfe", true).sp().mailbox("INBOX", false);
    assertThat(w.takeText()).isEqualTo("Entw&APw-rfe \"Entwürfe\" INBOX");
  }

  @Test
  void flags_andBinaryLiteral() {
    ImapWriter w = new ImapWriter();
    w.flags(List.of("\\Seen", "$Label")).sp().literal(new byte[] {1, 0, 2}, 0, 3, true);
    assertThat(w.takeText()).isEqualTo("(\\Seen $Label) ~{3}\r\n\u0001\u0000\u0002");
  }

  @Test
  void largeOutput_isDrainedAsItGrows() throws Exception {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    ImapWriter w = new ImapWriter();
    w.drainTo(sink::write);
    byte[] big = new byte[ImapWriter.DRAIN_AT + 10];
    w.text("* 1 FETCH (BODY[] ").literal(big);
    assertThat(w.size()).isLessThan(ImapWriter.DRAIN_AT);
    w.flushTo(sink::write);
    assertThat(sink.size()).isEqualTo("* 1 FETCH (BODY[] ".length() + ("{" + big.length + "}\r\n").length() + big.length);
  }

  @Property(tries = 500)
  void numbersAndText_areWrittenAsTheirDecimalAndUtf8Forms(@ForAll long n, @ForAll String text) throws Exception {
    ImapWriter w = new ImapWriter();
    w.text("* ").number(n).sp().text(text).number(0).number(Long.MAX_VALUE);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    w.flushTo(sink::write);
    assertThat(sink.toByteArray())
        .isEqualTo(("* " + n + " " + text + "0" + Long.MAX_VALUE).getBytes(StandardCharsets.UTF_8));
  }
}
