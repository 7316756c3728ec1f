package dev.quill.cluster.directory;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A node's whole list of domains and aliases (alias to target), sent to members that joined. */
record DirectoryList(List<String> domains, Map<String, String> aliases) {
  DirectoryList {
    domains = List.copyOf(domains);
    aliases = Collections.unmodifiableMap(new LinkedHashMap<>(aliases));
  }
}
