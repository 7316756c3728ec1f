package dev.quill.store;

import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/** Write-batch building that reports RocksDB's checked exceptions as {@link StoreException}. */
final class Batches {
  private Batches() {}

  static void put(WriteBatch batch, ColumnFamilyHandle cf, byte[] key, byte[] value) {
    try {
      batch.put(cf, key, value);
    } catch (RocksDBException e) {
      throw new StoreException("building a write failed: " + e.getMessage(), e);
    }
  }

  static void delete(WriteBatch batch, ColumnFamilyHandle cf, byte[] key) {
    try {
      batch.delete(cf, key);
    } catch (RocksDBException e) {
      throw new StoreException("building a write failed: " + e.getMessage(), e);
    }
  }

  static void deleteRange(WriteBatch batch, ColumnFamilyHandle cf, byte[] from, byte[] to) {
    try {
      batch.deleteRange(cf, from, to);
    } catch (RocksDBException e) {
      throw new StoreException("building a write failed: " + e.getMessage(), e);
    }
  }
}
