package dev.quill.cluster.manager;

import dev.quill.cluster.manager.FragmentReport.ReportedFragment;
import dev.quill.cluster.manager.FragmentReport.ReportedUser;
import dev.quill.store.Addresses;
import dev.quill.store.MailStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A manager's soft state for one bucket: the members it still waits for, per user the profile
 * locations and the nodes watching the user's changes, and per mailbox the fragment nodes and
 * allocation watermarks. Every method holds the bucket's monitor, which is what serializes UID and
 * MODSEQ allocation per mailbox.
 *
 * <p>Watermarks (UIDVALIDITY, highest UID, highest MODSEQ) only rise, also when the node that held
 * the highest UID leaves: UIDs are never given twice, and a mailbox whose fragments are all gone
 * keeps its entry (not shown in mail maps) so that its next delivery continues above them. The
 * exceptions are a mailbox created again under a new UIDVALIDITY, and one whose UIDs are used up and
 * is renumbered under a new one: their UIDs start over, their MODSEQs do not.
 *
 * <p><b>Members this manager cannot vouch for.</b> A member that left while this manager kept the
 * bucket is remembered as a missing holder of exactly the mailboxes it held. A member already away
 * when this manager took the bucket never told it what it holds, so until it reports, a mailbox
 * lists it as missing when the mailbox's holder record names it, or when there is no record: it may
 * hold messages of that mailbox (with one copy, the only ones).
 *
 * <p><b>Holder records.</b> Per mailbox, the nodes a reservation goes to (the profile nodes first)
 * keep a durable record of every node that may hold its messages, written with the reservations
 * ({@code RESERVE_WATERMARKS} version 2) and reported with their fragments. It names too many rather than too few: each write
 * adds every node this manager knows may hold the mailbox (holders, missing holders, members not
 * heard from), so a record is complete as of its last write, and the record is written (a) before
 * any UID or MODSEQ is given while a known holder is not in it and (b) before a node that is not a
 * known holder is told to the manager as one ({@link #fragmentStored}), which the delivery waits
 * for before it acknowledges. A manager trusts the record it has read or written ({@code recorded}).
 *
 * <p><b>Reservations</b> (issue 4, "UIDs are never reused"). Watermarks are soft: a manager rebuilt
 * while the node holding a mailbox's highest UIDs is down would not know them. So no UID or MODSEQ
 * is given before it is durable on a majority of the cluster (the view's members and those presumed
 * down), every live profile node among them: any two majorities meet, and allocation waits for every
 * member of the view, so every later manager hears of every reservation (with the live profile
 * nodes alone it did not: RELIABILITY.md, finding 10).
 * <ul>
 *   <li>Per mailbox, {@code reservedUid}/{@code reservedModSeq} are what this manager knows durable
 *       on such a majority: from a profile node's report (its fragment's numbers include its
 *       reservation, {@code MailStore.fragments}) and from successful {@code RESERVE_WATERMARKS}
 *       answers. A node that becomes a profile node lowers them to what it reported (0 when it
 *       reported nothing, as after {@code PROFILE_STORED}); a departed one changes nothing (its
 *       copy still counts in the majority). A new UIDVALIDITY, or a profile node dropping its
 *       fragment, resets them to 0.</li>
 *   <li>An allocation that would go above them returns {@link Step.Reserve}: the caller reserves a
 *       block ahead ({@link #UID_BLOCK} UIDs, {@link #MODSEQ_BLOCK} MODSEQs beyond the need) on the
 *       live profile nodes and then other members up to a majority ({@link #reservationNodes}),
 *       outside this monitor so other users' allocations go on, then reports the outcome
 *       ({@link #reserved}) and tries again. One reservation per mailbox is in flight; other
 *       requests for it get {@link Step.Wait}. With no live profile node, without a majority in the
 *       view, or when the call fails, the answer is {@link Answer.Unreserved} and nothing is given.</li>
 *   <li>A node takes reservations only from the user's manager in its own view, and a view switch
 *       waits for the reservations in progress ({@code ManagerService}): an old manager cannot make
 *       numbers durable after the node's report to the new one.</li>
 *   <li>Hence every UID and MODSEQ ever given is at or below what some member of any later
 *       majority view reports, and a rebuilt manager continues above it. The cost: after each
 *       rebuild the numbers jump to the reservation (gaps of up to a block), one synced write per
 *       node reserved on per block, and a member taking a reservation without holding the mailbox
 *       becomes a holder of an empty fragment.</li>
 * </ul>
 */
final class BucketState {
  private static final Logger log = LoggerFactory.getLogger(BucketState.class);
  private static final long MAX_UID = 0xffff_ffffL;
  /** UIDs reserved beyond what an allocation needs: one reservation (one synced write) per this many. */
  static final long UID_BLOCK = 1_000;
  /** MODSEQs reserved beyond what an allocation needs; more than UIDs, as flag changes take MODSEQs too. */
  static final long MODSEQ_BLOCK = 10_000;

  private final String self;
  private final int bucket;
  /** The view's members, in view order: who may take a reservation. */
  private final Set<String> members;
  /** Members that left without a graceful leave and have not returned: they count in the majority. */
  private final Supplier<Set<String>> presumedDown;
  private final Set<String> waitingFor;
  /**
   * Members other than profile nodes that refused or missed a reservation since the last one that
   * succeeded here (a full disk, a slow node): others take the next ones in their place when there are.
   */
  private final Set<String> refusedReservations = new TreeSet<>();
  /** Members away when this manager took the bucket and not heard from since: they may hold any mailbox. */
  private final Set<String> unvouched;
  private final Map<String, UserEntry> users = new HashMap<>();
  /** Set by every UIDVALIDITY conflict, cleared by a {@link #conflicts} that found none. */
  private boolean mayHaveConflicts;
  /** Per user, the nodes whose sessions watch the user's changes; soft, re-registered by the nodes. */
  private final Map<String, Set<String>> watchers = new HashMap<>();
  /**
   * Per user, the POP3 maildrop lock: holding node → its session's token. One holder, except after
   * a merge of two sides that each gave it (the next to ask waits until all but one let go).
   * Soft: rebuilt from the members' reports, which list the locks their sessions hold or are taking.
   */
  private final Map<String, Map<String, Long>> maildropLocks = new HashMap<>();
  /**
   * Per user and mailbox, how far IMAP's {@code \Recent} has been claimed: {UIDVALIDITY, highest UID}.
   * Soft state that no report rebuilds: a new manager starts without it, and messages may then be
   * recent once more in one session, as after a single node's restart (RFC 3501 allows it).
   */
  private final Map<String, long[]> recentClaims = new HashMap<>();

  /** A state with no member presumed down: the view's members are the whole cluster. */
  BucketState(String self, int bucket, Collection<String> members, Collection<String> away) {
    this(self, bucket, members, away, Set::of);
  }

  /**
   * @param members the view's members, all of which this new manager waits for
   * @param away members seen before and not in the view now, which this new manager never heard from
   * @param presumedDown the members that left without a graceful leave and have not returned, now
   *     (with the view's members, the cluster whose majority every reservation must reach)
   */
  BucketState(String self, int bucket, Collection<String> members, Collection<String> away,
      Supplier<Set<String>> presumedDown) {
    this.self = self;
    this.bucket = bucket;
    this.members = new LinkedHashSet<>(members);
    this.presumedDown = presumedDown;
    this.waitingFor = new TreeSet<>(members);
    this.unvouched = new TreeSet<>(away);
  }

  /** Membership changed while this manager kept the bucket: forget the departed, wait for the joined. */
  synchronized void membersChanged(Set<String> departed, Set<String> joined) {
    members.removeAll(departed);
    members.addAll(joined);
    waitingFor.removeAll(departed);
    waitingFor.addAll(joined);
    for (UserEntry user : users.values()) {
      user.profileNodes.removeAll(departed);
      user.mailboxes.values().forEach(m -> {
        for (String node : departed) {
          if (m.nodes.remove(node) && !m.reserveOnly.remove(node)) {
            m.missing.add(node); // its fragment still exists; reads must say it is out of reach
          }
        }
      });
    }
    watchers.values().forEach(nodes -> nodes.removeAll(departed));
    watchers.values().removeIf(Set::isEmpty);
    maildropLocks.values().forEach(holders -> holders.keySet().removeAll(departed));
    maildropLocks.values().removeIf(Map::isEmpty);
  }

  /** Replaces what {@code node} said of this bucket before by {@code reported}, and marks it reported. */
  synchronized void apply(String node, List<ReportedUser> reported) {
    for (UserEntry user : users.values()) {
      user.profileNodes.remove(node);
      user.mailboxes.values().forEach(m -> {
        m.nodes.remove(node);
        m.reserveOnly.remove(node); // the report says again which of its fragments are empty
        m.missing.remove(node); // back: what it holds now is in this report
      });
    }
    maildropLocks.values().forEach(holders -> holders.remove(node));
    maildropLocks.values().removeIf(Map::isEmpty);
    for (ReportedUser r : reported) {
      String address = Addresses.normalize(r.user());
      r.maildropLock().ifPresent(token -> maildropLocks.computeIfAbsent(address, u -> new TreeMap<>()).put(node, token));
      if (!r.holdsProfile() && r.fragments().isEmpty()) {
        continue; // only a session's lock here
      }
      UserEntry user = users.computeIfAbsent(address, u -> new UserEntry());
      boolean onlyProfileNode = user.profileNodes.isEmpty();
      if (r.holdsProfile()) {
        user.profileNodes.add(node);
      }
      Map<String, ReportedFragment> held = new HashMap<>();
      for (ReportedFragment f : r.fragments()) {
        held.put(f.mailbox(), f);
        MailboxEntry box = user.mailboxes.get(f.mailbox());
        if (box == null) {
          box = new MailboxEntry(f.uidValidity(), f.highestUid(), f.highestModSeq(), node);
          user.mailboxes.put(f.mailbox(), box);
        } else {
          box.merge(node, f.uidValidity(), f.highestUid(), f.highestModSeq(), r.user(), f.mailbox());
        }
        if (f.empty() && !r.holdsProfile()) {
          box.reserveOnly.add(node); // no mail there (a reservation made it, or all of it went): not for placement
        }
        f.holders().ifPresent(box::recorded);
      }
      if (r.holdsProfile()) {
        // What this profile node holds is durable there; the reservation must hold on every profile node.
        user.mailboxes.forEach((name, box) -> {
          ReportedFragment f = held.get(name);
          boolean same = f != null && f.uidValidity() == box.uidValidity;
          box.durableOnNewProfileNode(same ? f.highestUid() : 0, same ? f.highestModSeq() : 0, onlyProfileNode);
        });
      }
    }
    waitingFor.remove(node);
    unvouched.remove(node); // its report says what it holds
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

  /**
   * The user's mail map: mailboxes with at least one fragment node, in name order; each lists as
   * missing, besides the holders that left since this manager took the bucket, the members of
   * {@code awayNow} it has not heard from since it took it.
   */
  synchronized MailMap mailMap(String user, Set<String> awayNow) {
    UserEntry entry = users.get(user);
    if (entry == null) {
      return new MailMap(user, List.copyOf(waitingFor), List.of(), List.of());
    }
    List<String> unknown = unvouched.stream().filter(awayNow::contains).toList();
    List<MailMap.MailboxLocation> boxes = new ArrayList<>();
    entry.mailboxes.forEach((name, m) -> {
      // The holder record, when there is one, says which of those members may hold this mailbox.
      List<String> unknownHere = m.recorded == null || unknown.isEmpty() ? unknown
          : unknown.stream().filter(m.recorded::contains).toList();
      if (!m.nodes.isEmpty() || !m.missing.isEmpty() || !unknownHere.isEmpty()) {
        Set<String> missing = new TreeSet<>(m.missing);
        missing.addAll(unknownHere);
        boxes.add(new MailMap.MailboxLocation(name, m.uidValidity, m.highestUid, m.highestModSeq, m.conflict,
            List.copyOf(m.nodes), List.copyOf(missing)));
      }
    });
    return new MailMap(user, List.copyOf(waitingFor), List.copyOf(entry.profileNodes), boxes);
  }

  /**
   * Gives {@code count} UIDs above every UID known or given in the mailbox, or refuses while some
   * member has not reported (its fragment may hold higher UIDs). A mailbox never seen gets a fresh
   * UIDVALIDITY from {@code freshUidValidity}. When the numbers are not reserved yet, asks the caller
   * to reserve them first ({@link Step.Reserve}, {@link Step.Wait}), or refuses with
   * {@link Answer.Unreserved} when no live member holds the user's profile.
   */
  synchronized Step<UidGrant> allocate(String user, String mailbox, int count, LongSupplier freshUidValidity) {
    if (!waitingFor.isEmpty()) {
      return new Step.Done<>(new Answer.Incomplete<>(bucket, List.copyOf(waitingFor)));
    }
    UserEntry entry = users.computeIfAbsent(user, u -> new UserEntry());
    MailboxEntry box = entry.mailboxes
        .computeIfAbsent(mailbox, name -> new MailboxEntry(freshUidValidity.getAsLong(), 0, 0, null));
    if (box.renumbering != null) {
      return new Step.Wait<>(box.renumbering);
    }
    if (box.highestUid + count > MAX_UID) {
      // UIDs are never reused: the mailbox starts over under a new UIDVALIDITY (cluster.mail.Renumberer).
      usedUp(user, mailbox, box);
      return new Step.Done<>(new Answer.Unreserved<>("the UIDs of " + user + "/" + mailbox + " under UIDVALIDITY "
          + box.uidValidity + " are used up; it is being renumbered under a new one"));
    }
    Step<UidGrant> first = reserveFirst(user, mailbox, entry, box, box.highestUid + count, box.highestModSeq + count);
    if (first != null) {
      return first;
    }
    var grant = new UidGrant(mailbox, box.uidValidity, box.highestUid + 1, count, box.highestModSeq + 1,
        box.placementNodes(), watchers.containsKey(user), Fence.NONE); // the service adds the fence
    box.highestUid += count;
    box.highestModSeq += count;
    return new Step.Done<>(new Answer.Ok<>(grant));
  }

  /**
   * Gives one MODSEQ above every MODSEQ known or given in the mailbox, or refuses while some member
   * has not reported (its fragment may hold higher MODSEQs); reserved first as for {@link #allocate}.
   *
   * @throws IllegalArgumentException for a mailbox this manager does not know
   */
  synchronized Step<ModSeqGrant> allocateModSeq(String user, String mailbox) {
    if (!waitingFor.isEmpty()) {
      return new Step.Done<>(new Answer.Incomplete<>(bucket, List.copyOf(waitingFor)));
    }
    MailboxEntry box = mailbox(user, mailbox);
    if (box == null) {
      throw new IllegalArgumentException("mailbox " + user + "/" + mailbox + " is unknown to its manager " + self
          + " (bucket " + bucket + "): no MODSEQ given");
    }
    if (box.renumbering != null) {
      return new Step.Wait<>(box.renumbering);
    }
    Step<ModSeqGrant> first = reserveFirst(user, mailbox, users.get(user), box, 0, box.highestModSeq + 1);
    if (first != null) {
      return first;
    }
    box.highestModSeq++;
    return new Step.Done<>(new Answer.Ok<>(new ModSeqGrant(box.uidValidity, box.highestModSeq, box.placementNodes())));
  }

  /**
   * Null when UIDs up to {@code uidNeeded} and MODSEQs up to {@code modSeqNeeded} are reserved;
   * otherwise what the caller must do first. Starts a reservation of a block beyond the need when
   * none is in flight for the mailbox.
   */
  private <T> Step<T> reserveFirst(String user, String mailbox, UserEntry entry, MailboxEntry box, long uidNeeded,
      long modSeqNeeded) {
    if (uidNeeded <= box.reservedUid && modSeqNeeded <= box.reservedModSeq && box.holdersRecorded()) {
      return null;
    }
    return startReservation(user, mailbox, entry, box, uidNeeded, modSeqNeeded, null);
  }

  /**
   * A reservation of the numbers up to the need (a block beyond it when the need is above what is
   * reserved) that also records every node that may hold the mailbox, {@code newHolder} included
   * (when not null); or the step to wait for the one in flight, or the refusal without a profile node.
   */
  private <T> Step<T> startReservation(String user, String mailbox, UserEntry entry, MailboxEntry box,
      long uidNeeded, long modSeqNeeded, String newHolder) {
    if (box.reserving != null) {
      return new Step.Wait<>(box.reserving.done);
    }
    if (entry.profileNodes.isEmpty()) {
      return new Step.Done<>(new Answer.Unreserved<>("no live member holds the profile of " + user
          + ", so " + self + " cannot reserve numbers of " + mailbox + " or record who holds it"));
    }
    List<String> nodes = reservationNodes(entry, box);
    if (nodes == null) {
      return new Step.Done<>(new Answer.Unreserved<>(tooFewMembers(user, mailbox)));
    }
    long uid = uidNeeded <= box.reservedUid ? box.reservedUid : Math.min(MAX_UID, uidNeeded + UID_BLOCK);
    long modSeq = modSeqNeeded <= box.reservedModSeq ? box.reservedModSeq : modSeqNeeded + MODSEQ_BLOCK;
    // Everyone who may hold part of the mailbox, so that the record is complete as of this write.
    Set<String> holders = new TreeSet<>(box.nodes);
    holders.addAll(nodes); // the reservation gives them a fragment
    holders.addAll(box.missing);
    holders.addAll(unvouched);
    holders.addAll(waitingFor);
    if (box.recorded != null) {
      holders.addAll(box.recorded);
    }
    if (newHolder != null) {
      holders.add(newHolder);
    }
    box.reserving = new Reservation(new ReservedWatermarks(user, mailbox, box.uidValidity, uid, modSeq,
        java.util.Optional.of(holders)), nodes, entry, box);
    return new Step.Reserve<>(box.reserving);
  }

  /**
   * The nodes a reservation of {@code box} goes to: every live profile node, then other members up
   * to a majority of the cluster (the view's members and those presumed down) — holders of the
   * mailbox first, then this node, then the rest in view order. Null when the view holds no majority.
   * Any two majorities meet, and every manager hears every member of its view before it gives a
   * number, so whichever manager comes next hears of every reservation made before it — even when
   * the profile nodes it hears missed one (RELIABILITY.md, finding 10).
   */
  private List<String> reservationNodes(UserEntry entry, MailboxEntry box) {
    int needed = majority();
    Set<String> nodes = new LinkedHashSet<>(entry.profileNodes);
    List<String> standIns = new ArrayList<>(box.nodes);
    standIns.add(self);
    standIns.addAll(members);
    // Members that refused one lately last, and only when there are not enough others.
    for (boolean refusedToo : new boolean[] {false, true}) {
      for (String node : standIns) {
        if (nodes.size() >= needed) {
          break;
        }
        if (members.contains(node) && (refusedToo || !refusedReservations.contains(node))) {
          nodes.add(node);
        }
      }
    }
    return nodes.size() < needed ? null : List.copyOf(nodes);
  }

  /** How many nodes make a majority of the cluster: the view's members and those presumed down. */
  private int majority() {
    Set<String> cluster = new HashSet<>(members);
    cluster.addAll(presumedDown.get());
    return cluster.size() / 2 + 1;
  }

  private String tooFewMembers(String user, String mailbox) {
    Set<String> down = new TreeSet<>(presumedDown.get());
    down.removeAll(members);
    return self + " cannot reserve numbers of " + user + "/" + mailbox + ": only " + members.size() + " of "
        + (members.size() + down.size()) + " members are in its view (" + String.join(", ", down)
        + " presumed down), and a reservation must reach a majority, " + majority()
        + ", so that every later manager hears of it";
  }

  /**
   * The outcome of a reservation this state handed out: when every node took it ({@code ok}), the
   * numbers count as reserved (and those nodes now hold a fragment of the mailbox), unless the
   * mailbox changed meanwhile (another UIDVALIDITY, renamed, or a new profile node that does not
   * hold them). Either way the mailbox may start another one, and those waiting try again.
   */
  synchronized void reserved(Reservation r, boolean ok) {
    reserved(r, ok, null);
  }

  /**
   * As {@link #reserved(Reservation, boolean)}, naming the node that refused or did not answer, if
   * one did: unless it is a profile node (which must take every reservation), the next reservations
   * go to other members where there are enough, until one succeeds.
   */
  synchronized void reserved(Reservation r, boolean ok, String refusedBy) {
    if (ok) {
      refusedReservations.clear();
    } else if (refusedBy != null && !r.user.profileNodes.contains(refusedBy)) {
      refusedReservations.add(refusedBy);
    }
    if (r.box.reserving == r) {
      r.box.reserving = null;
    }
    ReservedWatermarks q = r.request;
    if (ok && r.box.uidValidity == q.uidValidity() && mailbox(q.user(), q.mailbox()) == r.box
        && r.nodes.containsAll(r.user.profileNodes)) {
      r.box.reservedUid = Math.max(r.box.reservedUid, q.uid());
      r.box.reservedModSeq = Math.max(r.box.reservedModSeq, q.modSeq());
      r.nodes.stream().filter(members::contains).forEach(n -> r.box.reservedOn(n, r.user.profileNodes.contains(n)));
      q.holders().ifPresent(r.box::recorded);
    }
    r.done.complete(null);
  }

  /**
   * A node created a fragment of a mailbox with {@code uidValidity}. A mailbox without other holders
   * takes that UIDVALIDITY; when it changes (the mailbox was deleted and created again) the UIDs
   * start again at 1 while MODSEQs continue above the old ones. Another UIDVALIDITY while other nodes
   * hold fragments is a conflict, as in a report.
   */
  synchronized void mailboxCreated(String user, String mailbox, long uidValidity, String node) {
    Map<String, MailboxEntry> boxes = users.computeIfAbsent(user, u -> new UserEntry()).mailboxes;
    MailboxEntry box = boxes.get(mailbox);
    if (box == null) {
      boxes.put(mailbox, new MailboxEntry(uidValidity, 0, 0, node));
    } else if (box.uidValidity == uidValidity) {
      box.nodes.add(node);
      box.reserveOnly.remove(node);
    } else if (box.nodes.isEmpty() || box.nodes.equals(Set.of(node))) {
      // Created again: a node holds one fragment per mailbox, so its own old one is gone too.
      box.uidValidity = uidValidity;
      box.highestUid = 0;
      box.forgetReservation();
      box.recorded = null; // the profile node's record went with the old mailbox
      box.conflict = false;
      box.nodes.clear();
      box.reserveOnly.clear();
      box.nodes.add(node);
    } else {
      box.merge(node, uidValidity, 0, 0, user, mailbox);
    }
  }

  /**
   * A node deleted its fragment of a mailbox; the watermarks stay. The fragment may have taken a
   * reservation with it (a majority may no longer hold it), so nothing counts as reserved any more:
   * the next allocation reserves again.
   */
  synchronized void fragmentDropped(String user, String mailbox, String node) {
    MailboxEntry box = mailbox(user, mailbox);
    if (box != null) {
      box.nodes.remove(node);
      box.reserveOnly.remove(node);
      box.missing.remove(node);
      box.forgetReservation();
    }
  }

  /**
   * Moves the entries of {@code from} and its inferiors to the new names, with their nodes and
   * watermarks. All or nothing: a target entry without fragment nodes is replaced, one with nodes
   * fails the whole rename.
   *
   * @throws IllegalStateException when a target mailbox has fragments
   * @throws IllegalArgumentException when {@code from} is INBOX, whose rename is a creation
   */
  synchronized void mailboxRenamed(String user, String from, String to) {
    if (from.equals(MailStore.INBOX)) {
      // RENAME INBOX moves INBOX's messages into a new mailbox and leaves INBOX (and its inferiors) in place.
      throw new IllegalArgumentException("renaming INBOX of " + user + " creates " + to
          + ": register that mailbox as created instead");
    }
    UserEntry entry = users.get(user);
    if (entry == null || from.equals(to)) {
      return;
    }
    Set<String> sources = new TreeSet<>();
    for (String name : entry.mailboxes.keySet()) {
      if (name.equals(from) || (name.startsWith(from) && name.charAt(from.length()) == '/')) {
        sources.add(name);
      }
    }
    for (String source : sources) {
      String target = to + source.substring(from.length());
      MailboxEntry existing = entry.mailboxes.get(target);
      // A source in the way moves away in the same step (a mailbox renamed into its own inferior).
      if (existing != null && !sources.contains(target) && !existing.nodes.isEmpty()) {
        throw new IllegalStateException("cannot rename " + user + "/" + from + " to " + to + ": " + target
            + " exists with fragments on " + String.join(", ", existing.nodes));
      }
    }
    Map<String, MailboxEntry> moved = new HashMap<>();
    sources.forEach(source -> moved.put(to + source.substring(from.length()), entry.mailboxes.remove(source)));
    entry.mailboxes.putAll(moved);
  }

  /** Registers ({@code on}) or unregisters {@code node} as watching the user's changes. */
  synchronized void watch(String user, String node, boolean on) {
    if (on) {
      watchers.computeIfAbsent(user, u -> new TreeSet<>()).add(node);
    } else {
      Set<String> nodes = watchers.get(user);
      if (nodes != null && nodes.remove(node) && nodes.isEmpty()) {
        watchers.remove(user);
      }
    }
  }

  /**
   * Gives the user's maildrop lock to {@code node}'s session {@code token}: true when it is theirs
   * now (also when they held it already), false while another node's session holds it. A node's new
   * session replaces its earlier one: a node gives each user's maildrop to one session at a time,
   * so its earlier session has ended and that lock's release is still on its way. Refused while
   * some member has not reported: its sessions may hold the lock.
   */
  synchronized Answer<Boolean> lockMaildrop(String user, String node, long token) {
    if (!waitingFor.isEmpty()) {
      return new Answer.Incomplete<>(bucket, List.copyOf(waitingFor));
    }
    Map<String, Long> holders = maildropLocks.computeIfAbsent(user, u -> new TreeMap<>());
    if (holders.keySet().stream().anyMatch(holder -> !holder.equals(node))) {
      return new Answer.Ok<>(false);
    }
    holders.put(node, token);
    return new Answer.Ok<>(true);
  }

  /**
   * Claims {@code mailbox}'s messages up to {@code upTo} as {@code \Recent} (0: claims nothing) and
   * returns the highest UID claimed before under {@code uidValidity} (0 when none, or when the claims
   * were made under another UIDVALIDITY, which they then no longer count for).
   */
  synchronized long claimRecent(String user, String mailbox, long uidValidity, long upTo) {
    String key = user + "\0" + mailbox;
    long[] claimed = recentClaims.get(key);
    long before = claimed != null && claimed[0] == uidValidity ? claimed[1] : 0;
    if (upTo > before) {
      recentClaims.put(key, new long[] {uidValidity, upTo});
    }
    return before;
  }

  /**
   * Takes back the lock of {@code node}'s session {@code token}, if it is held (another session's
   * stays). Refused while some member has not reported, since its report may still bring the lock.
   */
  synchronized Answer<Boolean> unlockMaildrop(String user, String node, long token) {
    if (!waitingFor.isEmpty()) {
      return new Answer.Incomplete<>(bucket, List.copyOf(waitingFor));
    }
    Map<String, Long> holders = maildropLocks.get(user);
    if (holders != null && holders.remove(node, token) && holders.isEmpty()) {
      maildropLocks.remove(user);
    }
    return new Answer.Ok<>(true);
  }

  /** The nodes whose sessions hold the user's maildrop lock, in name order (for tests and status). */
  synchronized List<String> maildropHolders(String user) {
    return List.copyOf(maildropLocks.getOrDefault(user, Map.of()).keySet());
  }

  /** The nodes watching the user's changes, in name order. */
  synchronized List<String> watchers(String user) {
    return List.copyOf(watchers.getOrDefault(user, Set.of()));
  }

  /**
   * A node now holds (or is about to hold) a fragment of a mailbox this manager numbered. A node the
   * holder record does not name yet is recorded on the profile nodes first ({@link Step.Reserve},
   * as for an allocation), so that the caller acknowledges its messages only once a later manager
   * would know where to look; refused ({@link Answer.Unreserved}) without a live profile node.
   *
   * @param member whether the node is in the view: only then is it listed as a holder in mail maps
   *     (one that is not is still recorded: it may come back with the message)
   * @param awayNow members seen and not in the view now; with none, and no profile node among the
   *     members that all reported, the user has no profile anywhere and there is nobody to record on
   */
  synchronized Step<Void> fragmentStored(String user, String mailbox, String node, boolean member,
      Set<String> awayNow) {
    MailboxEntry box = mailbox(user, mailbox);
    if (box == null) {
      if (!waitingFor.isEmpty()) {
        // A report still to come may bring the mailbox and its profile node's record: ask again then.
        return new Step.Done<>(new Answer.Incomplete<>(bucket, List.copyOf(waitingFor)));
      }
      // Unknown although every member reported: numbered by an earlier manager and stored after the
      // holder's report; its next report brings it. Nothing to record against.
      return new Step.Done<>(new Answer.Ok<>(null));
    }
    if (box.renumbering != null) {
      return new Step.Wait<>(box.renumbering);
    }
    UserEntry entry = users.get(user);
    boolean recorded = box.recorded != null && box.recorded.contains(node);
    if (!recorded && entry.profileNodes.isEmpty()) {
      if (!waitingFor.isEmpty()) {
        return new Step.Done<>(new Answer.Incomplete<>(bucket, List.copyOf(waitingFor))); // one may hold the profile
      }
      recorded = awayNow.isEmpty(); // else a member away may be the profile node: refused below
    }
    if (recorded) {
      if (member) {
        box.nodes.add(node);
        box.reserveOnly.remove(node); // it holds a message now
      }
      return new Step.Done<>(new Answer.Ok<>(null));
    }
    return startReservation(user, mailbox, entry, box, 0, 0, node);
  }

  /** The mailboxes whose fragments disagree on UIDVALIDITY, once every member has reported; empty before. */
  synchronized List<MailboxConflict> conflicts() {
    if (!waitingFor.isEmpty() || !mayHaveConflicts) {
      return List.of();
    }
    List<MailboxConflict> found = new ArrayList<>();
    users.forEach((user, entry) -> entry.mailboxes.forEach((name, box) -> {
      if (box.conflict || box.exhausted) {
        found.add(new MailboxConflict(user, name, box.conflicts, box.exhausted));
      }
    }));
    mayHaveConflicts = !found.isEmpty(); // so that the periodic look costs nothing while there are none
    return found;
  }

  /**
   * Starts the renumbering of a conflict: the mailbox keeps its UIDVALIDITY (the highest reported),
   * and the {@code count} messages of the other fragments take the next UIDs, all with the next
   * MODSEQ. For a mailbox whose UIDs are used up ({@link MailboxConflict#exhausted}), the mailbox
   * takes a UIDVALIDITY above its old one (from {@code freshUidValidity} when that is higher) and
   * all its {@code count} messages take UIDs from 1. Those numbers count as given now; allocations
   * in the mailbox wait until {@link #finishRenumbering}. Null when it cannot start now: the conflict
   * is unknown or a newer one came, a member has not reported, or a reservation or renumbering is in
   * flight; or when there is no room above the highest UID, which makes it an exhausted mailbox.
   */
  synchronized RenumberStart beginRenumbering(MailboxConflict conflict, int count, LongSupplier freshUidValidity) {
    MailboxEntry box = mailbox(conflict.user(), conflict.mailbox());
    if (box == null || !waitingFor.isEmpty() || box.conflicts != conflict.generation() || box.renumbering != null
        || box.reserving != null || conflict.exhausted() != box.exhausted) {
      return null;
    }
    UserEntry entry = users.get(conflict.user());
    List<String> reserving = reservationNodes(entry, box);
    if (reserving == null) {
      return null;
    }
    long firstUid;
    if (conflict.exhausted()) {
      if (count > MAX_UID || box.uidValidity >= MAX_UID) {
        return null;
      }
      // Every message starts over at UID 1 under a UIDVALIDITY above the old one.
      box.uidValidity = Math.min(MAX_UID, Math.max(freshUidValidity.getAsLong(), box.uidValidity + 1));
      box.forgetReservation();
      box.exhausted = false;
      firstUid = 1;
      box.highestUid = count;
    } else if (box.highestUid + count > MAX_UID) {
      usedUp(conflict.user(), conflict.mailbox(), box); // no room above: renumber everything instead
      return null;
    } else {
      firstUid = box.highestUid + 1;
      box.highestUid += count;
    }
    box.highestModSeq++;
    Set<String> holders = new TreeSet<>(box.nodes);
    holders.addAll(reserving);
    holders.addAll(box.missing);
    holders.addAll(unvouched);
    if (box.recorded != null) {
      holders.addAll(box.recorded);
    }
    box.renumbering = new CompletableFuture<>();
    return new RenumberStart(box.uidValidity, firstUid, count, box.highestModSeq,
        Math.min(MAX_UID, box.highestUid + UID_BLOCK), box.highestModSeq + MODSEQ_BLOCK, reserving, holders, Fence.NONE);
  }

  /**
   * Ends a renumbering started by {@link #beginRenumbering}: when every fragment was renumbered and
   * every profile node took the reservation ({@code ok}), the reservation counts and the conflict is
   * settled unless a newer one came; otherwise nothing counts as reserved any more. Allocations go on.
   */
  synchronized void finishRenumbering(MailboxConflict conflict, RenumberStart start, boolean ok) {
    MailboxEntry box = mailbox(conflict.user(), conflict.mailbox());
    if (box == null) {
      return;
    }
    if (ok && box.uidValidity == start.uidValidity()
        && new TreeSet<>(start.reservationNodes()).containsAll(users.get(conflict.user()).profileNodes)) {
      box.reservedUid = Math.max(box.reservedUid, start.reservedUid());
      box.reservedModSeq = Math.max(box.reservedModSeq, start.reservedModSeq());
      start.reservationNodes().stream().filter(members::contains)
          .forEach(n -> box.reservedOn(n, users.get(conflict.user()).profileNodes.contains(n)));
      box.recorded(start.holders());
      if (box.conflicts == conflict.generation()) {
        box.conflict = false;
      }
    } else {
      box.forgetReservation();
      if (conflict.exhausted()) {
        // The mailbox has its new UIDVALIDITY; fragments not renumbered yet are a disagreement now.
        box.conflict = true;
        box.conflicts++;
        mayHaveConflicts = true;
      }
    }
    CompletableFuture<Void> done = box.renumbering;
    box.renumbering = null;
    if (done != null) {
      done.complete(null);
    }
  }

  /** A node created the user's profile ({@code present}) or deleted it. */
  synchronized void profileStored(String user, String node, boolean present) {
    if (present) {
      UserEntry entry = users.computeIfAbsent(user, u -> new UserEntry());
      if (entry.profileNodes.add(node)) {
        // A new profile node holds no reservation yet: the next allocation of each mailbox makes one.
        entry.mailboxes.values().forEach(MailboxEntry::forgetReservation);
      }
    } else {
      UserEntry entry = users.get(user);
      if (entry != null) {
        entry.profileNodes.remove(node);
      }
    }
  }

  /** Marks a mailbox whose UIDs are used up under its UIDVALIDITY, for a renumbering under a new one. */
  private void usedUp(String user, String mailbox, MailboxEntry box) {
    if (!box.exhausted) {
      log.warn("{}: the UIDs of {}/{} under UIDVALIDITY {} are used up (highest {}); renumbering it under a new one",
          self, user, mailbox, box.uidValidity, box.highestUid);
      box.exhausted = true;
      box.conflicts++;
      mayHaveConflicts = true;
    }
  }

  private MailboxEntry mailbox(String user, String mailbox) {
    UserEntry entry = users.get(user);
    return entry == null ? null : entry.mailboxes.get(mailbox);
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
    /** UIDs and MODSEQs up to these are durable on a majority of the cluster (see the class javadoc). */
    long reservedUid;
    long reservedModSeq;
    /** The reservation in flight for this mailbox, if any. */
    Reservation reserving;
    /** Completed when the renumbering in progress ends; allocations wait for it. Null when none is. */
    CompletableFuture<Void> renumbering;
    boolean conflict;
    /** The UIDs under {@link #uidValidity} are used up: every message is to be renumbered under a new one. */
    boolean exhausted;
    /** Counts the disagreements seen, so that a renumbering clears {@link #conflict} only if no new one came meanwhile. */
    long conflicts;
    final Set<String> nodes = new TreeSet<>();
    /**
     * Holders among {@link #nodes}, other than profile nodes, that hold no message: their fragment was
     * made by a reservation (members taking it to make up a majority) or reported empty, and no message
     * was stored there since. Not offered for placement (the spread counts the nodes holding mail)
     * and, holding nothing, not missing when they leave.
     */
    final Set<String> reserveOnly = new TreeSet<>();
    /** Holders that left the view since this manager has had the bucket: their fragments are out of reach. */
    final Set<String> missing = new TreeSet<>();
    /** The profile nodes' holder record as read or written by this manager; null when it knows none. */
    Set<String> recorded;

    MailboxEntry(long uidValidity, long highestUid, long highestModSeq, String node) {
      this.uidValidity = uidValidity;
      this.highestUid = highestUid;
      this.highestModSeq = highestModSeq;
      if (node != null) {
        nodes.add(node);
      }
    }

    /** Adds what {@code node} holds of this mailbox (from a report or a creation). */
    void merge(String node, long otherUidValidity, long otherHighestUid, long otherHighestModSeq, String user,
        String mailbox) {
      nodes.add(node);
      if (otherUidValidity > uidValidity) {
        forgetReservation(); // it was made under the UIDVALIDITY now given up
      }
      if (otherUidValidity != uidValidity) {
        // Until the renumbering (cluster.mail.Renumberer) settles it: the higher UIDVALIDITY (the same
        // whatever order reports come in) and the higher highest UID.
        log.warn("{}: UIDVALIDITY conflict in bucket {} for {}/{}: {} reports {}, known {}; keeping {} and highest UID {}"
            + " until the mailbox is renumbered", self, bucket, user, mailbox, node, otherUidValidity, uidValidity,
            Math.max(uidValidity, otherUidValidity), Math.max(highestUid, otherHighestUid));
        conflict = true;
        conflicts++;
        mayHaveConflicts = true;
        uidValidity = Math.max(uidValidity, otherUidValidity);
      }
      highestUid = Math.max(highestUid, otherHighestUid);
      highestModSeq = Math.max(highestModSeq, otherHighestModSeq);
    }

    /**
     * A profile node reported holding {@code uid}/{@code modSeq} (stored or reserved) durably. When it
     * is the only profile node that is the reservation; otherwise it holds only where all of them do.
     */
    void durableOnNewProfileNode(long uid, long modSeq, boolean only) {
      reservedUid = only ? uid : Math.min(reservedUid, uid);
      reservedModSeq = only ? modSeq : Math.min(reservedModSeq, modSeq);
    }

    void forgetReservation() {
      reservedUid = 0;
      reservedModSeq = 0;
    }

    /** {@code node} took a reservation, which gave it a fragment if it had none. */
    void reservedOn(String node, boolean profileNode) {
      if (nodes.add(node) && !profileNode) {
        reserveOnly.add(node);
      }
    }

    /** The holders a delivery may prefer: those that may hold mail, and the profile nodes. */
    List<String> placementNodes() {
      if (reserveOnly.isEmpty()) {
        return List.copyOf(nodes);
      }
      return nodes.stream().filter(n -> !reserveOnly.contains(n)).toList();
    }

    /** Adds to what this manager knows the holder record names (records only grow). */
    void recorded(Set<String> holders) {
      if (recorded == null) {
        recorded = new TreeSet<>();
      }
      recorded.addAll(holders);
    }

    /** Whether the holder record names every node known to hold a fragment. */
    boolean holdersRecorded() {
      return recorded != null && recorded.containsAll(nodes);
    }
  }

  /** What an allocation needs next. */
  sealed interface Step<T> {
    /** The answer to send. */
    record Done<T>(Answer<T> answer) implements Step<T> {}

    /** Reserve on the reservation's nodes first, then report the outcome with {@link BucketState#reserved} and try again. */
    record Reserve<T>(Reservation reservation) implements Step<T> {}

    /** Another request is reserving the mailbox's numbers: wait for {@code done}, then try again. */
    record Wait<T>(CompletableFuture<Void> done) implements Step<T> {}
  }

  /** One reservation in flight: the request for each node it goes to, and where its outcome goes. */
  final class Reservation {
    private final ReservedWatermarks request;
    private final List<String> nodes;
    private final UserEntry user;
    private final MailboxEntry box;
    private final CompletableFuture<Void> done = new CompletableFuture<>();

    private Reservation(ReservedWatermarks request, List<String> nodes, UserEntry user, MailboxEntry box) {
      this.request = request;
      this.nodes = nodes;
      this.user = user;
      this.box = box;
    }

    ReservedWatermarks request() {
      return request;
    }

    /** The profile nodes and the other members making up a majority, each of which must take the reservation. */
    List<String> nodes() {
      return nodes;
    }
  }
}
