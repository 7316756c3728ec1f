package dev.quill.server.cli;

import dev.quill.server.admin.AdminOps;
import dev.quill.server.admin.RemoteAdminOps;
import dev.quill.server.admin.StoreAdminOps;
import dev.quill.server.config.NodeConfig;
import dev.quill.server.node.StoreFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/** Chooses how an administration command reaches the data: the running node's admin channel, or the store itself. */
final class Admin {
  private Admin() {}

  /**
   * A node running on {@code data} is asked through its admin channel (the store is locked by
   * it); otherwise the store is opened here, which fails clearly if another process holds it.
   */
  static AdminOps open(Path data, boolean create) {
    var remote = RemoteAdminOps.connect(data);
    if (remote.isPresent()) {
      return remote.get();
    }
    if (!create && !Files.isDirectory(data)) {
      throw new IllegalArgumentException("no Quill data directory at " + data.toAbsolutePath()
          + "; pass --data DIR, or add a domain first to create it");
    }
    // Administration adds no mail: no free-space reserve, so no warning about refusing mail on a small disk.
    return new StoreAdminOps(StoreFactory.open(NodeConfig.defaults().withData(data).withStore(new NodeConfig.Store(0))),
        true);
  }
}
