package dev.quill.server.admin;

import java.util.List;
import java.util.Map;

/** What the admin channel asks of the cluster about its members: give one up for good ({@code cluster forget}). */
public interface MemberControl {
  /** A node without a cluster, which has no members to forget. */
  MemberControl STANDALONE = node -> {
    throw new IllegalArgumentException("forgetting a member needs a cluster: this node runs standalone (no cluster"
        + " port configured)");
  };

  /**
   * Gives {@code node} up for good on every live member: it no longer counts as a member presumed
   * down, and the messages it held are copied again until each has R copies on live nodes.
   *
   * @return one line per member: whether it confirmed
   * @throws IllegalArgumentException when {@code node} is live
   */
  List<String> forget(String node);

  /**
   * Moves every member but the order's revoked node to its traffic key (sealed and signed for each
   * member), then retires the old keys ({@code cluster revoke}).
   *
   * @return one line per member and round
   */
  default List<String> rekey(RekeyOrder order) {
    throw new IllegalArgumentException("rotating keys needs a cluster with security on: this node has neither");
  }

  /**
   * Moves every member to a new traffic key through the security server, locking nobody out
   * ({@code cluster rotate-key}).
   *
   * @return one line per member and round
   */
  default List<String> rotateKey() {
    throw new IllegalArgumentException("rotating keys needs a cluster with security on: this node has neither");
  }

  /**
   * The cluster's current traffic key sealed for {@code x25519Public} (X.509 encoded), for a
   * credential being issued ({@code cluster add-node --data}).
   *
   * @return the key id and the sealed key
   */
  default Map.Entry<Integer, byte[]> sealKey(byte[] x25519Public) {
    throw new IllegalArgumentException("this node has no cluster key: it runs standalone or with security off");
  }
}
