package dev.quill.server.node;

import dev.quill.server.config.NodeConfig;
import dev.quill.store.MailStore;
import dev.quill.store.RocksMailStore;
import dev.quill.store.StoreOptions;
import java.nio.file.Path;

/** Opens the node's store in {@code <data>/store} with the configured password-hashing cost and free-space reserve. */
public final class StoreFactory {
  private StoreFactory() {}

  /** The store directory inside a data directory. */
  public static Path storeDir(Path data) {
    return data.resolve("store");
  }

  /** Opens (creating when new) the store of {@code config.data()}. */
  public static MailStore open(NodeConfig config) {
    StoreOptions defaults = StoreOptions.defaults();
    StoreOptions options = new StoreOptions(config.auth().passwordHashTime(), 0, defaults.authCacheTtl(),
        defaults.authCacheSize(), defaults.minBlobBytes(), defaults.blockCacheBytes(), config.store().minFreeSpace());
    return RocksMailStore.open(storeDir(config.data()), options);
  }
}
