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

  /**
   * Checks {@code fence} and runs {@code write}, returning once it is durable, such that a view
   * switch on this node waits for it: a write that carries numbers a later manager must hear of
   * (a renumbering's reservation) is then in every report this node makes under the new view.
   * This default only checks and waits.
   *
   * @throws FencedException when its manager was deposed; nothing is written then
   */
  default void durableBeforeViewSwitch(String user, Fence fence, java.util.function.Supplier<
      java.util.concurrent.CompletableFuture<Void>> write) {
    check(user, fence);
    write.get().join();
  }
}
