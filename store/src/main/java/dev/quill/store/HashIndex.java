package dev.quill.store;

import static dev.quill.store.Batches.delete;
import static dev.quill.store.Batches.deleteRange;
import static dev.quill.store.Batches.put;
import static dev.quill.store.GroupCommitter.await;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.LoggerFactory;

/**
 * The index of every user profile and mailbox (fragment) held here by {@code (UserHash, user,
 * mailbox)}, so that the users of a cluster bucket, a hash range, are one range scan.
 *
 * <p>It has a column family of its own rather than a prefix in {@code meta}: a scan of it reads
 * nothing else, an interrupted build is undone with one range delete, and older stores get the
 * family created at open. Values are empty; the records themselves are read by point lookups, so
 * the index never has to change when a message is stored. Every entry is written in the same
 * batch as the record it indexes (callers add both), so the two never disagree in any durable view.
 *
 * <p>A store written before the index existed has no format marker ({@link Keys#HASH_INDEX_FORMAT});
 * {@link #buildIfMissing} builds the index from the records once at open and writes the marker last.
 * XXX A store opened by an older release after the build would change records without the index
 * and keep the marker; downgrades are not supported.
 */
final class HashIndex {
  /** Version of the index layout, stored in the format marker. */
  static final long LAYOUT_VERSION = 1;
  /** Entries per batch while building, to bound a batch's memory on a large store. */
  private static final int BUILD_CHUNK = 10_000;
  /** Entries per multiGet while summarising. */
  private static final int READ_CHUNK = 4_096;
  /** Above every index key: a hash of all 0xff followed by an address byte, never 0xff in UTF-8. */
  private static final byte[] END = {-1, -1, -1, -1, -1, -1, -1, -1, -1};

  private final RocksEngine engine;

  HashIndex(RocksEngine engine) {
    this.engine = engine;
  }

  /** One index entry: a profile ({@code mailbox} null) or a mailbox of {@code user}. */
  record Entry(long hash, String user, String mailbox) {
    static Entry of(byte[] key) {
      ByteBuffer in = ByteBuffer.wrap(key);
      int zero = 8;
      while (key[zero] != 0) {
        zero++;
      }
      String user = new String(key, 8, zero - 8, StandardCharsets.UTF_8);
      String mailbox = key[zero + 1] == Keys.INDEX_MAILBOX
          ? new String(key, zero + 2, key.length - zero - 2, StandardCharsets.UTF_8) : null;
      return new Entry(in.getLong(0), user, mailbox);
    }
  }

  // ---- maintenance: each adds to the batch that writes the indexed record ---------------------

  void putProfile(WriteBatch batch, String user) {
    put(batch, engine.hashIndex, Keys.indexProfile(user), new byte[0]);
  }

  /** Removes the profile's entry only: the user's mailboxes held here stay indexed. */
  void deleteProfile(WriteBatch batch, String user) {
    delete(batch, engine.hashIndex, Keys.indexProfile(user));
  }

  void putMailbox(WriteBatch batch, String user, String name) {
    put(batch, engine.hashIndex, Keys.indexMailbox(user, name), new byte[0]);
  }

  void deleteMailbox(WriteBatch batch, String user, String name) {
    delete(batch, engine.hashIndex, Keys.indexMailbox(user, name));
  }

  /** Removes every entry of a user: profile and mailboxes. */
  void deleteUser(WriteBatch batch, String user) {
    byte[] prefix = Keys.indexOf(user);
    deleteRange(batch, engine.hashIndex, prefix, Keys.endOfPrefix(prefix));
  }

  // ---- building ------------------------------------------------------------------------------

  /** Builds the index from the profile and mailbox records unless the format marker says it exists. */
  void buildIfMissing(GroupCommitter committer) {
    if (engine.get(engine.meta, Keys.HASH_INDEX_FORMAT) != null) {
      return;
    }
    long started = System.nanoTime();
    // Entries without the marker come from an interrupted build: start from nothing.
    var batch = new WriteBatch();
    deleteRange(batch, engine.hashIndex, new byte[0], END);
    await(committer.submit(batch, committer.epoch(), null));
    var chunk = new Chunk(committer);
    byte[] users = Keys.kind(Keys.USER);
    engine.scan(engine.meta, null, users, Keys.endOfPrefix(users), (k, v) -> {
      putProfile(chunk.batch, Keys.nameOf(k));
      chunk.added();
    });
    engine.scan(engine.mailboxes, null, new byte[0], END, (k, v) -> {
      int zero = 0;
      while (k[zero] != 0) {
        zero++;
      }
      putMailbox(chunk.batch, new String(k, 0, zero, StandardCharsets.UTF_8),
          new String(k, zero + 1, k.length - zero - 1, StandardCharsets.UTF_8));
      chunk.added();
    });
    put(chunk.batch, engine.meta, Keys.HASH_INDEX_FORMAT, RecordCodec.encodeCounter(LAYOUT_VERSION));
    chunk.flush();
    LoggerFactory.getLogger(HashIndex.class).info("built the user hash index: {} entries in {} ms",
        chunk.total, (System.nanoTime() - started) / 1_000_000);
  }

  /** Batches of index entries committed every {@link #BUILD_CHUNK} entries. */
  private static final class Chunk {
    private final GroupCommitter committer;
    WriteBatch batch = new WriteBatch();
    int size;
    long total;

    Chunk(GroupCommitter committer) {
      this.committer = committer;
    }

