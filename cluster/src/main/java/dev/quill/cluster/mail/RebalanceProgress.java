package dev.quill.cluster.mail;

import java.util.Objects;

/**
 * One node's part in a rebalance: the fragments it chose to move to the target and how far it got.
 * Messages and bytes count copies stored on the target, as they are stored, so the numbers rise
 * within a large fragment too.
 *
 * @param node the node moving its fragments
 * @param run the rebalance this is about; empty while the node has never been asked ({@link State#IDLE})
 * @param target where the fragments go; empty when idle
 * @param fragmentsPlanned fragments chosen to move (a fragment found already on the target is taken off)
 * @param fragmentsMoved fragments whose copied messages all left this node
 * @param fragmentsFailed fragments not (or only partly) moved; what was not moved stays here, nothing is lost
 * @param messagesPlanned messages in the chosen fragments when they were chosen
 * @param messagesMoved messages copied to the target so far
 * @param bytesMoved bytes of those messages
 * @param error the latest failure, for the operator; empty when none
 */
public record RebalanceProgress(String node, String run, String target, State state, int fragmentsPlanned,
    int fragmentsMoved, int fragmentsFailed, long messagesPlanned, long messagesMoved, long bytesMoved, String error) {

  /** Longest error kept, in characters; a longer one is cut (the log has it whole). */
  public static final int MAX_ERROR = 300;

  /** Where a node is in a rebalance. */
  public enum State {
    /** Never asked to move anything since it started. */
    IDLE,
    /** Choosing or moving fragments. */
    RUNNING,
    /** Finished: every chosen fragment was moved or failed. */
    DONE
  }

  public RebalanceProgress {
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(run, "run");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(state, "state");
    if (fragmentsPlanned < 0 || fragmentsMoved < 0 || fragmentsFailed < 0 || messagesPlanned < 0 || messagesMoved < 0
        || bytesMoved < 0) {
      throw new IllegalArgumentException("negative count in the rebalance progress of " + node);
    }
    error = cut(error == null ? "" : error);
  }

  /** A node that has not been asked to move anything. */
  public static RebalanceProgress idle(String node) {
    return new RebalanceProgress(node, "", "", State.IDLE, 0, 0, 0, 0, 0, 0, "");
  }

  /** At most {@link #MAX_ERROR} characters, never splitting a surrogate pair (it would not encode). */
  private static String cut(String s) {
    if (s.length() <= MAX_ERROR) {
      return s;
    }
    int end = Character.isHighSurrogate(s.charAt(MAX_ERROR - 1)) ? MAX_ERROR - 1 : MAX_ERROR;
    return s.substring(0, end);
  }
}
