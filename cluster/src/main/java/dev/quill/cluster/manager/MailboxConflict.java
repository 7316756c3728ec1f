package dev.quill.cluster.manager;

/**
 * A mailbox whose fragments disagree on UIDVALIDITY, as its manager saw it: {@code generation}
 * counts the disagreements reported, so that settling one never hides a newer one.
 */
public record MailboxConflict(String user, String mailbox, long generation) {}
