package dev.quill.mail.imap.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** Modified UTF-7 mailbox names (RFC 3501 §5.1.3). */
class ModifiedUtf7Test {

  @Test
  void rfcExamples() {
    assertThat(ModifiedUtf7.encode("~peter/mail/台北/日本語")).isEqualTo("~peter/mail/&U,BTFw-/&ZeVnLIqe-");
    assertThat(ModifiedUtf7.decode("~peter/mail/&U,BTFw-/&ZeVnLIqe-")).contains("~peter/mail/台北/日本語");
    assertThat(ModifiedUtf7.encode("Tom & Jerry")).isEqualTo("Tom &- Jerry");
    assertThat(ModifiedUtf7.decode("Tom &- Jerry")).contains("Tom & Jerry");
    assertThat(ModifiedUtf7.encode("Entwürfe")).isEqualTo("Entw&APw-rfe");
  }

  @Test
  void invalidInputIsRefused() {
    assertThat(ModifiedUtf7.decode("&Jjo!")).isEmpty(); // unterminated
    assertThat(ModifiedUtf7.decode("&U,BTFw")).isEmpty(); // no "-"
    assertThat(ModifiedUtf7.decode("&AGE-")).isEqualTo(Optional.empty()); // "a" must not be encoded
    assertThat(ModifiedUtf7.decode("&*-")).isEmpty(); // not base64
    assertThat(ModifiedUtf7.decode("Entwürfe")).isEmpty(); // 8-bit is not modified UTF-7
  }

  @Property(tries = 3000)
  void roundTrip(@ForAll String name) {
    String encoded = ModifiedUtf7.encode(name);
    assertThat(encoded.chars()).allMatch(c -> c >= 0x20 && c <= 0x7e);
    assertThat(ModifiedUtf7.decode(encoded)).contains(name);
  }
}
