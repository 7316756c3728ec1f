package dev.quill.cluster.security;

import dev.quill.cluster.rpc.AccessCheck;
import dev.quill.cluster.rpc.MessageType;
import dev.quill.security.Sid;
import dev.quill.security.policy.Decision;
import dev.quill.security.policy.EnforcementManager;
import java.util.Optional;

/**
 * The request layer's enforcement point: each request from another node is checked, under the SID
 * its transport verified, against the cluster policy for the object and permission its type needs
 * ({@link RemoteOperations}). The enforcement manager caches decisions and audits denials.
 */
public final class PolicyAccessCheck implements AccessCheck {
  private final EnforcementManager enforcement;

  public PolicyAccessCheck(EnforcementManager enforcement) {
    this.enforcement = enforcement;
  }

  @Override
  public Optional<String> refusal(String from, Sid principal, MessageType<?, ?> type) {
    RemoteOperations.Access access = RemoteOperations.of(type.id());
    Decision d = enforcement.check(principal, access.object(), access.permission(), type.name());
    return d.allowed() ? Optional.empty() : Optional.of(d.reason());
  }
}