    void added() {
      total++;
      if (++size == BUILD_CHUNK) {
        flush();
        batch = new WriteBatch();
        size = 0;
      }
    }

    void flush() {
      await(committer.submit(batch, committer.epoch(), null));
    }
  }

  /** Removes the index and its marker, as a store of an older release has neither (tests). */
  void dropForTest(GroupCommitter committer) {
    var batch = new WriteBatch();
    deleteRange(batch, engine.hashIndex, new byte[0], END);
    delete(batch, engine.meta, Keys.HASH_INDEX_FORMAT);
    await(committer.submit(batch, committer.epoch(), null));
  }

  // ---- reading -------------------------------------------------------------------------------

  /** The index entries of a hash range as durable in {@code view}, in (unsigned hash, user, kind, name) order. */
  List<Entry> entries(DurableView view, HashRange range) {
    var entries = new ArrayList<Entry>();
    byte[] to = range.toExclusive() == 0 ? END : Keys.indexHash(range.toExclusive());
    engine.scan(engine.hashIndex, view, Keys.indexHash(range.from()), to, (k, v) -> entries.add(Entry.of(k)));
    return entries;
  }

  /**
   * What this node holds of each user in the range: an index scan, then the profile and mailbox
   * records and the mailboxes' watermark reservations (folded into the summaries) by batched point
   * reads; never a message.
   */
  List<UserFragments> summaries(DurableView view, HashRange range) {
    List<Entry> entries = entries(view, range);
    var out = new ArrayList<UserFragments>();
    Pending current = null;
    for (int from = 0; from < entries.size(); from += READ_CHUNK) {
      List<Entry> chunk = entries.subList(from, Math.min(entries.size(), from + READ_CHUNK));
      List<byte[]> records = read(view, chunk);
      var boxes = new ArrayList<MailboxInfo>(chunk.size());
      for (int i = 0; i < chunk.size(); i++) {
        boolean found = chunk.get(i).mailbox() != null && records.get(i) != null;
        boxes.add(found ? RecordCodec.decodeMailbox(records.get(i)) : null);
      }
      List<WatermarkReservation> reservations = reservations(view, boxes);
      for (int i = 0; i < chunk.size(); i++) {
        Entry e = chunk.get(i);
        if (current == null || current.hash != e.hash() || !current.user.equals(e.user())) {
          if (current != null) {
            out.add(current.done());
          }
          current = new Pending(e.hash(), e.user());
        }
        byte[] record = records.get(i);
        if (record == null) {
          continue; // written in the same batch as its entry, so absent only if the index is damaged
        }
        if (e.mailbox() == null) {
          current.created = RecordCodec.decodeUser(record).created();
        } else {
          MailboxInfo box = boxes.get(i);
          current.fragments.add(reservations.get(i).applyTo(new FragmentSummary(box.name(), box.uidValidity(),
              box.uidNext(), box.highestModSeq(), box.messageCount(), box.totalBytes())));
        }
      }
    }
    if (current != null) {
      out.add(current.done());
    }
    return out;
  }

  /** The record of each entry in {@code chunk}: profiles from meta, mailboxes from mailboxes. */
  private List<byte[]> read(DurableView view, List<Entry> chunk) {
    var profileKeys = new ArrayList<byte[]>();
    var mailboxKeys = new ArrayList<byte[]>();
    for (Entry e : chunk) {
      if (e.mailbox() == null) {
        profileKeys.add(Keys.user(e.user()));
      } else {
        mailboxKeys.add(Keys.mailbox(e.user(), e.mailbox()));
      }
    }
    try {
      List<byte[]> profiles = engine.multiGet(engine.meta, view, profileKeys);
      List<byte[]> mailboxes = engine.multiGet(engine.mailboxes, view, mailboxKeys);
      var records = new ArrayList<byte[]>(chunk.size());
      int p = 0;
      int m = 0;
      for (Entry e : chunk) {
        records.add(e.mailbox() == null ? profiles.get(p++) : mailboxes.get(m++));
      }
      return records;
    } catch (RocksDBException e) {
      throw RocksEngine.readFailure("reading fragment records", e);
    }
  }

  /**
   * The watermark reservation of each mailbox record in {@code boxes} (null for profile entries), by
   * one batched read of the meta records keyed by mailbox id; {@link WatermarkReservation#NONE} where none.
   */
  private List<WatermarkReservation> reservations(DurableView view, List<MailboxInfo> boxes) {
    var keys = new ArrayList<byte[]>();
    boxes.stream().filter(java.util.Objects::nonNull).forEach(b -> keys.add(Keys.reservation(b.id())));
    List<byte[]> found;
    try {
      found = keys.isEmpty() ? List.of() : engine.multiGet(engine.meta, view, keys);
    } catch (RocksDBException e) {
      throw RocksEngine.readFailure("reading watermark reservations", e);
    }
    var out = new ArrayList<WatermarkReservation>(boxes.size());
    int k = 0;
    for (MailboxInfo box : boxes) {
      byte[] record = box == null ? null : found.get(k++);
      out.add(record == null ? WatermarkReservation.NONE : RecordCodec.decodeReservation(record));
    }
    return out;
  }

  /** One user's summary while its entries are read. */
  private static final class Pending {
    final long hash;
    final String user;
    Instant created;
    final List<FragmentSummary> fragments = new ArrayList<>();

    Pending(long hash, String user) {
      this.hash = hash;
      this.user = user;
    }

    UserFragments done() {
      return new UserFragments(hash, user, created, List.copyOf(fragments));
    }
  }
}
