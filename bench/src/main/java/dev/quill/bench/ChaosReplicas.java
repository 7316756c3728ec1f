package dev.quill.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chaos checker's comparison of the replicas themselves: each node's own copies, as {@code quill
 * debug fragments} lists them (never the merged view a client reads), compared message by message
 * across the nodes. Copies of one message must agree on size, checksum and flags; no node may hold a
 * message that a copy's expunge log says was expunged; an acknowledged message must be on at least as
 * many nodes as a write needed before it was acknowledged; and a copy must not be held where no node's
 * reading shows it. Profiles too: each user's profile must be on at least min(R, nodes listed) nodes,
 * and its copies must have one stamp and one digest (password hash, quota, catalog, subscriptions;
 * {@code ProfileImage.digest}).
 *
 * <p>Also counted, without failing the run: copies of one message with equal flags under different
 * MODSEQs (a catch-up numbers its change anew on the copy it repairs, by design), and messages on
 * fewer or more nodes than the replication factor (a write refused with 451 may leave the copies it
 * made, a store that timed out may land late as an extra copy, and nothing re-replicates a message
 * until {@code cluster forget}: known limits, docs/CLUSTER.md).
 */
final class ChaosReplicas {
  private ChaosReplicas() {}

  /** One node's copy of one message. */
  record Copy(long modSeq, long size, String crc32c, Set<String> flags) {
    /** What must agree between copies: everything but the MODSEQ. */
    String content() {
      return "size=" + size + " crc32c=" + crc32c + " flags=" + String.join(" ", flags);
    }
  }

  /** One node's fragment of one mailbox: its UIDVALIDITY, copies by UID and expunge log. */
  record Fragment(long uidValidity, Map<Long, Copy> messages, Set<Long> expunged) {}

  /** One node's copy of one user's profile: the stamp of its last change and the digest of its image. */
  record Profile(long stamp, String digest) {}

  /** What one node holds: user → mailbox → fragment, and user → profile for the profiles held here. */
  record Listing(String node, Map<String, Map<String, Fragment>> users, Map<String, Profile> profiles) {}

  private static final Pattern USER = Pattern.compile(
      "^user (\\S+) profile=(here|elsewhere) mailboxes=\\d+(?: stamp=(\\d+) digest=([0-9a-f]+))?$");
  private static final Pattern MAILBOX = Pattern.compile(
      "^mailbox (.+) uidvalidity=(\\d+) uidnext=\\d+ highestmodseq=\\d+ messages=\\d+ expunged=\\d+$");
  private static final Pattern MESSAGE = Pattern.compile(
      "^uid=(\\d+) modseq=(\\d+) size=(\\d+) crc32c=([0-9a-f]+) flags=(.*)$");

  /** Parses the text of {@code quill debug fragments}; refuses a line it does not know, so a format change is seen. */
  static Listing parse(String node, String text) {
    Map<String, Map<String, Fragment>> users = new LinkedHashMap<>();
    Map<String, Profile> profiles = new LinkedHashMap<>();
    Map<String, Fragment> mailboxes = null;
    Fragment fragment = null;
    for (String raw : text.lines().toList()) {
      String line = raw.strip();
      Matcher m;
      if (line.isEmpty() || line.startsWith("node ")) {
        continue;
      }
      if ((m = USER.matcher(line)).matches()) {
        mailboxes = users.computeIfAbsent(m.group(1), u -> new LinkedHashMap<>());
        fragment = null;
        if (m.group(2).equals("here") != (m.group(3) != null)) {
          throw new IllegalArgumentException(node + ": a profile here needs a stamp and digest, and only then: " + raw);
        }
        if (m.group(3) != null) {
          profiles.put(m.group(1), new Profile(Long.parseLong(m.group(3)), m.group(4)));
        }
      } else if ((m = MAILBOX.matcher(line)).matches() && mailboxes != null) {
        fragment = new Fragment(Long.parseLong(m.group(2)), new TreeMap<>(), new TreeSet<>());
        mailboxes.put(m.group(1), fragment);
      } else if ((m = MESSAGE.matcher(line)).matches() && fragment != null) {
        Set<String> flags = new TreeSet<>(List.of(m.group(5).split(" ")));
        flags.remove("");
        fragment.messages().put(Long.parseLong(m.group(1)),
            new Copy(Long.parseLong(m.group(2)), Long.parseLong(m.group(3)), m.group(4), flags));
      } else if (line.startsWith("expunged") && fragment != null) {
        for (String uid : line.substring("expunged".length()).strip().split(" +")) {
          if (!uid.isEmpty()) {
            fragment.expunged().add(Long.parseLong(uid));
          }
        }
      } else {
        throw new IllegalArgumentException(node + ": unexpected line in debug fragments: " + raw);
      }
    }
    return new Listing(node, users, profiles);
  }

