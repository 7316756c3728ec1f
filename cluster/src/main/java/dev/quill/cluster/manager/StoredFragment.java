package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;

/**
 * Tells a user's manager that {@code node} now holds a fragment of the mailbox (it just stored a
 * message there), so the mail map knows it before the next reconstruction and the load balancer's
 * spread holds from the second delivery on.
 *
 * <pre>
 * string user   string mailbox   string node
 * </pre>
 */
public record StoredFragment(String user, String mailbox, String node) {
  static final Codec<StoredFragment> CODEC = Codec.of(
      (out, f) -> out.writeString(f.user()).writeString(f.mailbox()).writeString(f.node()),
      in -> new StoredFragment(in.readString(Wire.MAX_USER), in.readString(Wire.MAX_MAILBOX),
          in.readString(Wire.MAX_USER)));
}
