/** POP3 wire format (RFC 1939, RFC 2449): command parsing, status lines and byte-stuffed multi-line output. */
package dev.quill.mail.pop3.codec;
