package dev.quill.store;

import static dev.quill.store.Batches.delete;
import static dev.quill.store.Batches.deleteRange;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The records that make up a stored message, kept together: its metadata ({@code messages}),
 * bytes ({@code bodies}) and derived data ({@code derived}), all under the same key. Every
 * write path goes through here, so a message is never stored or removed in part.
 */
final class MessageRecords {
  private final RocksEngine engine;

  MessageRecords(RocksEngine engine) {
    this.engine = engine;
  }

  /**
   * A message as it will be once the queued batches are written, or null when it is absent or
   * being removed. The caller holds the mailbox lock.
   */
  MessageMeta current(MailboxState box, long uid) {
    if (box.pendingRemovals.contains(uid)) {
      return null;
    }
    MessageMeta pending = box.pendingMeta.get(uid);
    if (pending != null) {
      return pending;
    }
    byte[] value = engine.get(engine.messages, Keys.message(box.id, uid));
    return value == null ? null : RecordCodec.decodeMessage(value);
  }

  /**
   * All messages of a mailbox in UID order, as {@link #current} sees them, except those of
   * batches not yet written. The caller holds the mailbox lock and waited for queued batches.
   */
  List<MessageMeta> all(MailboxState box) {
    var list = new ArrayList<MessageMeta>();
    engine.scan(engine.messages, null, Keys.firstMessage(box.id), Keys.endOfMessages(box.id), (k, v) -> {
      long uid = Keys.uidOf(k);
      if (!box.pendingRemovals.contains(uid)) {
        list.add(box.pendingMeta.getOrDefault(uid, RecordCodec.decodeMessage(v)));
      }
    });
    return list;
  }

  /** A message's bytes in the live state (its writer has been waited for), or null. */
  byte[] body(long mailboxId, long uid) {
    return engine.get(engine.bodies, Keys.message(mailboxId, uid));
  }

  /** A message's derived data in the live state, or null. */
  MessageDerived derived(long mailboxId, long uid) {
    byte[] value = engine.get(engine.derived, Keys.message(mailboxId, uid));
    return value == null ? null : RecordCodec.decodeDerived(value);
  }

  /** A message's derived data as durable in {@code view}. */
  Optional<MessageDerived> derived(DurableView view, long mailboxId, long uid) {
    try {
      byte[] value = engine.get(engine.derived, view, Keys.message(mailboxId, uid));
      return Optional.ofNullable(value).map(RecordCodec::decodeDerived);
    } catch (RocksDBException e) {
      throw RocksEngine.readFailure("reading derived data of message " + uid, e);
    }
  }

  /** Adds a new message to {@code batch}; {@code derived} may be null. */
  void put(WriteBatch batch, long mailboxId, MessageMeta meta, byte[] body, MessageDerived derived) {
    byte[] key = Keys.message(mailboxId, meta.uid());
    Batches.put(batch, engine.messages, key, RecordCodec.encodeMessage(meta));
    Batches.put(batch, engine.bodies, key, body);
    if (derived != null) {
      Batches.put(batch, engine.derived, key, RecordCodec.encodeDerived(derived));
    }
  }

  /** Adds a changed message record (flags, MODSEQ) to {@code batch}. */
  void putMeta(WriteBatch batch, long mailboxId, MessageMeta meta) {
    Batches.put(batch, engine.messages, Keys.message(mailboxId, meta.uid()), RecordCodec.encodeMessage(meta));
  }

  /** Adds the removal of one message to {@code batch}. */
  void remove(WriteBatch batch, long mailboxId, long uid) {
    byte[] key = Keys.message(mailboxId, uid);
    delete(batch, engine.messages, key);
    delete(batch, engine.bodies, key);
    delete(batch, engine.derived, key);
  }

  /** Adds the removal of every message of a mailbox, quarantined ones included, to {@code batch}. */
  void removeAll(WriteBatch batch, long mailboxId) {
    byte[] from = Keys.firstMessage(mailboxId);
    byte[] to = Keys.endOfMessages(mailboxId);
    deleteRange(batch, engine.messages, from, to);
    deleteRange(batch, engine.bodies, from, to);
    deleteRange(batch, engine.derived, from, to);
    deleteRange(batch, engine.quarantine, from, to);
  }
}
