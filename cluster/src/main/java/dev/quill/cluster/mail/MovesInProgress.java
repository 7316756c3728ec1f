package dev.quill.cluster.mail;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * The mailbox fragments this node is moving to another node right now ({@code cluster rebalance}),
 * each with a lock that orders the move's copy batches against expunges of the same fragment here.
 * An expunge made while a batch may be carrying its messages to the target would leave the copy
 * there until the move's comparison removes it, so a reader could see an acknowledged expunge undone
 * for a moment; instead the expunge waits for the batch and is then repeated on the target.
 */
final class MovesInProgress {
  /** One fragment being moved to {@code target}. */
  record Move(String target, ReentrantLock lock) {}

  private final Map<String, Move> moves = new ConcurrentHashMap<>();

  /** Registers a move of {@code user}/{@code box} to {@code target}; one move per fragment at a time. */
  Move begin(String user, String box, String target) {
    Move move = new Move(target, new ReentrantLock());
    if (moves.putIfAbsent(key(user, box), move) != null) {
      throw new IllegalStateException(user + "/" + box + " is being moved already");
    }
    return move;
  }

  /** The move is over: expunges here go to this node alone again. */
  void end(String user, String box, Move move) {
    moves.remove(key(user, box), move);
  }

  /** The move of {@code user}/{@code box} going on, if any. */
  Optional<Move> of(String user, String box) {
    return Optional.ofNullable(moves.get(key(user, box)));
  }

  /** Runs {@code body} holding the move's lock. */
  static <T> T locked(Move move, Supplier<T> body) {
    move.lock().lock();
    try {
      return body.get();
    } finally {
      move.lock().unlock();
    }
  }

  private static String key(String user, String box) {
    return user + "\0" + box;
  }
}
