package dev.quill.server.admin;

import java.util.List;
import java.util.Map;

/** What the admin channel asks of the cluster's security: push a policy ({@code policy push}), show it ({@code policy show}). */
public interface SecurityControl {
  /** A node without a cluster: no cluster policy to push or show. */
  SecurityControl STANDALONE = new SecurityControl() {
    @Override
    public PushReport push(String text) {
      throw new IllegalArgumentException("a cluster policy needs a cluster: this node runs standalone");
    }

    @Override
    public Report show() {
      throw new IllegalArgumentException("a cluster policy needs a cluster: this node runs standalone");
    }
  };

  /** The outcome of a push: the version in force, the members that installed it, those that did not answer in time. */
  record PushReport(long version, List<String> installed, List<String> missing) {}

  /**
   * This node's security state.
   *
   * @param securityServer the member that holds the cluster policy and pushes it (the coordinator)
   * @param allows remote requests allowed (not audited) since start; {@code audits}, {@code denies} likewise
   * @param auditWritten records in this node's audit log since start; {@code auditDropped}: lost to a full queue
   * @param transport whether inter-node messages are sealed; {@code sealed}, {@code opened}: messages so far
   * @param dropped refused inter-node messages by reason
   */
  record Report(String node, String securityServer, long policyVersion, String policy, long allows, long audits,
      long denies, long auditWritten, long auditDropped, boolean transport, long sealed, long opened,
      Map<String, Long> dropped) {}

  /** Makes {@code text} the cluster's policy; refused when it does not parse or its version is not above the current one. */
  PushReport push(String text);

  Report show();
}
