package dev.quill.security.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.quill.security.Sid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PolicyParserTest {
  static final String EXAMPLE = """
      # Quill cluster policy
      version 3
      service:smtp@*      fragment   store     -> allow
      service:*@*         profile    read      -> allow
      user:*@*            fragment   expunge   -> audit
      extension:*@*       *          *         -> deny
      *                   admin      *         -> deny
      """;

  @Test
  void example_parses() throws Exception {
    Policy p = PolicyParser.parse(EXAMPLE);
    assertThat(p.version()).isEqualTo(3);
    assertThat(p.defaultEffect()).as("deny when no default line").isEqualTo(Effect.DENY);
    assertThat(p.rules()).hasSize(5);
    assertThat(p.rules().get(0)).isEqualTo(new Rule(new SubjectPattern(Sid.Kind.SERVICE, "smtp", "*"),
        ObjectType.FRAGMENT, Permission.STORE, Effect.ALLOW));
    assertThat(p.rules().get(4)).isEqualTo(new Rule(SubjectPattern.ANY, ObjectType.ADMIN, null, Effect.DENY));
  }

  @Test
  void normalisedText_isAlignedAndParsesBack() throws Exception {
    Policy p = PolicyParser.parse(EXAMPLE.replace("version 3", "VERSION 3\nDefault Allow").replace("-> allow", "->  ALLOW"));
    String text = p.toText();
    assertThat(text).startsWith("version 3\ndefault allow\nservice:smtp@* fragment store   -> allow\n");
    assertThat(PolicyParser.parse(text)).isEqualTo(p);
  }

  @Test
  void crlfTabsAndTrailingComments_areAccepted() throws Exception {
    Policy p = PolicyParser.parse("version 7\r\n\tuser:*@example.com@n1\tprofile\tread\t->\tallow # mine\r\n");
    assertThat(p.rules()).containsExactly(new Rule(new SubjectPattern(Sid.Kind.USER, "*@example.com", "n1"),
        ObjectType.PROFILE, Permission.READ, Effect.ALLOW));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      no version                | user:*@* fragment read -> allow                   | 1 | a rule before the version line
      empty text                | ''                                                | 1 | no version line
      only comments             | '# a\\n# b\\n'                                    | 3 | no version line
      version twice             | version 1\\nversion 2                             | 2 | a second version line
      version not a number      | version three                                     | 1 | version 'three' is not a whole number
      version zero              | version 0                                         | 1 | version 0 is less than 1
      version without a number  | version                                           | 1 | expected 'version N'
      default twice             | version 1\\ndefault deny\\ndefault allow          | 3 | a second default line
      default unknown           | version 1\\ndefault maybe                         | 2 | expected 'default allow'
      default after rules       | version 1\\n* * * -> allow\\ndefault deny         | 3 | the default line must come before the rules
      version after rules       | version 1\\n* * * -> allow\\nversion 2            | 3 | a second version line
      too few fields            | version 1\\n\\nuser:*@* fragment -> allow         | 3 | got 4 field(s)
      arrow missing             | version 1\\nuser:*@* fragment read => allow       | 2 | '=>' where '->' belongs
      unknown object            | version 1\\nuser:*@* mailbox read -> allow        | 2 | unknown object type 'mailbox'
      unknown permission        | version 1\\nuser:*@* fragment steal -> allow      | 2 | unknown permission 'steal'
      unknown decision          | version 1\\nuser:*@* fragment read -> maybe       | 2 | unknown decision 'maybe'
      unknown kind              | version 1\\nrobot:*@* fragment read -> allow      | 2 | unknown principal kind 'robot'
      subject without node      | version 1\\nuser:alice fragment read -> allow     | 2 | is not '*' or kind:name@node
      subject with colon        | version 1\\nuser:a:b@n1 fragment read -> allow    | 2 | character ':' not allowed in the name
      """)
  void errors_nameTheLineAndTheProblem(String what, String text, int line, String message) {
    String policy = text.replace("\\n", "\n");
    assertThatThrownBy(() -> PolicyParser.parse(policy)).isInstanceOfSatisfying(PolicyException.class, e -> {
      assertThat(e.line()).isEqualTo(line);
      assertThat(e.getMessage()).startsWith("line " + line + ": ").contains(message);
    });
  }

  @Test
  void oversizedInput_isRefusedWithTheLimits() {
    String longLine = "version 1\n" + "x".repeat(PolicyParser.MAX_LINE + 1);
    assertThatThrownBy(() -> PolicyParser.parse(longLine)).isInstanceOf(PolicyException.class)
        .hasMessage("line 2: line is 4097 characters, more than the maximum 4096");
    String tooMany = "version 1\n" + "* * * -> allow\n".repeat(PolicyParser.MAX_RULES + 1);
    assertThatThrownBy(() -> PolicyParser.parse(tooMany)).isInstanceOf(PolicyException.class)
        .hasMessage("line " + (PolicyParser.MAX_RULES + 2) + ": more than the maximum 10000 rules");
    assertThatThrownBy(() -> PolicyParser.parse(null)).isInstanceOf(PolicyException.class);
  }
}
