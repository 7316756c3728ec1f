package dev.quill.cluster.transport;

import org.jgroups.blocks.cs.BaseServer;
import org.jgroups.protocols.TCP;

/**
 * JGroups' TCP transport whose connections report ordinary closes at DEBUG ({@link QuietCloseLog}):
 * the transport of a cluster without the security layer, and the base of {@link SealingTcp}.
 */
class QuietTcp extends TCP {
  /** Starts the connection server (JGroups does so when the channel connects), then quiets its log. */
  @Override
  protected void handleConnect() throws Exception {
    super.handleConnect();
    if (srv != null && !(srv.log() instanceof QuietCloseLog)) {
      srv.log(new QuietCloseLog(srv.log()));
    }
  }

  /** The connection server, for tests that look at its log or capture the frames it hands over. */
  BaseServer server() {
    return srv;
  }
}