  /**
   * What the comparison found.
   *
   * @param messages distinct messages (user, mailbox, UID) held anywhere
   * @param differing messages whose copies differ in size, checksum or flags (or whose fragments
   *     differ in UIDVALIDITY)
   * @param expungedHeld messages held on a node although a copy's expunge log lists them
   * @param belowFloor acknowledged messages on fewer nodes than a write needed to acknowledge
   * @param hidden messages held on some node, expunged nowhere, yet shown by no node's reading
   * @param modSeqDiffers messages whose copies agree but under different MODSEQs (not a failure)
   * @param underReplicated messages on fewer than R nodes (not a failure, see the class comment)
   * @param overReplicated messages on more than R nodes (not a failure)
   * @param unlisted nodes whose listing could not be had (the comparison is then incomplete)
   * @param profiles users whose profile copies were compared
   * @param profilesDiffer users whose profile copies differ in stamp or digest
   * @param profilesUnder users whose profile is on fewer than min(R, nodes listed) nodes
   * @param profilesOver users whose profile is on more than max(R, 2) nodes, the copies a node keeps by
   *     default (not a failure: anti-entropy trims them every 30 s, so a run may end before it did)
   * @param details one line per failure
   * @param notes one line per message on fewer or more than R nodes
   */
  record Report(int messages, int differing, int expungedHeld, int belowFloor, int hidden, int modSeqDiffers,
      int underReplicated, int overReplicated, int unlisted, int profiles, int profilesDiffer, int profilesUnder,
      int profilesOver, List<String> details, List<String> notes) {
    boolean safe() {
      return differing == 0 && expungedHeld == 0 && belowFloor == 0 && hidden == 0 && unlisted == 0
          && profilesDiffer == 0 && profilesUnder == 0;
    }
  }

