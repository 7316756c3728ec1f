package dev.quill.cluster.manager;

import dev.quill.cluster.rpc.Codec;
import dev.quill.cluster.rpc.WireException;
import java.util.ArrayList;
import java.util.List;

/**
 * The calling node starts ({@code on}) or stops watching the changes of some users, all managed by
 * the node it asks. Batched so that a node re-registers its watches after a view change in one
 * request per manager.
 *
 * <pre>
 * boolean on   varint n (1 .. MAX_USERS) + strings: users
 * </pre>
 */
public record WatchRequest(boolean on, List<String> users) {
  /** Most users in one request; a node with more sends several. */
  public static final int MAX_USERS = 10_000;

  public WatchRequest {
    users = List.copyOf(users);
    if (users.isEmpty() || users.size() > MAX_USERS) {
      throw new IllegalArgumentException("watch request of " + users.size() + " users is outside 1.." + MAX_USERS);
    }
  }

  static final Codec<WatchRequest> CODEC = Codec.of(
      (out, w) -> {
        out.writeBoolean(w.on()).writeVarInt(w.users().size());
        w.users().forEach(out::writeString);
      },
      in -> {
        boolean on = in.readBoolean();
        int n = in.readLength(MAX_USERS, "watched users");
        if (n == 0) {
          throw new WireException("watch request without users");
        }
        List<String> users = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
          users.add(in.readString(Wire.MAX_USER));
        }
        return new WatchRequest(on, users);
      });
}
