package dev.quill.server.admin;

/** What the admin channel asks of a node's rebalancer: start a rebalance, and follow one. */
public interface RebalanceControl {
  /** A node without a cluster, which has nothing to rebalance. */
  RebalanceControl STANDALONE = new RebalanceControl() {
    @Override
    public RebalanceReport start(String target) {
      throw standalone();
    }

    @Override
    public RebalanceReport status(String run) {
      throw standalone();
    }

    private IllegalArgumentException standalone() {
      return new IllegalArgumentException("a rebalance needs a cluster: this node runs standalone (no cluster port"
          + " configured)");
    }
  };

  /**
   * Starts moving fragments to {@code target}, or when null to the member holding the fewest
   * messages, and returns at once with the run's id and its sources.
   *
   * @throws IllegalArgumentException for a target that is no member, or a node without a cluster
   * @throws IllegalStateException while another rebalance runs, or when a member refused
   */
  RebalanceReport start(String target);

  /** The progress of {@code run} on every member moving fragments for it. */
  RebalanceReport status(String run);
}
