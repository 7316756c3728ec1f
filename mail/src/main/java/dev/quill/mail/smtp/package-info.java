/**
 * SMTP (RFC 5321) and message submission (RFC 6409): {@link dev.quill.mail.smtp.SmtpService} wires the
 * {@link dev.quill.mail.smtp.codec codec} and the {@link dev.quill.mail.smtp.session session} to a socket.
 */
package dev.quill.mail.smtp;
