/**
 * POP3 (RFC 1939, with CAPA RFC 2449, STLS RFC 2595, AUTH RFC 5034), served by
 * {@link dev.quill.mail.pop3.Pop3Service} in three layers: {@code codec} (lines to commands,
 * messages to byte-stuffed output), {@code session} (the state machine, over a storage port) and
 * this package's glue over {@link dev.quill.mail.net.Connection}.
 */
package dev.quill.mail.pop3;
