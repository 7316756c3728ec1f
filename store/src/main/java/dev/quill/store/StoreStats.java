package dev.quill.store;

/**
 * Engine counters: commits (write batches), syncs (fsyncs of the log — with group commit far
 * fewer than commits under load), messages stored and quarantined records.
 */
public record StoreStats(long commits, long syncs, long messagesStored, long quarantined) {}
