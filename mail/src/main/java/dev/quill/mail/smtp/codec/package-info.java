/** SMTP wire format (RFC 5321): command parsing, replies and DATA transparency, without sessions or sockets. */
package dev.quill.mail.smtp.codec;
