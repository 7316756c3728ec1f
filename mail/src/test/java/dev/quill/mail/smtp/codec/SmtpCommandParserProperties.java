package dev.quill.mail.smtp.codec;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/** The parser turns any input into some command and never throws. */
class SmtpCommandParserProperties {
  private final SmtpCommandParser parser = new SmtpCommandParser(512);

  @Property(tries = 2000)
  void anyBytes_someCommand(@ForAll @Size(max = 3000) byte[] line) {
    SmtpCommand command = parser.parse(line);
    assertThat(command).isNotNull();
    assertThat(command.verb()).isNotNull();
    if (command instanceof SmtpCommand.Invalid invalid) {
      assertThat(invalid.reply().code()).isBetween(500, 599);
    }
  }

  @Property(tries = 2000)
  void smtpLikeLines_someCommand(@ForAll("smtpLike") String line) {
    SmtpCommand command = parser.parse(line.getBytes(StandardCharsets.UTF_8));
    assertThat(command).isNotNull();
    assertThat(command.verb()).isNotNull();
  }

  @Provide
  Arbitrary<String> smtpLike() {
    Arbitrary<String> verb = Arbitraries.of("MAIL FROM:", "RCPT TO:", "EHLO ", "BDAT ", "AUTH ", "mail from: ",
        "RCPT TO:<Postmaster", "VRFY ", "");
    Arbitrary<String> rest = Arbitraries.strings()
        .withChars("<>@.\"\\[]:, =-+aZ09ü\u0000\r\n\t".toCharArray())
        .ofMaxLength(80);
    return Combinators.combine(verb, rest).as(String::concat);
  }
}
