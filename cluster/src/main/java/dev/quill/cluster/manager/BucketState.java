package dev.quill.cluster.manager;

import dev.quill.cluster.manager.FragmentReport.ReportedFragment;
import dev.quill.cluster.manager.FragmentReport.ReportedUser;
import dev.quill.store.Addresses;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A manager's soft state for one bucket: the members it still waits for, and per user the profile
 * locations and per mailbox the fragment nodes and allocation watermarks. Every method holds the
 * bucket's monitor, which is what serializes UID allocation per mailbox.
 *
 * <p>Watermarks (UIDVALIDITY, highest UID, highest MODSEQ) only rise, also when the node that held
 * the highest UID leaves: UIDs are never given twice, and a mailbox whose fragments are all gone
 * keeps its entry (not shown in mail maps) so that its next delivery continues above them.
 */
final class BucketState {
  private static final Logger log = LoggerFactory.getLogger(BucketState.class);
  private static final long MAX_UID = 0xffff_ffffL;

  private final String self;
  private final int bucket;
  private final Set<String> waitingFor;
  private final Map<String, UserEntry> users = new HashMap<>();

  BucketState(String self, int bucket, Collection<String> waitingFor) {
    this.self = self;
    this.bucket = bucket;
    this.waitingFor = new TreeSet<>(waitingFor);
  }

  /** Membership changed while this manager kept the bucket: forget the departed, wait for the joined. */
  synchronized void membersChanged(Set<String> departed, Set<String> joined) {
    waitingFor.removeAll(departed);
    waitingFor.addAll(joined);
    for (UserEntry user : users.values()) {
      user.profileNodes.removeAll(departed);
      user.mailboxes.values().forEach(m -> m.nodes.removeAll(departed));
    }
  }

  /** Replaces what {@code node} said of this bucket before by {@code reported}, and marks it reported. */
  synchronized void apply(String node, List<ReportedUser> reported) {
    for (UserEntry user : users.values()) {
      user.profileNodes.remove(node);
      user.mailboxes.values().forEach(m -> m.nodes.remove(node));
    }
    for (ReportedUser r : reported) {
      UserEntry user = users.computeIfAbsent(Addresses.normalize(r.user()), u -> new UserEntry());
      if (r.holdsProfile()) {
        user.profileNodes.add(node);
      }
      for (ReportedFragment f : r.fragments()) {
        MailboxEntry box = user.mailboxes.get(f.mailbox());
        if (box == null) {
          user.mailboxes.put(f.mailbox(), new MailboxEntry(f.uidValidity(), f.highestUid(), f.highestModSeq(), node));
        } else {
          box.merge(node, f, r.user());
        }
      }
    }
    waitingFor.remove(node);
  }

  synchronized boolean complete() {
    return waitingFor.isEmpty();
  }

  synchronized List<String> waitingFor() {
    return List.copyOf(waitingFor);
  }

  synchronized int userCount() {
    return users.size();
  }

  /** The user's mail map: mailboxes with at least one fragment node, in name order. */
  synchronized MailMap mailMap(String user) {
    UserEntry entry = users.get(user);
    if (entry == null) {
      return new MailMap(user, List.copyOf(waitingFor), List.of(), List.of());
    }
    List<MailMap.MailboxLocation> boxes = new ArrayList<>();
    entry.mailboxes.forEach((name, m) -> {
      if (!m.nodes.isEmpty()) {
        boxes.add(new MailMap.MailboxLocation(name, m.uidValidity, m.highestUid, m.highestModSeq, m.conflict,
            List.copyOf(m.nodes)));
      }
    });
    return new MailMap(user, List.copyOf(waitingFor), List.copyOf(entry.profileNodes), boxes);
  }

  /**
   * Gives {@code count} UIDs above every UID known or given in the mailbox, or refuses while some
   * member has not reported (its fragment may hold higher UIDs). A mailbox never seen gets a fresh
   * UIDVALIDITY from {@code freshUidValidity}.
   */
  synchronized Answer<UidGrant> allocate(String user, String mailbox, int count, LongSupplier freshUidValidity) {
    if (!waitingFor.isEmpty()) {
      return new Answer.Incomplete<>(bucket, List.copyOf(waitingFor));
    }
    MailboxEntry box = users.computeIfAbsent(user, u -> new UserEntry()).mailboxes
        .computeIfAbsent(mailbox, name -> new MailboxEntry(freshUidValidity.getAsLong(), 0, 0, null));
    if (box.highestUid + count > MAX_UID) {
      // XXX UIDs of this UIDVALIDITY are used up; needs the UIDVALIDITY change of a renumbering.
      throw new IllegalStateException("mailbox " + user + "/" + mailbox + " has no UIDs left above "
          + box.highestUid + " for " + count + " more (UIDVALIDITY " + box.uidValidity + ")");
    }
    var grant = new UidGrant(mailbox, box.uidValidity, box.highestUid + 1, count, box.highestModSeq + 1,
        List.copyOf(box.nodes));
    box.highestUid += count;
    box.highestModSeq += count;
    return new Answer.Ok<>(grant);
  }

  /** A node now holds a fragment of a mailbox this manager numbered (a delivery was stored there). */
  synchronized void fragmentStored(String user, String mailbox, String node) {
    UserEntry entry = users.get(user);
    MailboxEntry box = entry == null ? null : entry.mailboxes.get(mailbox);
    if (box != null) { // unknown: numbered by an earlier manager; the next report brings it
      box.nodes.add(node);
    }
  }

  /** A node created the user's profile ({@code present}) or deleted it. */
  synchronized void profileStored(String user, String node, boolean present) {
    if (present) {
      users.computeIfAbsent(user, u -> new UserEntry()).profileNodes.add(node);
    } else {
      UserEntry entry = users.get(user);
      if (entry != null) {
        entry.profileNodes.remove(node);
      }
    }
  }

  /** What the manager knows of one user. */
  private static final class UserEntry {
    final Set<String> profileNodes = new TreeSet<>();
    final Map<String, MailboxEntry> mailboxes = new TreeMap<>();
  }

  /** What the manager knows of one mailbox: watermarks (only rising) and the nodes holding a fragment. */
  private final class MailboxEntry {
    long uidValidity;
    long highestUid;
    long highestModSeq;
    boolean conflict;
    final Set<String> nodes = new TreeSet<>();

    MailboxEntry(long uidValidity, long highestUid, long highestModSeq, String node) {
      this.uidValidity = uidValidity;
      this.highestUid = highestUid;
      this.highestModSeq = highestModSeq;
      if (node != null) {
        nodes.add(node);
      }
    }

    void merge(String node, ReportedFragment f, String user) {
      nodes.add(node);
      if (f.uidValidity() != uidValidity) {
        // XXX Fragments of one mailbox with different UIDVALIDITY: renumbering is not built. Keep the
        // higher UIDVALIDITY (the same whatever order reports come in) and the higher highest UID.
        log.warn("{}: UIDVALIDITY conflict in bucket {} for {}/{}: {} reports {}, known {}; keeping {} and highest UID {}",
            self, bucket, user, f.mailbox(), node, f.uidValidity(), uidValidity, Math.max(uidValidity, f.uidValidity()),
            Math.max(highestUid, f.highestUid()));
        conflict = true;
        uidValidity = Math.max(uidValidity, f.uidValidity());
      }
      highestUid = Math.max(highestUid, f.highestUid());
      highestModSeq = Math.max(highestModSeq, f.highestModSeq());
    }
  }
}
