/**
 * Mail across nodes: where a new message is stored ({@link dev.quill.cluster.mail.LoadBalancer}),
 * the storing side ({@link dev.quill.cluster.mail.FragmentService}) and the whole delivery path
 * ({@link dev.quill.cluster.mail.ClusterDelivery}). The SMTP, POP3 and IMAP services do not go
 * through this package yet.
 */
package dev.quill.cluster.mail;
