package dev.quill.cluster.keys;

/**
 * Where the key services report an order they refused (counted, audited and logged by the security
 * layer, {@code SecureLayer.refusedOrder}).
 */
@FunctionalInterface
public interface RefusedOrders {
  /** Reports nowhere (tests without a security layer). */
  RefusedOrders NONE = (from, what) -> { };

  /** Member {@code from} gave an order this node refused; {@code what} says which and why. */
  void refused(String from, String what);
}
