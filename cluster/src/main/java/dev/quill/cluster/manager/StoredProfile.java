package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;

/**
 * Tells a user's manager that {@code node} now holds the user's profile ({@code present}) or no
 * longer does (the user was deleted there), so the profile's location is current between two
 * reconstructions.
 *
 * <pre>
 * string user   string node   boolean present
 * </pre>
 */
public record StoredProfile(String user, String node, boolean present) {
  static final Codec<StoredProfile> CODEC = Codec.of(
      (out, p) -> out.writeString(p.user()).writeString(p.node()).writeBoolean(p.present()),
      in -> new StoredProfile(in.readString(Wire.MAX_USER), in.readString(Wire.MAX_USER), in.readBoolean()));
}
