package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;

/**
 * A request for one new MODSEQ of a user's mailbox, for a flag change or an expunge.
 *
 * <pre>
 * string user   string mailbox
 * </pre>
 */
public record ModSeqRequest(String user, String mailbox) {
  static final Codec<ModSeqRequest> CODEC = Codec.of(
      (out, r) -> out.writeString(r.user()).writeString(r.mailbox()),
      in -> new ModSeqRequest(in.readString(Wire.MAX_USER), in.readString(Wire.MAX_MAILBOX)));
}
