package dev.quill.security.keys;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A node's live key ring: read on every message, replaced whole by a rotation. One per node, passed
 * to whoever needs it.
 */
public final class TrafficKeys {
  private volatile KeyRing ring;
  /** The ring's current key, looked up once per ring rather than once per message sent. */
  private volatile TrafficKey current;
  private final CopyOnWriteArrayList<Consumer<KeyRing>> listeners = new CopyOnWriteArrayList<>();

  public TrafficKeys(KeyRing ring) {
    this.ring = Objects.requireNonNull(ring);
    this.current = ring.current();
  }

  /** The key to send with now. */
  public TrafficKey current() {
    return current;
  }

  public KeyRing ring() {
    return ring;
  }

  /** Replaces the ring by {@code change} of it, atomically, and tells the listeners. */
  public synchronized KeyRing update(UnaryOperator<KeyRing> change) {
    KeyRing next = change.apply(ring);
    ring = next;
    current = next.current();
    listeners.forEach(l -> l.accept(next));
    return next;
  }

  /** Calls {@code listener} with every later ring (to save it with the node's credential). */
  public void onChange(Consumer<KeyRing> listener) {
    listeners.add(listener);
  }
}
