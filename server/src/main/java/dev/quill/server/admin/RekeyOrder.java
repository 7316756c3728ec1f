package dev.quill.server.admin;

import java.util.Map;

/**
 * A {@code cluster revoke} as the CA's side of the command made it: the new key id, the key sealed
 * for each member, the CA's signature of each member's install order, of the retirement and of the
 * revocation, and the node to lock out. Members obey only the signed orders (see {@code KeyDistribution}).
 */
public record RekeyOrder(String revoked, int keyId, Map<String, byte[]> sealed, Map<String, byte[]> signatures,
    byte[] retireSignature, byte[] revocationSignature) {
  public RekeyOrder {
    sealed = Map.copyOf(sealed);
    signatures = Map.copyOf(signatures);
    retireSignature = retireSignature.clone();
    revocationSignature = revocationSignature.clone();
  }
}
