package dev.quill.server.admin;

/**
 * Told when a user's profile is created or deleted through the administration operations; a
 * clustered node passes it on to the user's manager, which keeps the profile's location.
 */
public interface ProfileEvents {
  /** Nobody to tell (a standalone node, or a stopped node's data). */
  ProfileEvents NONE = new ProfileEvents() {
    @Override
    public void created(String address) {}

    @Override
    public void deleted(String address) {}
  };

  /** The profile now exists on this node. */
  void created(String address);

  /** The profile no longer exists on this node. */
  void deleted(String address);
}
