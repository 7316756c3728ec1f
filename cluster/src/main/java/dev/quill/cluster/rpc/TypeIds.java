package dev.quill.cluster.rpc;

/**
 * Every message type id, in one place so that two services never pick the same one. An id is
 * never reused for a different meaning, even after its type is retired.
 *
 * <pre>
 *     1 ..    99  cluster internals (load gossip, status)
 *   100 ..   199  user map and manager soft state (mail maps, reconstruction)
 *   200 ..   299  delivery and retrieval of mailbox fragments
 *   300 ..   399  replication
 * 60000 .. 65535  tests
 * </pre>
 */
public final class TypeIds {
  /** {@code LoadReport} broadcast, one-way. */
  public static final int LOAD_REPORT = 1;
  /** {@code NodeStats} of one node (its local users, mailboxes, messages, bytes), asked by {@code cluster status}. */
  public static final int NODE_STATS = 2;
  /** A node's fragments and profiles of the buckets a manager took over, after a view change. */
  public static final int FRAGMENT_REPORT = 100;
  /** A user's mail map, from the user's manager. */
  public static final int MAIL_MAP = 101;
  /** UIDs and MODSEQs for new messages of one mailbox, from the user's manager. */
  public static final int ALLOCATE_UIDS = 102;
  /** A node tells a user's manager it now holds a fragment of a mailbox (after storing a delivery there). */
  public static final int FRAGMENT_STORED = 103;
  /** A node tells a user's manager it now holds (or no longer holds) the user's profile. */
  public static final int PROFILE_STORED = 104;
  /** A message to store under a manager-assigned UID on the chosen node ({@code cluster.mail.FragmentService}). */
  public static final int STORE_MESSAGE = 200;
  /** First id tests may use freely. */
  public static final int FIRST_TEST_ID = 60_000;

  private TypeIds() {}
}
