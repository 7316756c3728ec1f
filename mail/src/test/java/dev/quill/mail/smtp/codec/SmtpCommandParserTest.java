package dev.quill.mail.smtp.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.quill.mail.net.LineReader;
import dev.quill.mail.smtp.codec.SmtpCommand.Invalid;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Golden cases: one command line in, the exact command record out. */
class SmtpCommandParserTest {
  private final SmtpCommandParser parser = new SmtpCommandParser(512);

  private SmtpCommand parse(String line) {
    return parser.parse(line.getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, String> params(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  static Stream<Arguments> golden() {
    return Stream.of(
        // greeting
        arguments("EHLO client.example", new SmtpCommand.Ehlo("client.example")),
        arguments("ehlo [192.0.2.1]", new SmtpCommand.Ehlo("[192.0.2.1]")),
        arguments("HELO client.example  ", new SmtpCommand.Helo("client.example")),
        arguments("EHLO", new Invalid("EHLO", SmtpReplies.SYNTAX_EHLO)),
        arguments("HELO ", new Invalid("HELO", SmtpReplies.SYNTAX_HELO)),
        // MAIL: paths
        arguments("MAIL FROM:<a@b.example>", new SmtpCommand.Mail(new Mailbox("a", "b.example"), Map.of())),
        arguments("mail from:<a@b.example>", new SmtpCommand.Mail(new Mailbox("a", "b.example"), Map.of())),
        arguments("MAIL FROM: <a@b.example>", new SmtpCommand.Mail(new Mailbox("a", "b.example"), Map.of())),
        arguments("MAIL FROM:<>", new SmtpCommand.Mail(null, Map.of())),
        arguments("MAIL FROM:<@relay1.example,@relay2.example:a@b.example>",
            new SmtpCommand.Mail(new Mailbox("a", "b.example"), Map.of())),
        arguments("MAIL FROM:<\"john.doe\"@b.example>", new SmtpCommand.Mail(new Mailbox("john.doe", "b.example"), Map.of())),
        arguments("MAIL FROM:<\"john doe\"@b.example>",
            new SmtpCommand.Mail(new Mailbox("\"john doe\"", "b.example"), Map.of())),
        arguments("MAIL FROM:<\"a\\\"b\"@b.example>", new SmtpCommand.Mail(new Mailbox("\"a\\\"b\"", "b.example"), Map.of())),
        arguments("MAIL FROM:<a@[192.0.2.1]>", new SmtpCommand.Mail(new Mailbox("a", "[192.0.2.1]"), Map.of())),
        arguments("MAIL FROM:<a@[IPv6:2001:db8::1]>", new SmtpCommand.Mail(new Mailbox("a", "[IPv6:2001:db8::1]"), Map.of())),
        arguments("MAIL FROM:<first.last+tag@sub.b.example>",
            new SmtpCommand.Mail(new Mailbox("first.last+tag", "sub.b.example"), Map.of())),
        arguments("MAIL FROM:<jürgen@bücher.example> SMTPUTF8",
            new SmtpCommand.Mail(new Mailbox("jürgen", "bücher.example"), params("SMTPUTF8", null))),
        // MAIL: parameters
        arguments("MAIL FROM:<a@b.example> SIZE=1000 BODY=8BITMIME",
            new SmtpCommand.Mail(new Mailbox("a", "b.example"), params("SIZE", "1000", "BODY", "8BITMIME"))),
        arguments("MAIL FROM:<a@b.example>  size=10", new SmtpCommand.Mail(new Mailbox("a", "b.example"), params("SIZE", "10"))),
        arguments("MAIL FROM:<a@b.example> SIZE=1 SIZE=2", new Invalid("MAIL", SmtpReplies.DUPLICATE_PARAMETER)),
        arguments("MAIL FROM:<a@b.example> SMTPUTF8 SMTPUTF8", new Invalid("MAIL", SmtpReplies.DUPLICATE_PARAMETER)),
        arguments("MAIL FROM:<a@b.example> SIZE=", new Invalid("MAIL", SmtpReplies.BAD_PARAMETER)),
        arguments("MAIL FROM:<a@b.example> -X=1", new Invalid("MAIL", SmtpReplies.BAD_PARAMETER)),
        arguments("MAIL FROM:<a@b.example>SIZE=1", new Invalid("MAIL", SmtpReplies.BAD_PARAMETER)),
        // MAIL: errors
        arguments("MAIL", new Invalid("MAIL", SmtpReplies.SYNTAX_MAIL)),
        arguments("MAIL TO:<a@b.example>", new Invalid("MAIL", SmtpReplies.SYNTAX_MAIL)),
        arguments("MAIL FROM:a@b.example", new Invalid("MAIL", SmtpReplies.SYNTAX_MAIL)),
        arguments("MAIL FROM:<a@b.example", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<a>", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<@b.example>", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<a..b@b.example>", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<a@-b.example>", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<a@b..example>", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<a@[300.1.1.1]>", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<a b@b.example>", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<\"unterminated@b.example>", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<" + "l".repeat(65) + "@b.example>", new Invalid("MAIL", SmtpReplies.BAD_SENDER_SYNTAX)),
        arguments("MAIL FROM:<" + "l".repeat(64) + "@b.example>",
            new SmtpCommand.Mail(new Mailbox("l".repeat(64), "b.example"), Map.of())),
        // RCPT
        arguments("RCPT TO:<u@local.example>", new SmtpCommand.Rcpt(new Mailbox("u", "local.example"), Map.of())),
        arguments("RCPT TO:<Postmaster>", new SmtpCommand.Rcpt(new Mailbox("postmaster", ""), Map.of())),
        arguments("rcpt to:<postmaster>", new SmtpCommand.Rcpt(new Mailbox("postmaster", ""), Map.of())),
        arguments("RCPT TO:<u@local.example> NOTIFY=NEVER",
            new SmtpCommand.Rcpt(new Mailbox("u", "local.example"), params("NOTIFY", "NEVER"))),
        arguments("RCPT TO:<>", new Invalid("RCPT", SmtpReplies.BAD_RECIPIENT_SYNTAX)),
        arguments("RCPT TO:u@local.example", new Invalid("RCPT", SmtpReplies.SYNTAX_RCPT)),
        arguments("RCPT FROM:<u@local.example>", new Invalid("RCPT", SmtpReplies.SYNTAX_RCPT)),
        arguments("RCPT TO:<u@local.example", new Invalid("RCPT", SmtpReplies.BAD_RECIPIENT_SYNTAX)),
        // argument-less commands
        arguments("DATA", new SmtpCommand.Data()),
        arguments("DATA now", new Invalid("DATA", SmtpReplies.NO_PARAMETERS_ALLOWED)),
        arguments("RSET", new SmtpCommand.Rset()),
        arguments("QUIT", new SmtpCommand.Quit()),
        arguments("NOOP anything goes", new SmtpCommand.Noop()),
        arguments("STARTTLS", new SmtpCommand.StartTls()),
        arguments("STARTTLS now", new Invalid("STARTTLS", SmtpReplies.NO_PARAMETERS_ALLOWED)),
        arguments("HELP", new SmtpCommand.Help("")),
        arguments("HELP MAIL", new SmtpCommand.Help("MAIL")),
        arguments("VRFY someone", new SmtpCommand.Vrfy("someone")),
        arguments("VRFY", new Invalid("VRFY", SmtpReplies.SYNTAX_VRFY)),
        arguments("EXPN list", new SmtpCommand.Expn("list")),
        // BDAT
        arguments("BDAT 100", new SmtpCommand.Bdat(100, false)),
        arguments("BDAT 0 LAST", new SmtpCommand.Bdat(0, true)),
        arguments("bdat 5 last", new SmtpCommand.Bdat(5, true)),
        arguments("BDAT 99999999999999999999999", new SmtpCommand.Bdat(Long.MAX_VALUE, false)),
        arguments("BDAT", new Invalid("BDAT", SmtpReplies.SYNTAX_BDAT)),
        arguments("BDAT -1", new Invalid("BDAT", SmtpReplies.SYNTAX_BDAT)),
        arguments("BDAT 10 FIRST", new Invalid("BDAT", SmtpReplies.SYNTAX_BDAT)),
        arguments("BDAT 10 LAST more", new Invalid("BDAT", SmtpReplies.SYNTAX_BDAT)),
        // AUTH
        arguments("AUTH PLAIN", new SmtpCommand.Auth("PLAIN", null)),
        arguments("auth plain AGEAYg==", new SmtpCommand.Auth("PLAIN", "AGEAYg==")),
        arguments("AUTH LOGIN =", new SmtpCommand.Auth("LOGIN", "=")),
        arguments("AUTH", new Invalid("AUTH", SmtpReplies.SYNTAX_AUTH)),
        arguments("AUTH PL@IN", new Invalid("AUTH", SmtpReplies.SYNTAX_AUTH)),
        // unknown and hostile
        arguments("XYZZY", new SmtpCommand.Unknown("XYZZY")),
        arguments("", new Invalid("", SmtpReplies.EMPTY_COMMAND)),
        arguments("   ", new Invalid("", SmtpReplies.EMPTY_COMMAND)),
        arguments("GET / HTTP/1.1", new SmtpCommand.NonSmtp("GET / HTTP/1.1")),
        arguments("POST /submit HTTP/1.0", new SmtpCommand.NonSmtp("POST /submit HTTP/1.0")),
        arguments("CONNECT mx.example:25 HTTP/1.1", new SmtpCommand.NonSmtp("CONNECT mx.example:25 HTTP/1.1")),
        arguments("Host: mx.example", new SmtpCommand.NonSmtp("Host: mx.example")),
        arguments("User-Agent: curl/8", new SmtpCommand.NonSmtp("User-Agent: curl/8")));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("golden")
  void parse_goldenLine_expectedCommand(String line, SmtpCommand expected) {
    assertThat(parse(line)).isEqualTo(expected);
  }

  @Test
  void parse_nulByte_rejected() {
    assertThat(parser.parse(new byte[] {'N', 'O', 0, 'P'})).isEqualTo(new Invalid("", SmtpReplies.NUL_CHARACTER));
  }

  @Test
  void parse_bareCrInsideLine_rejected() {
    assertThat(parse("NOOP\rRSET")).isEqualTo(new Invalid("", SmtpReplies.BARE_CR));
  }

  @Test
  void parse_invalidUtf8_rejected() {
    byte[] line = {'M', 'A', 'I', 'L', ' ', (byte) 0xC3, (byte) 0x28};
    assertThat(parser.parse(line)).isEqualTo(new Invalid("", SmtpReplies.BAD_UTF8));
  }

  @Test
  void parse_commandOver512Octets_lineTooLong() {
    String line = "MAIL FROM:<a@b.example> X=" + "v".repeat(500);
    assertThat(parse(line)).isEqualTo(new Invalid("MAIL", SmtpReplies.LINE_TOO_LONG));
  }

  @Test
  void parse_commandOf510Octets_accepted() {
    String line = "NOOP " + "x".repeat(505);
    assertThat(line).hasSize(510);
    assertThat(parse(line)).isEqualTo(new SmtpCommand.Noop());
  }

  @Test
  void parse_longAuthLine_allowedUpToAuthLimit() {
    String response = "A".repeat(2000);
    assertThat(parse("AUTH PLAIN " + response)).isEqualTo(new SmtpCommand.Auth("PLAIN", response));
  }

  @Test
  void parse_pathOver256Octets_rejected() {
    String domain = ("d".repeat(60) + ".").repeat(4) + "example"; // 251 octets
    assertThat(parse("RCPT TO:<abcdef@" + domain + ">")).isEqualTo(new Invalid("RCPT", SmtpReplies.BAD_RECIPIENT_SYNTAX));
    assertThat(parse("RCPT TO:<a@" + domain + ">")).isInstanceOf(SmtpCommand.Rcpt.class);
  }

  @Test
  void parse_framedLineTooLong_lineTooLong() {
    var line = new LineReader.Line(new byte[0], 5000, true, false);
    assertThat(parser.parse(line)).isEqualTo(new Invalid("", SmtpReplies.LINE_TOO_LONG));
  }

  @Test
  void parse_framedBareLf_bareLf() {
    var line = new LineReader.Line("NOOP".getBytes(StandardCharsets.US_ASCII), 4, false, true);
    assertThat(parser.parse(line)).isEqualTo(new Invalid("", SmtpReplies.BARE_LF));
  }

  @Test
  void mailbox_nonAscii_needsSmtpUtf8() {
    assertThat(new Mailbox("jürgen", "example.org").isAscii()).isFalse();
    assertThat(new Mailbox("juergen", "example.org").isAscii()).isTrue();
  }
}
