package dev.quill.security.policy;

import dev.quill.security.Sid;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The decisions of one policy version, cached per (subject, object type, permission). A cache
 * belongs to exactly one {@link Policy} and is never reused for another: {@link PolicyManager}
 * swaps the policy and a fresh cache as one reference, so a lookup that starts after an install
 * returned can only see decisions of the new policy, and a flush needs no locking.
 *
 * <p>The hit path is one map lookup on the subject and one array read: each subject maps to a
 * row with one slot per (object type, permission) pair. Slots are filled racily, which is safe
 * because decisions are immutable (final fields) and recomputing one gives the same instance. At
 * most {@code maxSubjects} subjects are kept; past that the cache is cleared and refills, which
 * bounds memory at the cost of re-evaluating.
 */
public final class DecisionCache {
  /** Default bound on cached subjects. */
  public static final int DEFAULT_MAX_SUBJECTS = 65_536;

  private static final int PERMISSIONS = Permission.values().length;
  private static final int SLOTS = ObjectType.values().length * PERMISSIONS;

  private final Policy policy;
  private final int maxSubjects;
  private final ConcurrentHashMap<Sid, Decision[]> rows = new ConcurrentHashMap<>();
  private final LongAdder misses = new LongAdder();

  /** An empty cache for {@code policy}, holding at most {@code maxSubjects} subjects. */
  public DecisionCache(Policy policy, int maxSubjects) {
    if (maxSubjects < 1) {
      throw new IllegalArgumentException("maxSubjects " + maxSubjects + " must be at least 1");
    }
    this.policy = policy;
    this.maxSubjects = maxSubjects;
  }

  /** The policy whose decisions this cache holds. */
  public Policy policy() {
    return policy;
  }

  /** The decision of {@link #policy()} for {@code subject} doing {@code permission} on an {@code object}. */
  public Decision decide(Sid subject, ObjectType object, Permission permission) {
    int slot = object.ordinal() * PERMISSIONS + permission.ordinal();
    Decision[] row = rows.get(subject);
    if (row != null) {
      Decision d = row[slot];
      if (d != null) {
        return d;
      }
    }
    return miss(subject, object, permission, row, slot);
  }

  private Decision miss(Sid subject, ObjectType object, Permission permission, Decision[] row, int slot) {
    misses.increment();
    Decision d = policy.evaluate(subject, object, permission);
    if (row == null) {
      if (rows.size() >= maxSubjects) {
        rows.clear();
      }
      row = rows.computeIfAbsent(subject, s -> new Decision[SLOTS]);
    }
    row[slot] = d;
    return d;
  }

  /** How many lookups had to evaluate the policy. */
  public long misses() {
    return misses.sum();
  }

  /** How many subjects are cached now. */
  public int subjects() {
    return rows.size();
  }
}
