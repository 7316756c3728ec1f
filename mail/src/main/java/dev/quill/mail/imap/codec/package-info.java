/**
 * IMAP wire format (RFC 9051, RFC 3501): {@link dev.quill.mail.imap.codec.ImapRequestReader}
 * assembles a command from lines and literals, {@link dev.quill.mail.imap.codec.ImapCommandParser}
 * turns it into an {@link dev.quill.mail.imap.codec.ImapCommand} record, and
 * {@link dev.quill.mail.imap.codec.ImapWriter} formats responses.
 */
package dev.quill.mail.imap.codec;
