package dev.quill.store;

import static dev.quill.store.Batches.deleteRange;
import static dev.quill.store.Batches.put;
import static dev.quill.store.Batches.delete;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.TreeSet;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The per-mailbox log of expunged UIDs and the MODSEQ at which each went, for QRESYNC's
 * {@code VANISHED (EARLIER)} (RFC 7162 section 3.2.5.1).
 *
 * <p>The log is bounded: once it holds more than {@code limit} entries (plus a tenth, so that
 * pruning happens in chunks), the oldest are dropped, whole MODSEQs at a time, and the header
 * remembers the highest MODSEQ and UID dropped. A question reaching back past the pruned MODSEQ
 * is then answered conservatively: every UID up to the highest pruned one that is no longer in
 * the mailbox, plus the logged ones. RFC 7162 allows such a superset; it never misses a UID.
 */
final class ExpungeLog {
  /** Default bound on the entries kept per mailbox. */
  static final int DEFAULT_LIMIT = 10_000;
  private static final byte[] EMPTY = new byte[0];

  /**
   * The log's state: how many entries it holds, the highest MODSEQ pruned (entries at or below
   * it may be missing) and the highest UID pruned.
   */
  record Header(long count, long prunedUpTo, long maxPrunedUid) {
    static final Header EMPTY = new Header(0, 0, 0);
  }

  private final RocksEngine engine;
  private final int limit;

  ExpungeLog(RocksEngine engine, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("expunge log limit must be at least 1, was " + limit);
    }
    this.engine = engine;
    this.limit = limit;
  }

  /**
   * Adds to {@code batch} that {@code uids} were expunged from {@code box} at {@code modSeq},
   * pruning old entries when the log is full. The caller holds the mailbox lock, has refreshed
   * the mailbox, and queues the batch.
   */
  void record(WriteBatch batch, MailboxState box, Collection<Long> uids, long modSeq) {
    if (uids.isEmpty()) {
      return;
    }
    Header h = header(box);
    for (long uid : uids) {
      put(batch, engine.expunges, Keys.expunged(box.id, modSeq, uid), EMPTY);
    }
    long count = h.count() + uids.size();
    long prunedUpTo = h.prunedUpTo();
    long maxPrunedUid = h.maxPrunedUid();
    if (count > limit + Math.max(1, limit / 10)) {
      // Entries above prunedUpTo that are already written: the oldest are always written first.
      long excess = count - limit;
      long[] state = {0, prunedUpTo, maxPrunedUid}; // pruned, up to, max uid
      engine.scanWhile(engine.expunges, null, Keys.expunged(box.id, prunedUpTo + 1, 0), Keys.mailboxId(box.id + 1),
          (k, v) -> {
            long m = Keys.expungedModSeqOf(k);
            if (state[0] >= excess && m != state[1]) {
              return false; // enough, and the last MODSEQ is complete
            }
            delete(batch, engine.expunges, k);
            state[0]++;
            state[1] = m;
            state[2] = Math.max(state[2], Keys.expungedUidOf(k));
            return true;
          });
      count -= state[0];
      prunedUpTo = state[1];
      maxPrunedUid = state[2];
    }
    Header after = new Header(count, prunedUpTo, maxPrunedUid);
    put(batch, engine.expunges, Keys.mailboxId(box.id), RecordCodec.encodeExpungeLog(after));
    box.expungeLog = after;
  }

  /** Adds to {@code batch} the removal of a mailbox's whole log. */
  void deleteAll(WriteBatch batch, long mailboxId) {
    deleteRange(batch, engine.expunges, Keys.mailboxId(mailboxId), Keys.mailboxId(mailboxId + 1));
  }

  /**
   * The UIDs expunged from {@code box} at a MODSEQ above {@code modSeq}, ascending; a superset
   * when the log has been pruned past {@code modSeq} (see the class comment).
   */
  List<Long> since(DurableView view, MailboxInfo box, long modSeq) {
    long from = Math.max(modSeq, 0);
    var uids = new TreeSet<Long>();
    if (from < Long.MAX_VALUE) {
      engine.scan(engine.expunges, view, Keys.expunged(box.id(), from + 1, 0), Keys.mailboxId(box.id() + 1),
          (k, v) -> uids.add(Keys.expungedUidOf(k)));
    }
    Header h = header(view, box.id());
    if (from < h.prunedUpTo()) {
      var present = new HashSet<Long>();
      engine.scan(engine.messages, view, Keys.message(box.id(), 1), Keys.message(box.id(), h.maxPrunedUid() + 1),
          (k, v) -> present.add(Keys.uidOf(k)));
      for (long uid = 1; uid <= h.maxPrunedUid(); uid++) {
        if (!present.contains(uid)) {
          uids.add(uid);
        }
      }
    }
    return new ArrayList<>(uids);
  }

  /** The header including queued batches; the caller holds the mailbox lock. */
  private Header header(MailboxState box) {
    if (box.expungeLog == null) {
      byte[] value = engine.get(engine.expunges, Keys.mailboxId(box.id));
      box.expungeLog = value == null ? Header.EMPTY : RecordCodec.decodeExpungeLog(value);
    }
    return box.expungeLog;
  }

  private Header header(DurableView view, long mailboxId) {
    try {
      byte[] value = engine.get(engine.expunges, view, Keys.mailboxId(mailboxId));
      return value == null ? Header.EMPTY : RecordCodec.decodeExpungeLog(value);
    } catch (RocksDBException e) {
      throw RocksEngine.readFailure("reading the expunge log of mailbox " + mailboxId, e);
    }
  }
}
