package dev.quill.server.node;

import dev.quill.cluster.security.PolicyDistribution;
import dev.quill.security.SecurityEvents;
import dev.quill.security.audit.AuditEvent;
import dev.quill.security.audit.AuditLog;
import dev.quill.security.policy.DefaultPolicy;
import dev.quill.security.policy.EnforcementManager;
import dev.quill.security.policy.Policy;
import dev.quill.security.policy.PolicyManager;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A clustered node's security managers: the policy in force (from {@code <data>/security/policy},
 * else the shipped default), the enforcement manager that checks remote operations against it, and
 * the node's audit log ({@code <data>/audit/}), which also records every inter-node message the
 * transport's security layer refused.
 */
final class NodeSecurity implements AutoCloseable {
  /** Where a node keeps the cluster policy it has installed, under its data directory. */
  static final Path POLICY_FILE = Path.of("security", "policy");

  private final PolicyManager policies;
  private final AuditLog audit;
  private final EnforcementManager enforcement;
  private final Path policyFile;

  private NodeSecurity(PolicyManager policies, AuditLog audit, Path policyFile) {
    this.policies = policies;
    this.audit = audit;
    this.enforcement = new EnforcementManager(policies, audit);
    this.policyFile = policyFile;
  }

  /** Opens the audit log and loads the policy; nothing stays open on failure. */
  static NodeSecurity open(Path data, String node) throws IOException {
    Path file = data.resolve(POLICY_FILE);
    Policy policy = PolicyDistribution.load(file).orElseGet(DefaultPolicy::policy);
    AuditLog audit = AuditLog.open(data.resolve(AuditLog.DIRECTORY), node);
    return new NodeSecurity(new PolicyManager(policy), audit, file);
  }

  PolicyManager policies() {
    return policies;
  }

  EnforcementManager enforcement() {
    return enforcement;
  }

  AuditLog audit() {
    return audit;
  }

  Path policyFile() {
    return policyFile;
  }

  /** The transport's refusals, as audit records: what the message claimed, and why it was dropped. */
  SecurityEvents events() {
    return (reason, origin, principal) -> audit.record(new AuditEvent(principal, "message", "from " + origin,
        "deliver", "drop", reason.name()));
  }

  @Override
  public void close() {
    audit.close();
  }
}
