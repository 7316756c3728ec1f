package dev.quill.security.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.security.Sid;
import org.junit.jupiter.api.Test;

class PolicyMatchingTest {
  private static Decision decide(String policy, String sid, ObjectType o, Permission p) throws PolicyException {
    return PolicyParser.parse(policy).evaluate(Sid.parse(sid), o, p);
  }

  @Test
  void firstMatchWins_evenOverAMoreSpecificLaterRule() throws Exception {
    String denyFirst = "version 1\nuser:*@* fragment * -> deny\nuser:alice@n1 fragment read -> allow\n";
    Decision d = decide(denyFirst, "user:alice@n1", ObjectType.FRAGMENT, Permission.READ);
    assertThat(d).isInstanceOf(Decision.Deny.class);
    assertThat(d.rule()).isEqualTo(1);
    assertThat(d.reason()).isEqualTo("policy 1 rule 1: user:*@* fragment * -> deny");

    String allowFirst = "version 1\nuser:alice@n1 fragment read -> allow\nuser:*@* fragment * -> deny\n";
    assertThat(decide(allowFirst, "user:alice@n1", ObjectType.FRAGMENT, Permission.READ).allowed()).isTrue();
    assertThat(decide(allowFirst, "user:bob@n1", ObjectType.FRAGMENT, Permission.READ).rule()).isEqualTo(2);
  }

  @Test
  void noMatch_takesTheDefault_denyUnlessSaid() throws Exception {
    Decision d = decide("version 4\nservice:smtp@* fragment store -> allow\n", "service:imap@n1",
        ObjectType.FRAGMENT, Permission.STORE);
    assertThat(d).isEqualTo(new Decision.Deny(4, 0, "policy 4 default deny (no rule matched)"));
    Decision a = decide("version 4\ndefault audit\n", "service:imap@n1", ObjectType.FRAGMENT, Permission.STORE);
    assertThat(a).isInstanceOf(Decision.Allow.class);
    assertThat(a.audited()).isTrue();
    assertThat(decide("version 4\ndefault allow\n", "node:n1@n1", ObjectType.ADMIN, Permission.ADMIN).audited()).isFalse();
  }

  @Test
  void subjectPatterns_matchKindNameAndNodeGlobs() throws Exception {
    String p = "version 1\nuser:*@example.com@n? fragment read -> deny\nuser:*@example.com@* fragment read -> audit\n"
        + "service:smtp@n1 * * -> allow\n*:*@n9 * * -> allow\n";
    assertThat(decide(p, "user:ann@example.com@n2", ObjectType.FRAGMENT, Permission.READ).audited())
        .as("'?' is a literal, not a wildcard").isTrue();
    assertThat(decide(p, "user:ann@example.com@n?", ObjectType.FRAGMENT, Permission.READ).allowed()).isFalse();
    assertThat(decide(p, "user:ann@example.org@n2", ObjectType.FRAGMENT, Permission.READ).rule()).isZero();
    assertThat(decide(p, "service:smtp@n1", ObjectType.MEMBERSHIP, Permission.REPLICATE).rule()).isEqualTo(3);
    assertThat(decide(p, "service:smtp@n2", ObjectType.MEMBERSHIP, Permission.REPLICATE).rule()).isZero();
    assertThat(decide(p, "user:smtp@n1", ObjectType.PROFILE, Permission.READ).rule()).as("kind must match").isZero();
    assertThat(decide(p, "extension:x@n9", ObjectType.ADMIN, Permission.DELETE).rule()).isEqualTo(4);
  }

  @Test
  void objectAndPermissionWildcards() throws Exception {
    String p = "version 1\n* profile * -> allow\n* * expunge -> deny\n";
    assertThat(decide(p, "user:a@n1", ObjectType.PROFILE, Permission.EXPUNGE).rule()).isEqualTo(1);
    assertThat(decide(p, "user:a@n1", ObjectType.FRAGMENT, Permission.EXPUNGE).rule()).isEqualTo(2);
    assertThat(decide(p, "user:a@n1", ObjectType.FRAGMENT, Permission.READ).rule()).isZero();
  }

  @Test
  void glob_handlesRunsAndBacktracking() {
    assertThat(SubjectPattern.glob("*", "")).isTrue();
    assertThat(SubjectPattern.glob("a*b*c", "aXbYbZc")).isTrue();
    assertThat(SubjectPattern.glob("a*b*c", "aXbYbZ")).isFalse();
    assertThat(SubjectPattern.glob("**x", "yyx")).isTrue();
    assertThat(SubjectPattern.glob("abc", "abcd")).isFalse();
    assertThat(SubjectPattern.glob("", "")).isTrue();
  }

  @Test
  void decisions_areSharedPerRule() throws Exception {
    Policy p = PolicyParser.parse("version 1\n* * * -> allow\n");
    assertThat(p.evaluate(Sid.node("a"), ObjectType.ADMIN, Permission.READ))
        .isSameAs(p.evaluate(Sid.user("u", "b"), ObjectType.FRAGMENT, Permission.STORE));
  }
}
