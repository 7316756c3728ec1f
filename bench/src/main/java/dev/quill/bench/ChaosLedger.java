package dev.quill.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the chaos load was told: every message acknowledged (SMTP 250 after DATA), every delete
 * confirmed (UID EXPUNGE answered OK), every delete tried without a confirmation (it may or
 * may not have happened), and the {@code \Flagged} flag each message must end with — the value of
 * the last confirmed flag change, unless a change was ever left unconfirmed (it may still land, at any
 * time, so nothing is expected of that message). Messages are named by a token in their Subject,
 * unique in the run.
 */
final class ChaosLedger {
  private final Map<String, Set<String>> acked = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> deleted = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> uncertain = new ConcurrentHashMap<>();
  /** user → token → whether \Flagged must be set; absent: never changed or uncertain. */
  private final Map<String, Map<String, Boolean>> flagged = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> flagUncertain = new ConcurrentHashMap<>();

  void acked(String user, String token) {
    acked.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(token);
  }

  void deleted(String user, String token) {
    deleted.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(token);
  }

  void deleteUncertain(String user, String token) {
    uncertain.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(token);
  }

  /** A confirmed change of {@code \Flagged} on {@code token} (one flag changer, so changes are in order). */
  void flagged(String user, String token, boolean set) {
    if (!flagUncertain(user).contains(token)) {
      flagged.computeIfAbsent(user, u -> new ConcurrentHashMap<>()).put(token, set);
    }
  }

  /** A change of {@code \Flagged} on {@code token} that was sent but not confirmed: its end state is unknown. */
  void flagUncertain(String user, String token) {
    flagUncertain.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(token);
    Map<String, Boolean> expected = flagged.get(user);
    if (expected != null) {
      expected.remove(token);
    }
  }

  /** For each of {@code user}'s messages whose end state of {@code \Flagged} is known: whether it is set. */
  Map<String, Boolean> expectedFlagged(String user) {
    return Map.copyOf(flagged.getOrDefault(user, Map.of()));
  }

  Set<String> flagUncertain(String user) {
    return Set.copyOf(flagUncertain.getOrDefault(user, Set.of()));
  }

  int flagChangesKnown() {
    return flagged.values().stream().mapToInt(Map::size).sum();
  }

  /** An acknowledged message of {@code user} not deleted yet nor tried, if any. */
  Optional<String> deletable(String user, Random random) {
    List<String> candidates = new ArrayList<>(acked.getOrDefault(user, Set.of()));
    candidates.removeAll(deleted.getOrDefault(user, Set.of()));
    candidates.removeAll(uncertain.getOrDefault(user, Set.of()));
    return candidates.isEmpty() ? Optional.empty() : Optional.of(candidates.get(random.nextInt(candidates.size())));
  }

  Set<String> acked(String user) {
    return Set.copyOf(acked.getOrDefault(user, Set.of()));
  }

  Set<String> deleted(String user) {
    return Set.copyOf(deleted.getOrDefault(user, Set.of()));
  }

  Set<String> uncertain(String user) {
    return Set.copyOf(uncertain.getOrDefault(user, Set.of()));
  }

  int ackedCount() {
    return acked.values().stream().mapToInt(Set::size).sum();
  }

  int deletedCount() {
    return deleted.values().stream().mapToInt(Set::size).sum();
  }
}
