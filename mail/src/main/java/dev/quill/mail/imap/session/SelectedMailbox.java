package dev.quill.mail.imap.session;

import dev.quill.mail.imap.codec.ImapWriter;
import dev.quill.mail.imap.codec.SequenceSet;
import dev.quill.store.MessageMeta;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A session's view of its selected mailbox (RFC 9051 §2.3.1): the UIDs in message sequence
 * order, each message's flags and MODSEQ as last reported, the \Recent set, and the messages
 * expunged by others but not yet reported. Sequence numbers change only when this session
 * reports an EXPUNGE (or VANISHED), so they stay consistent with what the client has been told.
 */
final class SelectedMailbox {
  final String name;
  final boolean readOnly;
  final long uidValidity;
  private final List<Long> uids = new ArrayList<>();
  private final Map<Long, MessageMeta> meta = new HashMap<>();
  private final Set<Long> gone = new LinkedHashSet<>();
  private final Set<Long> recent = new HashSet<>();
  long highestModSeq;
  long uidNext;

  SelectedMailbox(String name, boolean readOnly, long uidValidity, long uidNext, long highestModSeq,
      List<MessageMeta> messages) {
    this.name = name;
    this.readOnly = readOnly;
    this.uidValidity = uidValidity;
    this.uidNext = uidNext;
    this.highestModSeq = highestModSeq;
    for (MessageMeta m : messages) {
      uids.add(m.uid());
      meta.put(m.uid(), m);
    }
  }

  int size() {
    return uids.size();
  }

  long uidAt(int seq) {
    return uids.get(seq - 1);
  }

  /** The sequence number of a UID, or 0 when not in the view. */
  int seqOf(long uid) {
    int i = Collections.binarySearch(uids, uid);
    return i < 0 ? 0 : i + 1;
  }

  MessageMeta meta(long uid) {
    return meta.get(uid);
  }

  boolean isGone(long uid) {
    return gone.contains(uid);
  }

  /** Whether expunges of other sessions wait to be reported (seen where §7.5.1 forbade EXPUNGE). */
  boolean hasUnreportedExpunges() {
    return !gone.isEmpty();
  }

  boolean isRecent(long uid) {
    return recent.contains(uid);
  }

  int recentCount() {
    return recent.size();
  }

  void markRecent(Collection<Long> claimed) {
    recent.addAll(claimed);
  }

  long lastUid() {
    return uids.isEmpty() ? 0 : uids.get(uids.size() - 1);
  }

  /** UIDs of the view in sequence order. */
  List<Long> uids() {
    return Collections.unmodifiableList(uids);
  }

  /**
   * The UIDs a sequence set names, in ascending order: message numbers, or UIDs when {@code uid}
   * (UIDs not in the view are skipped, as RFC 9051 §6.4.8 asks). Null when a message number is
   * out of range (answered BAD).
   */
  List<Long> resolve(SequenceSet set, boolean uid) {
    TreeSet<Long> out = new TreeSet<>();
    if (uid) {
      long max = lastUid();
      for (SequenceSet.Range r : set.ranges()) {
        long lo = r.low(max);
        long hi = r.high(max);
        if (uids.isEmpty()) {
          break;
        }
        int from = Collections.binarySearch(uids, lo);
        from = from < 0 ? -from - 1 : from;
        for (int i = from; i < uids.size() && uids.get(i) <= hi; i++) {
          out.add(uids.get(i));
        }
      }
    } else {
      long max = uids.size();
      for (SequenceSet.Range r : set.ranges()) {
        long lo = r.low(max);
        long hi = r.high(max);
        if (max == 0 && (r.from() == SequenceSet.STAR || r.to() == SequenceSet.STAR)) {
          continue; // "1:*" in an empty mailbox names nothing; clients send it routinely
        }
        if (lo < 1 || hi > max) {
          return null;
        }
        for (long s = lo; s <= hi; s++) {
          out.add(uids.get((int) s - 1));
        }
      }
    }
    return new ArrayList<>(out);
  }

  /** Records new flags and MODSEQ after this session's own STORE. */
  void update(MessageMeta m) {
    if (meta.containsKey(m.uid())) {
      meta.put(m.uid(), m);
      highestModSeq = Math.max(highestModSeq, m.modSeq());
    }
  }

  /** Removes messages this session expunged or moved, writing EXPUNGE or VANISHED. */
  void expunged(Collection<Long> removed, ImapWriter out, boolean qresync) {
    gone.addAll(removed);
    reportGone(out, qresync);
  }

