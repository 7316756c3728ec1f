package dev.quill.cluster.mail;

import dev.quill.store.MessageMeta;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One gathered mailbox: its messages from every fragment that answered, in UID order, with the
 * nodes holding each (one, or several when the message is replicated), the fragment nodes that did
 * not answer, and which of those the reader must be told of because some messages may exist only
 * there. What a session reads is one layout; reads of a UID go to one of its holders, changes to
 * all of them.
 *
 * @param down fragment nodes that did not answer
 * @param unreachable the nodes of {@code down} whose absence may hide messages: all of them when
 *     as many nodes are down as a write needs durable copies (an acknowledged message may live on
 *     those alone), else those that are the only holders of a message seen before
 */
record MailboxLayout(List<MessageMeta> messages, Map<Long, List<String>> holders, List<String> down,
    List<String> unreachable) {
  MailboxLayout {
    messages = List.copyOf(messages);
    holders = Map.copyOf(holders);
    down = List.copyOf(down);
    unreachable = List.copyOf(unreachable);
  }

  static final MailboxLayout EMPTY = new MailboxLayout(List.of(), Map.of(), List.of(), List.of());

  /**
   * Merges per-node listings (each in UID order) into one UID-ordered list. A UID held by several
   * nodes is listed once, as the copy with the highest MODSEQ (the latest change; replicas that
   * missed it catch up later), and remembers every holder.
   *
   * @param required durable copies every acknowledged write has ({@link Replication#required})
   */
  static MailboxLayout merge(Map<String, List<MessageMeta>> byNode, List<String> down, int required) {
    Map<Long, MessageMeta> latest = new HashMap<>();
    Map<Long, List<String>> holders = new HashMap<>();
    byNode.forEach((node, metas) -> {
      for (MessageMeta m : metas) {
        latest.merge(m.uid(), m, (a, b) -> b.modSeq() > a.modSeq() ? b : a);
        holders.computeIfAbsent(m.uid(), u -> new ArrayList<>(2)).add(node);
      }
    });
    List<MessageMeta> all = new ArrayList<>(latest.values());
    all.sort((a, b) -> Long.compare(a.uid(), b.uid()));
    Set<String> hiding = new LinkedHashSet<>();
    if (down.size() >= required) {
      hiding.addAll(down);
    } else if (!down.isEmpty()) {
      holders.values().stream().filter(h -> down.containsAll(h)).forEach(hiding::addAll);
    }
    return new MailboxLayout(all, holders, down, List.copyOf(hiding));
  }

  /**
   * This layout with the copies in {@code changed} (a flag change made through this node) in place of
   * older ones of the same UIDs: a read that must fall back on this layout for holders that do not
   * answer (catching up, down) shows the change, instead of the flags from before it, which an
   * EXPUNGE then acted on (chaos seed 30: a message stored \Deleted, then not expunged).
   */
  MailboxLayout withChanged(Collection<MessageMeta> changed) {
    Map<Long, MessageMeta> byUid = new HashMap<>();
    changed.forEach(m -> byUid.merge(m.uid(), m, (a, b) -> b.modSeq() > a.modSeq() ? b : a));
    List<MessageMeta> result = new ArrayList<>(messages.size());
    for (MessageMeta m : messages) {
      MessageMeta newer = byUid.get(m.uid());
      result.add(newer != null && newer.modSeq() > m.modSeq() ? newer : m);
    }
    return new MailboxLayout(result, holders, down, unreachable);
  }

  /**
   * This layout without the UIDs in {@code expunged} (an expunge made through this node). Kept rather
   * than forgotten: a read that must fall back on it for holders that do not answer still lists the
   * other messages they hold, where no layout at all listed none, and a session took them for expunged.
   */
  MailboxLayout withExpunged(Collection<Long> expunged) {
    Set<Long> gone = new HashSet<>(expunged);
    Map<Long, List<String>> kept = new HashMap<>(holders);
    kept.keySet().removeAll(gone);
    return new MailboxLayout(messages.stream().filter(m -> !gone.contains(m.uid())).toList(), kept, down, unreachable);
  }

  /** The given UIDs grouped by every node holding them (a replicated UID in several groups); unknown UIDs are left out. */
  Map<String, List<Long>> byHolder(Collection<Long> uids) {
    Map<String, List<Long>> groups = new LinkedHashMap<>();
    for (Long uid : uids) {
      for (String node : holders.getOrDefault(uid, List.of())) {
        groups.computeIfAbsent(node, n -> new ArrayList<>()).add(uid);
      }
    }
    return groups;
  }

  /**
   * The given UIDs grouped by the one node to read each from: {@code self} when it holds it and
   * answered the gathering (it does not while it catches up), else
   * the first holder that answered the gathering, else the first holder. Unknown UIDs are left out.
   */
  Map<String, List<Long>> byReader(Collection<Long> uids, String self) {
    Map<String, List<Long>> groups = new LinkedHashMap<>();
    for (Long uid : uids) {
      List<String> nodes = holders.getOrDefault(uid, List.of());
      if (nodes.isEmpty()) {
        continue;
      }
      String reader = nodes.contains(self) && !down.contains(self) ? self
          : nodes.stream().filter(n -> !down.contains(n)).findFirst().orElse(nodes.getFirst());
      groups.computeIfAbsent(reader, n -> new ArrayList<>()).add(uid);
    }
    return groups;
  }

  /** Whether every one of {@code uids} has a known holder. */
  boolean knowsAll(Collection<Long> uids) {
    return holders.keySet().containsAll(uids);
  }
}
