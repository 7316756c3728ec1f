package dev.quill.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Which users and messages each node's store holds before the reconstruction benchmark starts its cluster: user
 * <i>i</i> (from 0; address {@code user<i+1>@domain}) has its profile, its default mailboxes and all its messages
 * on node <i>i</i> mod <i>nodes</i>, and every user gets {@code messagesPerUser} messages in INBOX. Deliveries go in
 * batches of users, each batch one {@code MailStore.deliver} call (one write batch in the store), so filling a
 * million messages costs thousands of commits, not a million.
 *
 * @param users how many users, at least 1
 * @param nodes how many nodes, at least 1
 * @param messagesPerUser messages in each user's INBOX, 0 for none
 * @param domain the users' domain
 */
record FillPlan(int users, int nodes, int messagesPerUser, String domain) {
  FillPlan {
    if (users < 1 || nodes < 1 || messagesPerUser < 0) {
      throw new IllegalArgumentException("users " + users + " and nodes " + nodes
          + " must be at least 1, messages per user " + messagesPerUser + " at least 0");
    }
  }

  /** The address of user {@code i} (from 0). */
  String address(int i) {
    return "user" + (i + 1) + "@" + domain;
  }

  /** The addresses of the users whose profile and mail live on {@code node} (from 0), in order. */
  List<String> usersOf(int node) {
    checkNode(node);
    var list = new ArrayList<String>(users / nodes + 1);
    for (int i = node; i < users; i += nodes) {
      list.add(address(i));
    }
    return list;
  }

  /**
   * The users of {@code node} cut into consecutive batches of at most {@code batchSize}; one round of delivery
   * sends one message to each batch.
   */
  List<List<String>> batches(int node, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size " + batchSize + " must be at least 1");
    }
    List<String> mine = usersOf(node);
    var out = new ArrayList<List<String>>(mine.size() / batchSize + 1);
    for (int from = 0; from < mine.size(); from += batchSize) {
      out.add(List.copyOf(mine.subList(from, Math.min(mine.size(), from + batchSize))));
    }
    return out;
  }

  /** Messages stored on {@code node}. */
  long messagesOf(int node) {
    checkNode(node);
    long mine = users / nodes + (node < users % nodes ? 1 : 0);
    return mine * messagesPerUser;
  }

  /** Messages stored on all nodes together. */
  long totalMessages() {
    return (long) users * messagesPerUser;
  }

  private void checkNode(int node) {
    if (node < 0 || node >= nodes) {
      throw new IllegalArgumentException("node " + node + " is outside 0.." + (nodes - 1));
    }
  }
}
