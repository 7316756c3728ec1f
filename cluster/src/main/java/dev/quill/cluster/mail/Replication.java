package dev.quill.cluster.mail;

/**
 * How many nodes keep each message, and how many must have it durably before a write is
 * acknowledged.
 *
 * <p>{@code replicas} is the goal R: a new message is stored on R distinct live nodes (fewer when
 * fewer are live). {@code minDurable} is the floor: a write answered as done (250 after DATA, OK
 * to APPEND, STORE, EXPUNGE) has reached at least that many nodes durably, and when fewer are
 * reachable the write is refused as temporary (451, NO) rather than silently kept on fewer.
 *
 * <p>The floor is bounded by the size of the cluster as this node knows it: the live members and
 * the members that vanished without a graceful leave (presumed down, they still count). A cluster
 * of one stays a cluster of one; a member that left gracefully was taken out by its operator and
 * no longer counts.
 *
 * <p>User profiles have a goal of their own, {@code profileReplicas}: by default R, but at least
 * two (see {@link #profiles}).
 *
 * @param replicas R, at least 1
 * @param minDurable at least 1 and at most R
 * @param profileReplicas copies of each user profile, at least 1
 */
public record Replication(int replicas, int minDurable, int profileReplicas) {
  /** The most copies of a message a cluster can be asked to keep. */
  public static final int MAX_REPLICAS = 7;
  /** No replication of messages: one copy, acknowledged once durable on its node (profiles keep two). */
  public static final Replication NONE = new Replication(1, 1);
  /** The default for clusters of two or more: two copies, both durable before the answer. */
  public static final Replication DEFAULT = new Replication(2, 2);

  public Replication {
    if (replicas < 1 || replicas > MAX_REPLICAS) {
      throw new IllegalArgumentException("replicas must be from 1 to " + MAX_REPLICAS + ", was " + replicas);
    }
    if (minDurable < 1 || minDurable > replicas) {
      throw new IllegalArgumentException("min-durable-replicas must be from 1 to replicas (" + replicas + "), was "
          + minDurable);
    }
    if (profileReplicas < 1 || profileReplicas > MAX_REPLICAS) {
      throw new IllegalArgumentException("profile-replicas must be from 1 to " + MAX_REPLICAS + ", was "
          + profileReplicas);
    }
  }

  /** R copies of each message, and of each profile R but at least two ({@link #defaultProfileReplicas}). */
  public Replication(int replicas, int minDurable) {
    this(replicas, minDurable, defaultProfileReplicas(replicas));
  }

  /** Copies of each user profile when none are configured: R, but at least two. */
  public static int defaultProfileReplicas(int replicas) {
    return Math.max(2, replicas);
  }

  /**
   * The goal for user profiles: {@code profileReplicas} copies, under the same floor of durable ones.
   * A profile carries the managers' UID reservations ("UIDs are never reused", docs/CLUSTER.md): with
   * one copy, a profile node whose data came back from an old backup brings back an old reservation
   * that nothing contradicts, and UIDs clients have seen can be given again; hence at least two by
   * default. A profile is a few hundred bytes and changes rarely, so the second copy costs next to
   * nothing even where messages are kept once.
   */
  public Replication profiles() {
    return new Replication(profileReplicas, Math.min(minDurable, profileReplicas), profileReplicas);
  }

  /** Copies to make of a new message when {@code storing} nodes may store: R, or all of them when fewer. */
  public int copies(int storing) {
    return Math.max(1, Math.min(replicas, storing));
  }

  /** Durable copies a write needs in a cluster of {@code clusterSize} known members (live and presumed down). */
  public int required(int clusterSize) {
    return Math.max(1, Math.min(minDurable, clusterSize));
  }
}
