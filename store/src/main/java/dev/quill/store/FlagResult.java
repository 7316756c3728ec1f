package dev.quill.store;

import java.util.List;
import java.util.Set;

/**
 * The outcome of a flag update: the messages whose flags are now as listed (with their new
 * MODSEQ; unchanged ones keep theirs), and the UIDs not changed because of UNCHANGEDSINCE.
 */
public record FlagResult(List<MessageMeta> updated, Set<Long> modified) {}
