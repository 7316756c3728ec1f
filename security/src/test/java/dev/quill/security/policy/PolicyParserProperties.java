package dev.quill.security.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.security.Sid;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The parser on any input, and the text form's round trip. */
class PolicyParserProperties {

  @Property(tries = 2000)
  void anyText_givesAPolicyOrALineNumberedError(@ForAll String text) {
    checkParsesOrFailsWithALine(text);
  }

  @Property(tries = 3000)
  void tokenSoup_givesAPolicyOrALineNumberedError(@ForAll("soup") String text) {
    checkParsesOrFailsWithALine(text);
  }

  @Property(tries = 1000)
  void policy_roundTripsThroughItsText(@ForAll("policies") Policy policy) throws PolicyException {
    Policy back = PolicyParser.parse(policy.toText());
    assertThat(back).isEqualTo(policy);
    assertThat(back.toText()).isEqualTo(policy.toText());
  }

  private static void checkParsesOrFailsWithALine(String text) {
    try {
      Policy p = PolicyParser.parse(text);
      assertThat(p.version()).isPositive();
      try {
        assertThat(PolicyParser.parse(p.toText())).isEqualTo(p);
      } catch (PolicyException e) {
        throw new AssertionError("normalised text of a parsed policy does not parse: " + e.getMessage(), e);
      }
    } catch (PolicyException e) {
      long lines = text.chars().filter(c -> c == '\n').count() + 1;
      assertThat(e.line()).isBetween(1, (int) lines);
      assertThat(e.getMessage()).startsWith("line " + e.line() + ": ");
    }
  }

  /** Lines made of the format's own tokens (and some near misses), so the fuzzing reaches deep. */
  @Provide
  Arbitrary<String> soup() {
    Arbitrary<String> token = Arbitraries.of("version", "default", "1", "0", "-1", "99999999999999999999", "allow", "deny",
        "audit", "->", "-", ">", "*", "#", "user:*@*", "service:smtp@n1", "*:*@*", "user:a@b@c", "node::@x", "user:@n1",
        "fragment", "profile", "admin", "membership", "read", "store", "expunge", "\t", "\r", "\u0000", "é", "İ", "\uD800");
    Arbitrary<String> line = token.list().ofMaxSize(7).map(ts -> String.join(" ", ts));
    return line.list().ofMaxSize(8).map(ls -> String.join("\n", ls));
  }

  @Provide
  Arbitrary<Policy> policies() {
    Arbitrary<String> part = Arbitraries.strings().withChars("abcz09.-_*@é").ofMinLength(1).ofMaxLength(8);
    Arbitrary<String> node = Arbitraries.strings().withChars("abcn19-*").ofMinLength(1).ofMaxLength(5);
    Arbitrary<Sid.Kind> kind = Arbitraries.of(Sid.Kind.class).injectNull(0.3);
    Arbitrary<SubjectPattern> subject = Combinators.combine(kind, part, node).as(SubjectPattern::new);
    Arbitrary<ObjectType> object = Arbitraries.of(ObjectType.class).injectNull(0.2);
    Arbitrary<Permission> permission = Arbitraries.of(Permission.class).injectNull(0.2);
    Arbitrary<Rule> rule = Combinators.combine(subject, object, permission, Arbitraries.of(Effect.class)).as(Rule::new);
    Arbitrary<List<Rule>> rules = rule.list().ofMaxSize(12);
    return Combinators.combine(Arbitraries.longs().between(1, Long.MAX_VALUE), Arbitraries.of(Effect.class), rules)
        .as(Policy::new);
  }
}
