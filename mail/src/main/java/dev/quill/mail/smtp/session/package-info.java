/** The SMTP dialogue (RFC 5321, RFC 6409) as a state machine over parsed commands, without sockets. */
package dev.quill.mail.smtp.session;
