package dev.quill.cluster.node;

import dev.quill.cluster.transport.ClusterView;
import dev.quill.cluster.usermap.BucketMove;
import dev.quill.cluster.usermap.UserMap;
import java.util.List;

/** Told the user map of every view; reconstruction rescans only the buckets in {@code moves}. */
@FunctionalInterface
public interface MapListener {
  /**
   * Runs on the cluster's view thread, one view at a time and in view order; it must not block for
   * long (hand long work to another thread), since the next view waits for it.
   *
   * @param moves the buckets whose manager changed since the previous view; empty on the first call
   */
  void mapChanged(ClusterView view, UserMap map, List<BucketMove> moves);
}
