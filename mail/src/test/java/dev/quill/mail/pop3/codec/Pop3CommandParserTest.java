package dev.quill.mail.pop3.codec;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Pop3CommandParserTest {

  @Test
  void keywords_caseInsensitive() {
    assertThat(Pop3CommandParser.parse("stat")).isEqualTo(new Pop3Command.Stat());
    assertThat(Pop3CommandParser.parse("Retr 3")).isEqualTo(new Pop3Command.Retr(3));
    assertThat(Pop3CommandParser.parse("quit")).isEqualTo(new Pop3Command.Quit());
  }

  @Test
  void list_withAndWithoutArgument() {
    assertThat(Pop3CommandParser.parse("LIST")).isEqualTo(new Pop3Command.List(0));
    assertThat(Pop3CommandParser.parse("LIST 12")).isEqualTo(new Pop3Command.List(12));
    assertThat(((Pop3Command.List) Pop3CommandParser.parse("LIST")).single()).isFalse();
    assertThat(Pop3CommandParser.parse("UIDL 2")).isEqualTo(new Pop3Command.Uidl(2));
  }

  @Test
  void top_takesMessageAndLineCount() {
    assertThat(Pop3CommandParser.parse("TOP 1 0")).isEqualTo(new Pop3Command.Top(1, 0));
    assertThat(Pop3CommandParser.parse("TOP 1")).isInstanceOf(Pop3Command.Invalid.class);
    assertThat(Pop3CommandParser.parse("TOP 1 -2")).isInstanceOf(Pop3Command.Invalid.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"RETR", "RETR x", "RETR 0", "RETR -1", "RETR +1", "RETR 1 2", "DELE 0x1", "LIST a", "STAT 1",
      "NOOP now", "USER", "USER a b", "PASS", "AUTH PLAIN a b"})
  void badArguments_invalid(String line) {
    assertThat(Pop3CommandParser.parse(line)).isInstanceOf(Pop3Command.Invalid.class);
  }

  @Test
  void hugeMessageNumber_saturatesInsteadOfOverflowing() {
    assertThat(Pop3CommandParser.parse("RETR 99999999999999999999")).isEqualTo(new Pop3Command.Retr(Integer.MAX_VALUE));
    assertThat(Pop3CommandParser.parse("RETR 4294967297")).isEqualTo(new Pop3Command.Retr(Integer.MAX_VALUE));
  }

  @Test
  void pass_keepsSpacesInPassword() {
    Pop3Command command = Pop3CommandParser.parse("PASS  my secret ");
    assertThat(command).isInstanceOf(Pop3Command.Pass.class);
    assertThat(new String(((Pop3Command.Pass) command).password())).isEqualTo(" my secret ");
    assertThat(command.toString()).doesNotContain("secret");
  }

  @Test
  void auth_mechanismAndInitialResponse() {
    assertThat(Pop3CommandParser.parse("AUTH")).isEqualTo(new Pop3Command.Auth(null, null));
    assertThat(Pop3CommandParser.parse("auth plain")).isEqualTo(new Pop3Command.Auth("PLAIN", null));
    assertThat(Pop3CommandParser.parse("AUTH PLAIN AGFAYg==")).isEqualTo(new Pop3Command.Auth("PLAIN", "AGFAYg=="));
    assertThat(Pop3CommandParser.parse("AUTH PLAIN AGFAYg==").toString()).doesNotContain("AGFAYg");
  }

  @Test
  void trailingAndRepeatedSpaces_tolerated() {
    assertThat(Pop3CommandParser.parse("RETR  5 ")).isEqualTo(new Pop3Command.Retr(5));
    assertThat(Pop3CommandParser.parse("STAT ")).isEqualTo(new Pop3Command.Stat());
  }

  @Test
  void apopAndUnknownKeywords_unknown() {
    assertThat(Pop3CommandParser.parse("APOP mrose c4c9334bac560ecc979e58001b3e22fb"))
        .isEqualTo(new Pop3Command.Unknown("APOP"));
    assertThat(Pop3CommandParser.parse("GET / HTTP/1.1")).isEqualTo(new Pop3Command.Unknown("GET"));
    assertThat(((Pop3Command.Unknown) Pop3CommandParser.parse("X".repeat(300))).verb()).hasSize(8);
  }

  @Test
  void emptyLineOrControlCharacters_invalid() {
    assertThat(Pop3CommandParser.parse("")).isInstanceOf(Pop3Command.Invalid.class);
    assertThat(Pop3CommandParser.parse(" STAT")).isInstanceOf(Pop3Command.Invalid.class);
    assertThat(Pop3CommandParser.parse("USER a\0b")).isInstanceOf(Pop3Command.Invalid.class);
    assertThat(Pop3CommandParser.parse("STAT\r")).isInstanceOf(Pop3Command.Invalid.class);
  }

  @Test
  void tooLong_namesLengthAndLimit() {
    assertThat(Pop3CommandParser.tooLong(900, 512))
        .isEqualTo(new Pop3Command.Invalid("", "line too long (900 octets, limit 512)"));
  }

  @Test
  void invalidReason_neverEchoesInput() {
    Pop3Command command = Pop3CommandParser.parse("RETR <script>");
    assertThat(((Pop3Command.Invalid) command).reason()).doesNotContain("script");
  }

  @Property(tries = 2000)
  void anyBytes_parseToACommandWithoutThrowing(@ForAll byte[] line) {
    assertThat(Pop3CommandParser.parse(line)).isNotNull();
  }

  @Property(tries = 2000)
  void commandLikeLines_parseToACommandWithoutThrowing(@ForAll("commandLike") String line) {
    Pop3Command command = Pop3CommandParser.parse(line);
    assertThat(command).isNotNull();
    assertThat(command.verb()).isNotNull();
  }

  @Provide
  Arbitrary<String> commandLike() {
    Arbitrary<String> verb = Arbitraries.of("USER", "PASS", "AUTH", "CAPA", "STLS", "STAT", "LIST", "RETR", "TOP",
        "DELE", "UIDL", "RSET", "NOOP", "QUIT", "APOP", "list", "ToP", "");
    Arbitrary<String> arg = Arbitraries.oneOf(
        Arbitraries.integers().between(-3, 1000).map(String::valueOf),
        Arbitraries.strings().ofMaxLength(12),
        Arbitraries.of("PLAIN", "*", "=", "99999999999999999999", " ", ""));
    return Arbitraries.oneOf(
        verb,
        net.jqwik.api.Combinators.combine(verb, arg).as((v, a) -> v + " " + a),
        net.jqwik.api.Combinators.combine(verb, arg, arg).as((v, a, b) -> v + " " + a + " " + b));
  }
}
