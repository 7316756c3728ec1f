package dev.quill.cluster.keys;

import dev.quill.cluster.rpc.Codec;
import dev.quill.security.keys.KeyOrders;
import java.util.List;

/**
 * One revoked node name with the CA's signature of its revocation ({@link KeyOrders#revokeText}),
 * which lets any member pass it on and every receiver check it; empty for a name kept from before
 * revocations were signed, which this node refuses but does not pass on.
 */
public record Revocation(String node, byte[] caSignature) {
  public Revocation {
    caSignature = caSignature.clone();
  }

  /** Whether the CA with public key {@code caPublic} signed this revocation. */
  public boolean signedBy(byte[] caPublic) {
    return caSignature.length > 0 && KeyOrders.signedBy(caPublic, KeyOrders.revokeText(node), caSignature);
  }

  /** A list of revocations: count, then per revocation the name and the signature (empty allowed). */
  static final Codec<List<Revocation>> LIST = Codec.of(
      (out, list) -> {
        out.writeVarInt(list.size());
        list.forEach(r -> out.writeString(r.node()).writeBytes(r.caSignature()));
      },
      in -> {
        int n = in.readLength(10_000, "revocation count");
        List<Revocation> list = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          list.add(new Revocation(in.readString(1024), in.readBytes(256)));
        }
        return list;
      });

  @Override
  public boolean equals(Object o) {
    return o instanceof Revocation r && r.node.equals(node) && java.util.Arrays.equals(r.caSignature, caSignature);
  }

  @Override
  public int hashCode() {
    return node.hashCode() * 31 + java.util.Arrays.hashCode(caSignature);
  }
}
