package dev.quill.store;

import java.time.Instant;

/**
 * A message record taken out of service because its bytes failed their checksum; kept in the
 * quarantine column family for an operator to inspect.
 *
 * @param body the bytes as read, or null when they could not be read at all
 */
record QuarantinedMessage(
    String user, String mailbox, MessageMeta meta, byte[] body, Instant quarantinedAt, String reason) {}
