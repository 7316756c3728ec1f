package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;

/**
 * Tells a user's manager that {@code node} no longer holds a fragment of the mailbox (it was
 * deleted there); the manager keeps the mailbox's watermarks, so a mailbox created again under the
 * same name continues above its old MODSEQs.
 *
 * <pre>
 * string user   string mailbox   string node
 * </pre>
 */
public record DroppedFragment(String user, String mailbox, String node) {
  static final Codec<DroppedFragment> CODEC = Codec.of(
      (out, d) -> out.writeString(d.user()).writeString(d.mailbox()).writeString(d.node()),
      in -> new DroppedFragment(in.readString(Wire.MAX_USER), in.readString(Wire.MAX_MAILBOX),
          in.readString(Wire.MAX_NAME)));
}
