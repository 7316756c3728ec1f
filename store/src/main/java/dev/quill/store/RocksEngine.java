package dev.quill.store;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;
import org.rocksdb.AbstractEventListener;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.slf4j.LoggerFactory;

/**
 * The RocksDB instance of one data directory: its column families, the native objects that must
 * be closed with it, and the current {@link DurableView}.
 *
 * <p>Column families: {@code meta} (domains, users, aliases, counters, subscriptions),
 * {@code mailboxes}, {@code messages} (per-message metadata), {@code bodies} (message bytes, large
 * ones in blob files so compaction does not rewrite them), {@code quarantine}, {@code derived}
 * (MIME structure and search text), {@code expunges} (the QRESYNC expunge log) and
 * {@code hashindex} (users and mailboxes by user hash, {@link HashIndex}). Column
 * families added later are created when an older store is opened. See {@link Keys}.
 */
final class RocksEngine implements AutoCloseable {
  static {
    RocksDB.loadLibrary();
  }

  final RocksDB db;
  final ColumnFamilyHandle meta;
  final ColumnFamilyHandle mailboxes;
  final ColumnFamilyHandle messages;
  final ColumnFamilyHandle bodies;
  final ColumnFamilyHandle quarantine;
  final ColumnFamilyHandle derived;
  final ColumnFamilyHandle expunges;
  final ColumnFamilyHandle hashIndex;

  /** Native objects to close after the database, in order. */
  private final List<AutoCloseable> resources;
  private final List<ColumnFamilyHandle> handles;
  private final AtomicReference<DurableView> view;

  private RocksEngine(RocksDB db, List<ColumnFamilyHandle> handles, List<AutoCloseable> resources) {
    this.db = db;
    this.handles = handles;
    this.resources = resources;
    this.meta = handles.get(1);
    this.mailboxes = handles.get(2);
    this.messages = handles.get(3);
    this.bodies = handles.get(4);
    this.quarantine = handles.get(5);
    this.derived = handles.get(6);
    this.expunges = handles.get(7);
    this.hashIndex = handles.get(8);
    this.view = new AtomicReference<>(new DurableView(db));
  }

  static RocksEngine open(Path dir, StoreOptions options) {
    return open(dir, options, null);
  }

