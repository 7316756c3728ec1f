/** The POP3 session state machine (RFC 1939 section 3) and the storage port it runs over. */
package dev.quill.mail.pop3.session;
