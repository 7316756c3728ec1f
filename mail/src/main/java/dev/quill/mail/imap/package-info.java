/**
 * IMAP (RFC 9051 IMAP4rev2 and RFC 3501 IMAP4rev1), served by
 * {@link dev.quill.mail.imap.ImapService} in three layers: {@code codec} (wire format to command
 * records and responses), {@code session} (the state machine over a storage port) and this
 * package's glue over {@link dev.quill.mail.net.Connection}. See docs/IMAP.md.
 */
package dev.quill.mail.imap;
