package dev.quill.cluster.directory;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node's whole list of domains and aliases (alias to target), sent to members that joined, with
 * the stamps of the entries' last changes ({@code dev.quill.store.Versioned}): a stamp of a name
 * not in the list is a tombstone, a name without a stamp was never changed through the cluster.
 */
record DirectoryList(List<String> domains, Map<String, String> aliases, Map<String, Long> domainStamps,
    Map<String, Long> aliasStamps) {
  DirectoryList {
    domains = List.copyOf(domains);
    aliases = Collections.unmodifiableMap(new LinkedHashMap<>(aliases));
    domainStamps = Collections.unmodifiableMap(new LinkedHashMap<>(domainStamps));
    aliasStamps = Collections.unmodifiableMap(new LinkedHashMap<>(aliasStamps));
  }

  /** A list without stamps. */
  DirectoryList(List<String> domains, Map<String, String> aliases) {
    this(domains, aliases, Map.of(), Map.of());
  }
}
