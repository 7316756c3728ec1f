/**
 * The IMAP session (RFC 9051, RFC 3501): {@link dev.quill.mail.imap.session.ImapSession}, a state
 * machine over {@link dev.quill.mail.imap.codec.ImapCommand} records that reaches storage through
 * {@link dev.quill.mail.imap.session.ImapBackend}, with the selected mailbox's view, search
 * evaluation and fetch assembly in their own classes.
 */
package dev.quill.mail.imap.session;