  /**
   * Compares the listings of every node.
   *
   * @param unlisted why each node that gave no listing gave none
   * @param users the users whose profiles must exist (with those held anywhere, their copies are compared)
   * @param shown user → UID → token of the INBOX messages the nodes' readings showed (the merged view);
   *     a user missing here (not read through every node) gets no verdict on hidden copies
   * @param replicas the replication factor R
   * @param floor how many copies a write needed before it was acknowledged
   */
  static Report compare(List<Listing> listings, List<String> unlisted, Collection<String> users,
      Map<String, Map<Long, String>> shown, ChaosLedger ledger, int replicas, int floor) {
    int messages = 0;
    int differing = 0;
    int expungedHeld = 0;
    int belowFloor = 0;
    int hidden = 0;
    int modSeqDiffers = 0;
    int under = 0;
    int over = 0;
    List<String> details = new ArrayList<>(unlisted);
    List<String> notes = new ArrayList<>();
    Set<String> listed = new TreeSet<>();
    listings.forEach(l -> listed.addAll(l.users().keySet()));
    for (String user : listed) {
      Set<String> boxes = new TreeSet<>();
      listings.forEach(l -> boxes.addAll(l.users().getOrDefault(user, Map.of()).keySet()));
      for (String box : boxes) {
        String where = user + "/" + box;
        Map<String, Fragment> byNode = new LinkedHashMap<>();
        for (Listing l : listings) {
          Fragment f = l.users().getOrDefault(user, Map.of()).get(box);
          if (f != null) {
            byNode.put(l.node(), f);
          }
        }
        Map<Long, List<String>> validities = new TreeMap<>();
        byNode.forEach((node, f) -> validities.computeIfAbsent(f.uidValidity(), v -> new ArrayList<>()).add(node));
        if (validities.size() > 1) {
          differing++;
          details.add(where + ": fragments under different UIDVALIDITY " + validities);
        }
        Map<Long, List<String>> expungedBy = new TreeMap<>();
        Map<Long, Map<String, Copy>> copies = new TreeMap<>();
        byNode.forEach((node, f) -> {
          f.expunged().forEach(uid -> expungedBy.computeIfAbsent(uid, u -> new ArrayList<>()).add(node));
          f.messages().forEach((uid, c) -> copies.computeIfAbsent(uid, u -> new LinkedHashMap<>()).put(node, c));
        });
        for (var e : copies.entrySet()) {
          long uid = e.getKey();
          Map<String, Copy> held = e.getValue();
          messages++;
          String token = box.equals("INBOX") ? shown.getOrDefault(user, Map.of()).get(uid) : null;
          String what = where + " UID " + uid + (token != null ? " (" + token + ")" : "");
          List<String> expunging = expungedBy.get(uid);
          if (expunging != null) {
            expungedHeld++;
            details.add(what + ": held on " + held.keySet() + " although expunged on " + expunging);
          }
          Set<String> contents = new TreeSet<>();
          Set<Long> modSeqs = new TreeSet<>();
          held.values().forEach(c -> {
            contents.add(c.content());
            modSeqs.add(c.modSeq());
          });
          if (contents.size() > 1) {
            differing++;
            details.add(what + ": copies differ: " + describe(held));
          } else if (modSeqs.size() > 1) {
            modSeqDiffers++;
          }
          if (box.equals("INBOX") && shown.containsKey(user) && token == null && expunging == null) {
            hidden++;
            details.add(what + ": held on " + held.keySet() + " but shown by no node");
          }
          boolean acked = token != null && ledger.acked(user).contains(token);
          if (acked && held.size() < floor) {
            belowFloor++;
            details.add(what + ": acknowledged, but only on " + held.keySet() + " (a write needs " + floor + ")");
          }
          if (held.size() < replicas) {
            under++;
            notes.add(what + ": " + held.size() + " of " + replicas + " copies, on " + held.keySet()
                + (acked ? " (acknowledged)" : " (not acknowledged)"));
          } else if (held.size() > replicas) {
            over++;
            notes.add(what + ": " + held.size() + " copies, on " + held.keySet());
          }
        }
      }
    }
    Set<String> profiled = new TreeSet<>(users);
    listings.forEach(l -> profiled.addAll(l.profiles().keySet()));
    int profilesDiffer = 0;
    int profilesUnder = 0;
    int profilesOver = 0;
    int needed = Math.min(replicas, listings.size());
    for (String user : profiled) {
      Map<String, Profile> copies = new LinkedHashMap<>();
      listings.forEach(l -> {
        Profile p = l.profiles().get(user);
        if (p != null) {
          copies.put(l.node(), p);
        }
      });
      if (new java.util.HashSet<>(copies.values()).size() > 1) {
        profilesDiffer++;
        details.add(user + ": profile copies differ: " + copies);
      }
      if (copies.size() < needed) {
        profilesUnder++;
        details.add(user + ": profile on " + copies.size() + " node(s) " + copies.keySet() + ", " + needed
            + " needed");
      }
      if (copies.size() > Math.max(replicas, 2)) {
        profilesOver++;
        notes.add(user + ": profile on " + copies.size() + " nodes " + copies.keySet());
      }
    }
    return new Report(messages, differing, expungedHeld, belowFloor, hidden, modSeqDiffers, under, over,
        unlisted.size(), profiled.size(), profilesDiffer, profilesUnder, profilesOver, details, notes);
  }

  private static String describe(Map<String, Copy> held) {
    Map<String, String> parts = new LinkedHashMap<>();
    held.forEach((node, c) -> parts.put(node, "modseq=" + c.modSeq() + " " + c.content()));
    return parts.toString();
  }
}
