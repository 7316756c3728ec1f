package dev.quill.security.policy;

import dev.quill.security.Sid;
import dev.quill.security.audit.AuditEvent;
import dev.quill.security.audit.AuditSink;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's enforcement point: decides each operation a principal asks for against the current
 * policy (through its decision cache), sends every deny and every decision marked {@code audit} to
 * the audit log, and counts the outcomes. {@link #check} never throws: input it cannot judge (a
 * missing subject, object type or permission) is denied and audited.
 */
public final class EnforcementManager {
  private static final Logger log = LoggerFactory.getLogger(EnforcementManager.class);
  /** Object names are cut to this many characters in audit records. */
  static final int MAX_NAME = 256;

  /**
   * Outcome counts since start; {@code allows + audits + denies} is the number of checks.
   *
   * @param allows checks allowed without an audit record
   * @param audits checks allowed by an {@code audit} rule (and so recorded)
   * @param denies checks denied (and so recorded)
   */
  public record Counts(long allows, long audits, long denies) {}

  private final PolicyManager policies;
  private final AuditSink audit;
  private final LongAdder allows = new LongAdder();
  private final LongAdder audits = new LongAdder();
  private final LongAdder denies = new LongAdder();

  /** Checks against {@code policies}' current policy and records to {@code audit}. */
  public EnforcementManager(PolicyManager policies, AuditSink audit) {
    this.policies = Objects.requireNonNull(policies, "policies");
    this.audit = Objects.requireNonNull(audit, "audit");
  }

  /**
   * Whether {@code subject} may do {@code permission} on the {@code object} named {@code objectName}
   * (e.g. a fragment id; used only in the audit record, may be null).
   */
  public Decision check(Sid subject, ObjectType object, Permission permission, String objectName) {
    Decision d;
    try {
      d = subject == null || object == null || permission == null
          ? refused(subject, object, permission)
          : policies.decide(subject, object, permission);
    } catch (RuntimeException e) {
      // Not expected: deny rather than let a bug in the policy code open a hole.
      log.error("policy check failed for {} {} {}; denied", subject, object, permission, e);
      d = new Decision.Deny(policies.version(), 0, "internal error in the policy check: " + e);
    }
    switch (d) {
      case Decision.Allow a when !a.audited() -> allows.increment();
      case Decision.Allow a -> {
        audits.increment();
        record(subject, object, permission, objectName, d);
      }
      case Decision.Deny x -> {
        denies.increment();
        record(subject, object, permission, objectName, d);
      }
    }
    return d;
  }

  /** The outcome counts so far (for cluster status and metrics). */
  public Counts snapshot() {
    return new Counts(allows.sum(), audits.sum(), denies.sum());
  }

  private Decision refused(Sid subject, ObjectType object, Permission permission) {
    String missing = subject == null ? "subject" : object == null ? "object type" : "permission";
    return new Decision.Deny(policies.version(), 0, "no " + missing + " given");
  }

  private void record(Sid subject, ObjectType object, Permission permission, String objectName, Decision d) {
    try {
      String name = objectName == null ? "" : objectName.length() > MAX_NAME ? objectName.substring(0, MAX_NAME) : objectName;
      audit.record(new AuditEvent(subject == null ? "" : subject.toString(), object == null ? "" : object.label(), name,
          permission == null ? "" : permission.label(), d.allowed() ? "allow" : "deny", d.reason()));
    } catch (RuntimeException e) {
      log.error("audit sink failed; the decision stands", e);
    }
  }
}
