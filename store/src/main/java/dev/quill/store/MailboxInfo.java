package dev.quill.store;

/**
 * A mailbox's counters: its store-wide id, UIDVALIDITY, the next UID to assign (UIDs rise
 * strictly and are never reused within one UIDVALIDITY), the highest MODSEQ, and the number
 * and total size of its messages.
 */
public record MailboxInfo(
    long id, String user, String name, long uidValidity, long uidNext, long highestModSeq,
    int messageCount, long totalBytes) {}