  /** How a sync should report. */
  record SyncMode(boolean allowExpunge, boolean qresync, boolean condstore, boolean rev1) {}

  /**
   * Brings the view up to date with the mailbox's current messages, writing the untagged
   * responses: EXPUNGE or VANISHED (only when {@code allowExpunge}), EXISTS and RECENT for new
   * messages, FETCH for changed flags. Returns the UIDs that are new, for \Recent claiming.
   */
  List<Long> sync(List<MessageMeta> current, long mailboxModSeq, long mailboxUidNext, SyncMode mode, ImapWriter out,
      RecentClaim claim) {
    Map<Long, MessageMeta> now = new HashMap<>(current.size() * 2);
    for (MessageMeta m : current) {
      now.put(m.uid(), m);
    }
    List<Long> changed = new ArrayList<>();
    for (Long uid : uids) {
      MessageMeta m = now.get(uid);
      if (m == null) {
        gone.add(uid);
      } else {
        MessageMeta old = meta.get(uid);
        if (old.modSeq() != m.modSeq() || !old.flags().equals(m.flags())) {
          meta.put(uid, m);
          changed.add(uid);
        }
      }
    }
    long last = lastUid();
    List<Long> added = new ArrayList<>();
    for (MessageMeta m : current) {
      if (m.uid() > last && !gone.contains(m.uid())) {
        uids.add(m.uid());
        meta.put(m.uid(), m);
        added.add(m.uid());
      }
    }
    if (mode.allowExpunge()) {
      reportGone(out, mode.qresync());
    }
    if (!added.isEmpty()) {
      out.text("* ").number(uids.size()).text(" EXISTS").crlf();
      recent.addAll(claim.claim(added));
      if (mode.rev1()) {
        out.text("* ").number(recent.size()).text(" RECENT").crlf();
      }
    }
    for (Long uid : changed) {
      int seq = seqOf(uid);
      if (seq > 0 && !gone.contains(uid)) {
        writeFlags(out, seq, meta.get(uid), mode.condstore() || mode.qresync(), true);
      }
    }
    highestModSeq = Math.max(highestModSeq, mailboxModSeq);
    uidNext = Math.max(uidNext, mailboxUidNext);
    return added;
  }

  /** Claims new UIDs for \Recent. */
  @FunctionalInterface
  interface RecentClaim {
    /** The subset of {@code added} that is recent for this session. */
    Collection<Long> claim(List<Long> added);
  }

  /** Writes {@code * seq FETCH (UID u FLAGS (...) [MODSEQ (m)])}. */
  void writeFlags(ImapWriter out, int seq, MessageMeta m, boolean modSeq, boolean withUid) {
    out.text("* ").number(seq).text(" FETCH (");
    if (withUid) {
      out.text("UID ").number(m.uid()).sp();
    }
    out.text("FLAGS ").flags(flagsOf(m));
    if (modSeq) {
      out.text(" MODSEQ (").number(m.modSeq()).text(")");
    }
    out.text(")").crlf();
  }

  /** A message's flags as the client sees them, with \Recent added for this session's recent messages. */
  List<String> flagsOf(MessageMeta m) {
    List<String> flags = new ArrayList<>(m.flags());
    if (recent.contains(m.uid())) {
      flags.add("\\Recent");
    }
    return flags;
  }

  private void reportGone(ImapWriter out, boolean qresync) {
    if (gone.isEmpty()) {
      return;
    }
    List<Long> removed = new ArrayList<>();
    List<Integer> seqs = new ArrayList<>();
    for (Long uid : gone) {
      int seq = seqOf(uid);
      if (seq > 0) {
        seqs.add(seq);
        removed.add(uid);
      }
    }
    if (qresync) {
      if (!removed.isEmpty()) {
        out.text("* VANISHED ").text(SequenceSet.format(removed, true)).crlf();
      }
    } else {
      seqs.sort(Collections.reverseOrder()); // highest first, so no number shifts under the next
      for (int seq : seqs) {
        out.text("* ").number(seq).text(" EXPUNGE").crlf();
      }
    }
    uids.removeAll(new HashSet<>(removed));
    for (Long uid : removed) {
      meta.remove(uid);
      recent.remove(uid);
    }
    gone.clear();
  }

  /** The keywords in use, for the FLAGS response. */
  Set<String> keywords() {
    Set<String> k = new TreeSet<>();
    for (MessageMeta m : meta.values()) {
      for (String f : m.flags()) {
        if (!f.startsWith("\\")) {
          k.add(f);
        }
      }
    }
    return k;
  }
}
