/**
 * Mail across nodes: where a new message is stored ({@link dev.quill.cluster.mail.LoadBalancer})
 * and the storing side of a delivery ({@link dev.quill.cluster.mail.FragmentService}). The SMTP,
 * POP3 and IMAP services do not go through this package yet.
 */
package dev.quill.cluster.mail;