  /**
   * Opens the database in {@code dir}; {@code listener} (may be null) hears of background errors and
   * recoveries, and is closed with the engine.
   */
  static RocksEngine open(Path dir, StoreOptions options, AbstractEventListener listener) {
    var resources = new ArrayList<AutoCloseable>();
    if (listener != null) {
      resources.add(listener); // closed last, after the database that calls it
    }
    try {
      Files.createDirectories(dir);
      var cache = track(resources, new LRUCache(options.blockCacheBytes()));
      var bloom = track(resources, new BloomFilter(10));
      var table = new BlockBasedTableConfig().setBlockCache(cache).setFilterPolicy(bloom);

      var plain = track(resources, new ColumnFamilyOptions()
          .setTableFormatConfig(table)
          .setCompressionType(CompressionType.LZ4_COMPRESSION));
      var blobs = track(resources, new ColumnFamilyOptions()
          .setTableFormatConfig(table)
          .setCompressionType(CompressionType.LZ4_COMPRESSION)
          .setEnableBlobFiles(true)
          .setMinBlobSize(options.minBlobBytes())
          .setBlobCompressionType(CompressionType.LZ4_COMPRESSION)
          .setEnableBlobGarbageCollection(true));
      var dbOptions = track(resources, new DBOptions()
          .setCreateIfMissing(true)
          .setCreateMissingColumnFamilies(true)
          .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
          .setKeepLogFileNum(5)
          .setMaxBackgroundJobs(4));
      if (listener != null) {
        dbOptions.setListeners(List.of(listener));
      }

      var descriptors = List.of(
          new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, plain),
          new ColumnFamilyDescriptor(bytes("meta"), plain),
          new ColumnFamilyDescriptor(bytes("mailboxes"), plain),
          new ColumnFamilyDescriptor(bytes("messages"), plain),
          new ColumnFamilyDescriptor(bytes("bodies"), blobs),
          new ColumnFamilyDescriptor(bytes("quarantine"), blobs),
          new ColumnFamilyDescriptor(bytes("derived"), blobs),
          new ColumnFamilyDescriptor(bytes("expunges"), plain),
          new ColumnFamilyDescriptor(bytes("hashindex"), plain));
      var handles = new ArrayList<ColumnFamilyHandle>();
      RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
      return new RocksEngine(db, handles, resources);
    } catch (RocksDBException e) {
      closeAll(resources);
      String msg = String.valueOf(e.getMessage());
      if (msg.contains("LOCK") || msg.contains("lock")) {
        throw new StoreException("data directory " + dir + " is in use by another Quill process (" + msg + ")", e);
      }
      if (StorageHealth.reasonOf(e.getStatus(), msg) == StorageUnavailableException.Reason.NO_SPACE) {
        throw new StoreException("cannot open store in " + dir + ": its disk is full (" + msg + "); opening writes"
            + " a few small files: free some space on that disk and start again", e);
      }
      throw new StoreException("cannot open store in " + dir + ": " + msg, e);
    } catch (java.io.IOException e) {
      closeAll(resources);
      throw new StoreException("cannot create data directory " + dir + ": " + e.getMessage(), e);
    }
  }

  // ---- durable views -------------------------------------------------------------------------

  /** The newest durable view, retained; the caller must {@link DurableView#release} it. */
  DurableView acquireView() {
    while (true) {
      DurableView v = view.get();
      if (v.retain()) {
        return v;
      }
    }
  }

  /** Makes the current database state the durable view (called right after a WAL sync). */
  void publishView() {
    view.getAndSet(new DurableView(db)).release();
  }

  // ---- reads ---------------------------------------------------------------------------------

  /** A point read of the live state (including written but not yet synced batches). */
  byte[] get(ColumnFamilyHandle cf, byte[] key) {
    try {
      return db.get(cf, key);
    } catch (RocksDBException e) {
      throw readFailure("store read", e);
    }
  }

  /** A point read in a view; throws so that callers can tell corruption from other errors. */
  byte[] get(ColumnFamilyHandle cf, DurableView in, byte[] key) throws RocksDBException {
    try (ReadOptions read = in.readOptions()) {
      return db.get(cf, read, key);
    }
  }

  /** Several values of one column family as durable in {@code in}, in key order of the request; null where absent. */
  List<byte[]> multiGet(ColumnFamilyHandle cf, DurableView in, List<byte[]> keys) throws RocksDBException {
    if (keys.isEmpty()) {
      return List.of();
    }
    try (ReadOptions read = in.readOptions()) {
      return db.multiGetAsList(read, java.util.Collections.nCopies(keys.size(), cf), keys);
    }
  }

  /** Visits keys in [from, to) in order, in the live state ({@code in} null) or in a view. */
  void scan(ColumnFamilyHandle cf, DurableView in, byte[] from, byte[] to, BiConsumer<byte[], byte[]> visitor) {
    try (var upper = new Slice(to);
        var options = in == null ? new ReadOptions() : in.readOptions()) {
      options.setIterateUpperBound(upper);
      try (RocksIterator it = db.newIterator(cf, options)) {
        for (it.seek(from); it.isValid(); it.next()) {
          visitor.accept(it.key(), it.value());
        }
        it.status();
      }
    } catch (RocksDBException e) {
      throw readFailure("store scan", e);
    }
  }

  /** Visits keys in [from, to) in order while {@code visitor} returns true. */
  void scanWhile(ColumnFamilyHandle cf, DurableView in, byte[] from, byte[] to,
      java.util.function.BiPredicate<byte[], byte[]> visitor) {
    try (var upper = new Slice(to);
        var options = in == null ? new ReadOptions() : in.readOptions()) {
      options.setIterateUpperBound(upper);
      try (RocksIterator it = db.newIterator(cf, options)) {
        for (it.seek(from); it.isValid(); it.next()) {
          if (!visitor.test(it.key(), it.value())) {
            return;
          }
        }
        it.status();
      }
    } catch (RocksDBException e) {
      throw readFailure("store scan", e);
    }
  }

  /**
   * The exception for a failed read: an I/O error is a {@link StorageUnavailableException} (the disk
   * may come back; a client should try later), anything else a plain {@link StoreException}.
   */
  static StoreException readFailure(String what, RocksDBException e) {
    if (StorageHealth.reasonOf(e.getStatus(), e.getMessage()) != null) {
      return new StorageUnavailableException(StorageUnavailableException.Reason.IO_ERROR,
          "reading from the mail store's disk failed", e);
    }
    return new StoreException(what + " failed: " + e.getMessage(), e);
  }

  /** Counts the keys of a column family (used for small ones such as quarantine). */
  long count(ColumnFamilyHandle cf) {
    long n = 0;
    try (RocksIterator it = db.newIterator(cf)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void close() {
    // Everything is already durable in the WAL; flushing memtables only makes the next open fast.
    try (var flush = new FlushOptions().setWaitForFlush(true)) {
      db.flush(flush, handles);
    } catch (RocksDBException e) {
      LoggerFactory.getLogger(RocksEngine.class).warn("flushing memtables at close failed: {}", e.getMessage());
    }
    view.get().release();
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    try {
      db.closeE();
    } catch (RocksDBException e) {
      // Typically a disk that failed: whatever was acknowledged is in the synced write-ahead log,
      // which the next open replays, so the caller (a node stopping) has nothing to undo.
      LoggerFactory.getLogger(RocksEngine.class).warn("event=store-close-failed error=\"{}\": everything acknowledged"
          + " is in the write-ahead log and is recovered when the store is opened again", e.getMessage());
    } finally {
      closeAll(resources);
    }
  }

  private static <T extends AutoCloseable> T track(List<AutoCloseable> resources, T resource) {
    resources.add(resource);
    return resource;
  }

  private static void closeAll(List<AutoCloseable> resources) {
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception ignored) {
        // closing native options cannot meaningfully fail
      }
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
