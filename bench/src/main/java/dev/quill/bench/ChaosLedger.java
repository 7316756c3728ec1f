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
 * confirmed (UID EXPUNGE answered OK), and every delete tried without a confirmation (it may or
 * may not have happened). Messages are named by a token in their Subject, unique in the run.
 */
final class ChaosLedger {
  private final Map<String, Set<String>> acked = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> deleted = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> uncertain = new ConcurrentHashMap<>();

  void acked(String user, String token) {
    acked.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(token);
  }

  void deleted(String user, String token) {
    deleted.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(token);
  }

  void deleteUncertain(String user, String token) {
    uncertain.computeIfAbsent(user, u -> ConcurrentHashMap.newKeySet()).add(token);
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
