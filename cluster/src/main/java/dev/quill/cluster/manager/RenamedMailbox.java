package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;

/**
 * Tells a user's manager that mailbox {@code from} and its inferiors ({@code from + "/"} …) were
 * renamed to {@code to} (and {@code to + "/"} …) on every node holding them.
 *
 * <pre>
 * string user   string from   string to
 * </pre>
 */
public record RenamedMailbox(String user, String from, String to) {
  static final Codec<RenamedMailbox> CODEC = Codec.of(
      (out, r) -> out.writeString(r.user()).writeString(r.from()).writeString(r.to()),
      in -> new RenamedMailbox(in.readString(Wire.MAX_USER), in.readString(Wire.MAX_MAILBOX),
          in.readString(Wire.MAX_MAILBOX)));
}
