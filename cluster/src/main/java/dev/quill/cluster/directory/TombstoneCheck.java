package dev.quill.cluster.directory;

import dev.quill.store.Versioned;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Tombstones a node means to drop: names of one kind with the stamps of their deletes. */
record TombstoneCheck(Versioned kind, Map<String, Long> stamps) {
  TombstoneCheck {
    stamps = Collections.unmodifiableMap(new LinkedHashMap<>(stamps));
  }
}
