package dev.quill.cluster.manager;

/**
 * Checks, on the node that stores a write, that the manager that numbered it is still the user's
 * manager in this node's view ({@link Fence}): one writer per mailbox's UIDs and MODSEQs at a time.
 * {@link ManagerService} is the real check; {@link #NONE} accepts everything (tests of the parts below it).
 */
@FunctionalInterface
public interface Fencing {
  /** Accepts every write. */
  Fencing NONE = (user, fence) -> {};

  /**
   * Returns when {@code user}'s write numbered under {@code fence} may be stored here.
   *
   * @throws FencedException when its manager was deposed; nothing must be written then
   */
  void check(String user, Fence fence);
}
