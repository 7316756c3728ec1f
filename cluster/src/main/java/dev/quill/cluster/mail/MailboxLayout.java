package dev.quill.cluster.mail;

import dev.quill.store.MessageMeta;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One gathered mailbox: its messages from every fragment that answered, in UID order, with the
 * node holding each, and the fragment nodes that did not answer (their messages are missing, and
 * reads say so). What a session reads is one layout; operations on UIDs go to the node the
 * latest layout names.
 */
record MailboxLayout(List<MessageMeta> messages, Map<Long, String> holders, List<String> unreachable) {
  MailboxLayout {
    messages = List.copyOf(messages);
    holders = Map.copyOf(holders);
    unreachable = List.copyOf(unreachable);
  }

  static final MailboxLayout EMPTY = new MailboxLayout(List.of(), Map.of(), List.of());

  /** Merges per-node listings (each in UID order) into one UID-ordered list; a UID held twice keeps the first node's. */
  static MailboxLayout merge(Map<String, List<MessageMeta>> byNode, List<String> unreachable) {
    List<MessageMeta> all = new ArrayList<>();
    Map<Long, String> holders = new HashMap<>();
    byNode.forEach((node, metas) -> {
      for (MessageMeta m : metas) {
        if (holders.putIfAbsent(m.uid(), node) == null) {
          all.add(m);
        }
      }
    });
    all.sort((a, b) -> Long.compare(a.uid(), b.uid()));
    return new MailboxLayout(all, holders, unreachable);
  }

  /** The given UIDs grouped by holding node, each group in the order given; unknown UIDs are left out. */
  Map<String, List<Long>> byHolder(Collection<Long> uids) {
    Map<String, List<Long>> groups = new LinkedHashMap<>();
    for (Long uid : uids) {
      String node = holders.get(uid);
      if (node != null) {
        groups.computeIfAbsent(node, n -> new ArrayList<>()).add(uid);
      }
    }
    return groups;
  }

  /** Whether every one of {@code uids} has a known holder. */
  boolean knowsAll(Collection<Long> uids) {
    return holders.keySet().containsAll(uids);
  }
}
