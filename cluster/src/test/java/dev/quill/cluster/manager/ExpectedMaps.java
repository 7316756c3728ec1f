package dev.quill.cluster.manager;

import dev.quill.store.FragmentSummary;
import dev.quill.store.UserFragments;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** The complete mail maps the given nodes' stores imply, computed straight from the stores: the test oracle. */
final class ExpectedMaps {
  private ExpectedMaps() {}

  static Map<String, MailMap> of(List<ManagerNodes.Node> nodes) {
    Map<String, Set<String>> profiles = new TreeMap<>();
    Map<String, Map<String, Box>> boxes = new TreeMap<>();
    for (ManagerNodes.Node node : nodes) {
      for (UserFragments u : node.held()) {
        Set<String> profileNodes = profiles.computeIfAbsent(u.user(), k -> new TreeSet<>());
        if (u.holdsProfile()) {
          profileNodes.add(node.name);
        }
        Map<String, Box> userBoxes = boxes.computeIfAbsent(u.user(), k -> new TreeMap<>());
        for (FragmentSummary f : u.fragments()) {
          userBoxes.computeIfAbsent(f.mailbox(), k -> new Box()).add(node.name, f);
        }
      }
    }
    Map<String, MailMap> maps = new TreeMap<>();
    profiles.forEach((user, profileNodes) -> {
      List<MailMap.MailboxLocation> locations = new ArrayList<>();
      boxes.get(user).forEach((name, b) -> locations.add(new MailMap.MailboxLocation(name, b.uidValidity, b.highestUid,
          b.highestModSeq, b.uidValidities.size() > 1, List.copyOf(b.nodes))));
      maps.put(user, new MailMap(user, List.of(), List.copyOf(profileNodes), locations));
    });
    return maps;
  }

  /** One mailbox over all its fragments. */
  private static final class Box {
    final Set<String> nodes = new TreeSet<>();
    final Set<Long> uidValidities = new TreeSet<>();
    long uidValidity;
    long highestUid;
    long highestModSeq;

    void add(String node, FragmentSummary f) {
      nodes.add(node);
      uidValidities.add(f.uidValidity());
      uidValidity = Math.max(uidValidity, f.uidValidity());
      highestUid = Math.max(highestUid, f.highestUid());
      highestModSeq = Math.max(highestModSeq, f.highestModSeq());
    }
  }
}
