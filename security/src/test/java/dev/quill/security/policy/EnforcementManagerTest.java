package dev.quill.security.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.quill.security.Sid;
import dev.quill.security.audit.AuditEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class EnforcementManagerTest {
  private final List<AuditEvent> audited = new CopyOnWriteArrayList<>();

  private EnforcementManager enforcement() throws PolicyException {
    Policy p = PolicyParser.parse("""
        version 2
        service:smtp@*  fragment store   -> allow
        user:*@*        fragment expunge -> audit
        """);
    return new EnforcementManager(new PolicyManager(p), audited::add);
  }

  @Test
  void allows_denies_andAudits_areCountedAndOnlyDeniesAndAuditsRecorded() throws Exception {
    EnforcementManager e = enforcement();
    assertThat(e.check(Sid.service("smtp", "n1"), ObjectType.FRAGMENT, Permission.STORE, "f1").allowed()).isTrue();
    Decision audit = e.check(Sid.user("ann", "n2"), ObjectType.FRAGMENT, Permission.EXPUNGE, "ann/INBOX/7");
    assertThat(audit.allowed()).isTrue();
    Decision deny = e.check(Sid.service("imap", "n1"), ObjectType.PROFILE, Permission.UPDATE, "bob");
    assertThat(deny).isInstanceOf(Decision.Deny.class);
    assertThat(e.snapshot()).isEqualTo(new EnforcementManager.Counts(1, 1, 1));
    assertThat(audited).containsExactly(
        new AuditEvent("user:ann@n2", "fragment", "ann/INBOX/7", "expunge", "allow",
            "policy 2 rule 2: user:*@* fragment expunge -> audit"),
        new AuditEvent("service:imap@n1", "profile", "bob", "update", "deny",
            "policy 2 default deny (no rule matched)"));
  }

  @Test
  void missingInput_isDeniedAndAudited_neverThrown() throws Exception {
    EnforcementManager e = enforcement();
    assertThat(e.check(null, ObjectType.FRAGMENT, Permission.READ, null).reason()).isEqualTo("no subject given");
    assertThat(e.check(Sid.node("n1"), null, Permission.READ, "x").reason()).isEqualTo("no object type given");
    assertThat(e.check(Sid.node("n1"), ObjectType.ADMIN, null, "x").reason()).isEqualTo("no permission given");
    assertThat(e.snapshot().denies()).isEqualTo(3);
    assertThat(audited).hasSize(3);
    assertThat(audited.getFirst().subject()).isEmpty();
  }

  @Test
  void aFailingAuditSink_doesNotChangeTheDecision() throws Exception {
    EnforcementManager e = new EnforcementManager(new PolicyManager(Policy.empty(1, Effect.DENY)), ev -> {
      throw new IllegalStateException("disk on fire");
    });
    assertThat(e.check(Sid.node("n1"), ObjectType.ADMIN, Permission.ADMIN, "x").allowed()).isFalse();
    assertThat(e.snapshot().denies()).isEqualTo(1);
  }

  @Test
  void longObjectNames_areCutInTheAuditRecord() throws Exception {
    EnforcementManager e = enforcement();
    e.check(Sid.node("n1"), ObjectType.ADMIN, Permission.ADMIN, "n".repeat(10_000));
    assertThat(audited.getFirst().name()).hasSize(EnforcementManager.MAX_NAME);
  }
}
